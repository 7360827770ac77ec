/**
 * The disruption controller: keeps each PodDisruptionBudget's status — how
 * many selected pods are healthy, how many must stay healthy, and so how
 * many voluntary disruptions (evictions) are allowed right now.
 *
 * reconcile(namespace/pdb):
 *   - the selected pods are those matching the PDB's selector;
 *   - `minAvailable: N` needs N healthy pods, out of the pods that exist;
 *   - `maxUnavailable` or a percentage needs the pods' controllers' scale
 *     (ReplicaSet — or its Deployment —, StatefulSet) for the expected count;
 *   - healthy = Ready, not being deleted, and not in `disruptedPods` — the
 *     pods the eviction API has just taken from the budget but that are not
 *     yet seen deleted; an entry older than two minutes is dropped (the
 *     eviction evidently did not happen), with a requeue for that moment;
 *   - disruptionsAllowed = max(0, healthy − desired), with the
 *     DisruptionAllowed condition (SufficientPods / InsufficientPods).
 */
import type { Deployment, ReplicaSet, StatefulSet } from '../../api/apps/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey } from '../../client/index.js';
import { isPercent, scaledValue, type IntOrString } from '../../machinery/intorstring.js';
import { labelSelectorMatches, type LabelSelector } from '../../machinery/labels.js';
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import { canonicalJson } from '../util/hash.js';
import { controllerRefOf } from '../util/owners.js';
import { isPodReady, podsResource, type Pod } from '../util/pods.js';
import { deploymentsResource, podDisruptionBudgetsResource, replicaSetsResource, statefulSetsResource } from '../resources.js';
import { timestamp } from '../util/time.js';

/** How long an eviction recorded in `disruptedPods` may take before the controller stops waiting for it (upstream: 2 min). */
const disruptionDeletionTimeoutMs = 2 * 60 * 1000;

interface PodDisruptionBudget extends KubeObject {
  spec?: { minAvailable?: IntOrString; maxUnavailable?: IntOrString; selector?: LabelSelector };
  status?: Record<string, unknown> & { disruptedPods?: Record<string, string>; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; observedGeneration?: number }[] };
}


export function disruptionController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const pdbInformer = informers.informerFor<PodDisruptionBudget>(podDisruptionBudgetsResource);
  const podInformer = informers.informerFor<Pod>(podsResource);
  const rsInformer = informers.informerFor<ReplicaSet>(replicaSetsResource);
  const deploymentInformer = informers.informerFor<Deployment>(deploymentsResource);
  const stsInformer = informers.informerFor<StatefulSet>(statefulSetsResource);
  const pdbs = client.resource<PodDisruptionBudget>(podDisruptionBudgetsResource);

  /** The scale of the controller a pod belongs to: [controller uid, replicas], or undefined if it has none we know. */
  function scaleOf(pod: Pod): [string, number] | undefined {
    const ref = controllerRefOf(pod);
    const namespace = pod.metadata.namespace;
    if (!ref) return undefined;
    if (ref.kind === 'ReplicaSet') {
      const rs = rsInformer.lister.get(namespace, ref.name);
      if (!rs || rs.metadata.uid !== ref.uid) return undefined;
      const owner = controllerRefOf(rs);
      if (owner?.kind === 'Deployment') {
        const deployment = deploymentInformer.lister.get(namespace, owner.name);
        if (deployment && deployment.metadata.uid === owner.uid) return [deployment.metadata.uid!, deployment.spec?.replicas ?? 1];
      }
      return [rs.metadata.uid!, rs.spec?.replicas ?? 1];
    }
    if (ref.kind === 'StatefulSet') {
      const sts = stsInformer.lister.get(namespace, ref.name);
      if (sts && sts.metadata.uid === ref.uid) return [sts.metadata.uid!, sts.spec?.replicas ?? 1];
    }
    return undefined;
  }

  return {
    name: 'disruption',
    for: podDisruptionBudgetsResource,
    watches: [
      {
        resource: podsResource,
        map: (pod) =>
          pdbInformer.lister
            .list(pod.metadata.namespace)
            .filter((pdb) => labelSelectorMatches(pdb.spec?.selector, pod.metadata.labels))
            .map((pdb) => `${pdb.metadata.namespace}/${pdb.metadata.name}`),
      },
      // Scale changes alter the expected count of PDBs in the namespace.
      { resource: replicaSetsResource, map: (rs) => pdbInformer.lister.list(rs.metadata.namespace).map((pdb) => `${pdb.metadata.namespace}/${pdb.metadata.name}`) },
      { resource: statefulSetsResource, map: (sts) => pdbInformer.lister.list(sts.metadata.namespace).map((pdb) => `${pdb.metadata.namespace}/${pdb.metadata.name}`) },
    ],
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const pdb = pdbInformer.lister.get(namespace, name);
      if (!pdb || pdb.metadata.deletionTimestamp) return;
      const spec = pdb.spec ?? {};
      // policy/v1: an empty selector selects every pod in the namespace, a missing one none.
      const pods = podInformer.lister.list(namespace, (pod) => spec.selector !== undefined && labelSelectorMatches(spec.selector, pod.metadata.labels));
      const now = context.now();
      const { disruptedPods, recheckAtMs } = pendingDisruptions(pdb.status?.disruptedPods, pods, now);
      const healthy = pods.filter((pod) => isPodReady(pod) && !pod.metadata.deletionTimestamp && !(pod.metadata.name! in disruptedPods)).length;

      let expected = pods.length;
      let desired = 0;
      let failure: string | undefined;
      const needsScale = spec.maxUnavailable !== undefined || isPercent(spec.minAvailable);
      if (needsScale) {
        const scales = new Map<string, number>();
        for (const pod of pods) {
          const scale = scaleOf(pod);
          if (!scale) {
            failure = `found no controllers for pod "${pod.metadata.name}"`;
            break;
          }
          scales.set(scale[0], scale[1]);
        }
        expected = [...scales.values()].reduce((sum, n) => sum + n, 0);
      }
      if (spec.maxUnavailable !== undefined) {
        desired = Math.max(0, expected - scaledValue(spec.maxUnavailable, expected, true));
      } else if (spec.minAvailable !== undefined) {
        desired = isPercent(spec.minAvailable) ? scaledValue(spec.minAvailable, expected, true) : Number(spec.minAvailable);
      }
      const allowed = failure ? 0 : Math.max(0, healthy - desired);
      const previous = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
      const conditionStatus = allowed > 0 ? 'True' : 'False';
      const reason = failure ? 'SyncFailed' : allowed > 0 ? 'SufficientPods' : 'InsufficientPods';
      const condition = {
        type: 'DisruptionAllowed',
        status: conditionStatus,
        reason,
        message: failure ?? '',
        observedGeneration: pdb.metadata.generation,
        lastTransitionTime: previous && previous.status === conditionStatus ? previous.lastTransitionTime : timestamp(now),
      };
      const status = {
        observedGeneration: pdb.metadata.generation,
        disruptionsAllowed: allowed,
        currentHealthy: healthy,
        desiredHealthy: desired,
        expectedPods: expected,
        ...(Object.keys(disruptedPods).length > 0 ? { disruptedPods } : {}),
        conditions: [condition],
      };
      const recheck = recheckAtMs !== undefined ? { requeueAfterMs: Math.max(1, recheckAtMs - now.getTime()) } : undefined;
      if (canonicalJson(status) === canonicalJson(pdb.status ?? {})) return recheck;
      await pdbs.updateStatus({ ...pdb, status }).catch((err) => {
        if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
      });
      return recheck;
    },
  };
}

/**
 * The evictions still under way: entries of `disruptedPods` whose pod exists and
 * is not yet being deleted, and that are younger than the deletion timeout.
 * Returns them and the moment the oldest of them expires.
 */
export function pendingDisruptions(recorded: Record<string, string> | undefined, pods: Pod[], now: Date): { disruptedPods: Record<string, string>; recheckAtMs?: number } {
  const disruptedPods: Record<string, string> = {};
  let recheckAtMs: number | undefined;
  const byName = new Map(pods.map((pod) => [pod.metadata.name!, pod]));
  for (const [name, since] of Object.entries(recorded ?? {})) {
    const pod = byName.get(name);
    if (!pod || pod.metadata.deletionTimestamp) continue; // gone or going: the eviction happened
    const expiresAtMs = Date.parse(since) + disruptionDeletionTimeoutMs;
    if (!(expiresAtMs > now.getTime())) continue; // never deleted: count the pod again
    disruptedPods[name] = since;
    recheckAtMs = recheckAtMs === undefined ? expiresAtMs : Math.min(recheckAtMs, expiresAtMs);
  }
  return { disruptedPods, recheckAtMs };
}
