/**
 * The ResourceQuota controller: keeps `status.hard` (a copy of the spec) and
 * `status.used` (what the namespace uses of each listed resource) current.
 * Enforcing the quota on create is the apiserver's admission (a later
 * issue); this controller makes the numbers `kubectl describe quota` shows.
 *
 * reconcile(namespace/quota): count and sum the namespace's objects from
 * the shared informers (see usage.ts) and write the status if it changed.
 * Any change to a counted kind re-queues the quotas of its namespace. Other
 * kinds (`count/widgets.example.com`, a custom resource) are found through
 * discovery, counted by listing, and counted again every ten seconds.
 */
import type { ControllerContext, ControllerSpec, ResourceRef } from '../../client/index.js';
import { discoverResources, preferredResourcesWith, splitKey } from '../../client/index.js';
import { canonicalQuantity } from '../../machinery/quantity.js';
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import { canonicalJson } from '../util/hash.js';
import { podsResource } from '../util/pods.js';
import {
  configMapsResource,
  cronJobsResource,
  daemonSetsResource,
  deploymentsResource,
  jobsResource,
  persistentVolumeClaimsResource,
  replicaSetsResource,
  resourceQuotasResource,
  secretsResource,
  servicesResource,
  statefulSetsResource,
} from '../resources.js';
import { usageOf, type NamespaceObjects } from '../../api/core/quota-usage.js';

interface ResourceQuota extends KubeObject {
  spec?: { hard?: Record<string, string>; scopes?: string[] };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

/** How soon a quota that counts kinds found through discovery (custom resources) is counted again. */
const otherKindsRecheckMs = 10_000;

/** The kinds a quota can count, by the name quotas use (`resource` or `resource.group`). */
const countedKinds: [string, ResourceRef][] = [
  ['pods', podsResource],
  ['services', servicesResource],
  ['configmaps', configMapsResource],
  ['secrets', secretsResource],
  ['persistentvolumeclaims', persistentVolumeClaimsResource],
  ['resourcequotas', resourceQuotasResource],
  ['deployments.apps', deploymentsResource],
  ['replicasets.apps', replicaSetsResource],
  ['statefulsets.apps', statefulSetsResource],
  ['daemonsets.apps', daemonSetsResource],
  ['jobs.batch', jobsResource],
  ['cronjobs.batch', cronJobsResource],
];

export function resourceQuotaController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const quotaInformer = informers.informerFor<ResourceQuota>(resourceQuotasResource);
  const quotas = client.resource<ResourceQuota>(resourceQuotasResource);
  const quotaKeysIn = (namespace: string | undefined) => quotaInformer.lister.list(namespace).map((q) => `${q.metadata.namespace}/${q.metadata.name}`);

  return {
    name: 'resourcequota',
    for: resourceQuotasResource,
    // Every counted kind re-queues the quotas of its namespace (there are rarely more than a few).
    watches: countedKinds.filter(([name]) => name !== 'resourcequotas').map(([, resource]) => ({ resource, map: (object: KubeObject) => quotaKeysIn(object.metadata.namespace) })),
    async reconcile(key, { signal }) {
      const { namespace, name } = splitKey(key);
      const quota = quotaInformer.lister.get(namespace, name);
      if (!quota || quota.metadata.deletionTimestamp) return;
      const objects: NamespaceObjects = new Map();
      for (const [kindName, resource] of countedKinds) {
        const items = informers.informerFor(resource).lister.list(namespace);
        objects.set(kindName, items);
        // Core kinds are also named without a group.
        if (!resource.group) objects.set(resource.resource, items);
      }
      // `count/<resource>.<group>` of a kind not watched here (a custom resource): counted by listing it, and looked at again soon.
      const others = Object.keys(quota.spec?.hard ?? {})
        .filter((resourceName) => resourceName.startsWith('count/') && !objects.has(resourceName.slice('count/'.length)))
        .map((resourceName) => resourceName.slice('count/'.length));
      if (others.length > 0) {
        const served = preferredResourcesWith(await discoverResources(client, signal), ['list']);
        for (const other of others) {
          const dot = other.indexOf('.');
          const [resource, group] = dot < 0 ? [other, ''] : [other.slice(0, dot), other.slice(dot + 1)];
          const ref = served.find((candidate) => candidate.resource === resource && candidate.group === group && candidate.namespaced);
          if (ref) objects.set(other, (await client.resource(ref).listAll(namespace, { signal })).items);
        }
      }
      const hard: Record<string, string> = {};
      const used: Record<string, string> = {};
      for (const [resourceName, limit] of Object.entries(quota.spec?.hard ?? {})) {
        hard[resourceName] = canonicalQuantity(limit);
        const usage = usageOf(resourceName, objects, quota.spec?.scopes);
        // Untracked names are reported as zero, so `kubectl describe` shows the limit.
        used[resourceName] = usage ?? '0';
      }
      const status = { hard, used };
      const again = others.length > 0 ? { requeueAfterMs: otherKindsRecheckMs } : undefined;
      if (canonicalJson(status) === canonicalJson(quota.status ?? {})) return again;
      await quotas.updateStatus({ ...quota, status }).catch((err) => {
        if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
      });
      return again;
    },
  };
}
