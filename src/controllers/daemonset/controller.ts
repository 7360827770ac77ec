/**
 * The DaemonSet controller: one pod on every node that should run one.
 *
 * reconcile(key):
 *   1. make sure the current template has a ControllerRevision;
 *   2. for each node decide whether it should run the daemon: its labels
 *      satisfy the template's nodeSelector and required node affinity, and
 *      the pod tolerates its NoSchedule/NoExecute taints (daemon pods also
 *      tolerate the node-condition taints, as upstream adds them);
 *   3. create a pod for each such node that has none — pinned to the node
 *      with required node affinity on `metadata.name`, for the scheduler to
 *      bind — delete pods on nodes that should not run them, extra pods,
 *      and failed pods;
 *   4. RollingUpdate: replace old-revision pods, at most maxUnavailable
 *      unavailable at a time (maxSurge: start the new pod first, delete the
 *      old one once the new one is available);
 *   5. status: desired, current, misscheduled, ready, updated, available.
 */
import type { ControllerRevision, DaemonSet } from '../../api/apps/index.js';
import { nodeMatchesPod, untoleratedTaints, type NodeLike, type NodeSelectorTerm, type PodPlacement, type Toleration } from '../../api/core/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey } from '../../client/index.js';
import { scaledValue } from '../../machinery/intorstring.js';
import { labelSelectorMatches } from '../../machinery/labels.js';
import { isStatusError } from '../../machinery/status.js';
import { Expectations } from '../util/expectations.js';
import { deletePods, observeOwnedPods } from '../util/pod-control.js';
import { canonicalJson } from '../util/hash.js';
import { controllerRefOf, controllerRefTo } from '../util/owners.js';
import { isPodAvailable, isPodReady, podsResource, type Pod } from '../util/pods.js';
import { controllerRevisionHashLabel, syncRevisions, trimRevisions } from '../util/revisions.js';
import { controllerRevisionsResource, daemonSetsResource, nodesResource } from '../resources.js';

/** Upstream's (deprecated, still written) label with the DaemonSet generation a pod was made from. */
export const templateGenerationLabel = 'pod-template-generation';

/** What every daemon pod tolerates, so node trouble does not evict the node's own daemons. */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const tolerations: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) tolerations.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return tolerations;
}

type PodSpecWithPlacement = NonNullable<Pod['spec']> & PodPlacement & { hostNetwork?: boolean };

/** The template's spec with the daemon tolerations added (keeping the user's). */
function daemonPodSpec(ds: DaemonSet): PodSpecWithPlacement {
  const spec = structuredClone(ds.spec?.template?.spec ?? {}) as PodSpecWithPlacement;
  const tolerations = [...(spec.tolerations ?? [])];
  for (const toleration of daemonTolerations(spec.hostNetwork === true)) {
    if (!tolerations.some((t) => t.key === toleration.key && t.effect === toleration.effect)) tolerations.push(toleration);
  }
  spec.tolerations = tolerations;
  return spec;
}

/** Whether the daemon should run on this node. */
export function shouldRunOn(ds: DaemonSet, node: NodeLike): boolean {
  const spec = daemonPodSpec(ds);
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return false;
  if (!nodeMatchesPod(spec, node)) return false;
  return untoleratedTaints(node.spec?.taints, spec.tolerations, ['NoSchedule', 'NoExecute']).length === 0;
}

/** Pins a pod to one node the way upstream does: a required affinity term on the node's name. */
function pinToNode(spec: PodSpecWithPlacement, nodeName: string): void {
  const pin: NodeSelectorTerm['matchFields'] = [{ key: 'metadata.name', operator: 'In', values: [nodeName] }];
  const affinity = (spec.affinity ??= {});
  const nodeAffinity = (affinity.nodeAffinity ??= {});
  const required = (nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution ??= {});
  const terms = required.nodeSelectorTerms?.length ? required.nodeSelectorTerms : [{}];
  required.nodeSelectorTerms = terms.map((term) => ({ ...term, matchFields: pin }));
}

/** The node a daemon pod belongs to: where it runs, or where its affinity pins it while unscheduled. */
export function nodeOfDaemonPod(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = (pod.spec as PodSpecWithPlacement | undefined)?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    const field = term.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1);
    if (field) return field.values![0];
  }
  return undefined;
}

export function daemonSetController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const dsInformer = informers.informerFor<DaemonSet>(daemonSetsResource);
  const podInformer = informers.informerFor<Pod>(podsResource);
  const nodeInformer = informers.informerFor<NodeLike & Pod>(nodesResource);
  const revisionInformer = informers.informerFor<ControllerRevision>(controllerRevisionsResource);
  const pods = client.resource<Pod>(podsResource);
  const daemonSets = client.resource<DaemonSet>(daemonSetsResource);
  const recorder = context.recorder('daemonset-controller');
  const expectations = new Expectations();

  observeOwnedPods(podInformer, expectations, 'DaemonSet');

  function newPod(ds: DaemonSet, nodeName: string, revision: ControllerRevision): Pod {
    const spec = daemonPodSpec(ds);
    pinToNode(spec, nodeName);
    const template = ds.spec?.template;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${ds.metadata.name}-`,
        namespace: ds.metadata.namespace,
        labels: {
          ...template?.metadata?.labels,
          [controllerRevisionHashLabel]: revision.metadata.labels?.[controllerRevisionHashLabel] ?? '',
          [templateGenerationLabel]: String(ds.metadata.generation ?? 1),
        },
        annotations: template?.metadata?.annotations,
        ownerReferences: [controllerRefTo(ds, 'apps/v1', 'DaemonSet')],
      },
      spec,
    };
  }

  return {
    name: 'daemonset',
    for: daemonSetsResource,
    owns: [podsResource, controllerRevisionsResource],
    // Node changes concern every DaemonSet.
    watches: [{ resource: nodesResource, map: () => dsInformer.lister.list().map((ds) => `${ds.metadata.namespace}/${ds.metadata.name}`) }],
    workers: 2,
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const ds = dsInformer.lister.get(namespace, name);
      if (!ds) {
        expectations.delete(key);
        return undefined;
      }
      if (ds.metadata.deletionTimestamp || !expectations.satisfied(key)) return undefined;
      const spec = ds.spec ?? {};
      const now = context.now();
      const minReadySeconds = spec.minReadySeconds ?? 0;

      const ownedRevisions = revisionInformer.lister.byIndex('ownerUid', ds.metadata.uid!).filter((r) => controllerRefOf(r)?.uid === ds.metadata.uid);
      const { update, all, collisionCount } = await syncRevisions(client, controllerRevisionsResource, ds, 'DaemonSet', ownedRevisions, { ...spec.selector?.matchLabels });
      const updateHash = update.metadata.labels?.[controllerRevisionHashLabel];
      const isUpdated = (pod: Pod) => pod.metadata.labels?.[controllerRevisionHashLabel] === updateHash;

      const owned = podInformer.lister
        .byIndex('ownerUid', ds.metadata.uid!)
        .filter((pod) => controllerRefOf(pod)?.uid === ds.metadata.uid && labelSelectorMatches(spec.selector, pod.metadata.labels));
      const podsByNode = new Map<string, Pod[]>();
      for (const pod of owned) {
        const node = nodeOfDaemonPod(pod);
        if (node) podsByNode.set(node, [...(podsByNode.get(node) ?? []), pod]);
      }

      const toCreate: string[] = [];
      const toDelete: Pod[] = [];
      const nodes = nodeInformer.lister.list();
      const eligible = new Set(nodes.filter((node) => shouldRunOn(ds, node)).map((node) => node.metadata.name!));
      let desired = 0;
      let current = 0;
      let misscheduled = 0;
      let ready = 0;
      let updated = 0;
      let available = 0;
      const strategy = spec.updateStrategy?.type ?? 'RollingUpdate';
      const maxSurge = strategy === 'RollingUpdate' ? scaledValue(spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0, eligible.size, true) : 0;
      const maxUnavailable = strategy === 'RollingUpdate' ? scaledValue(spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? (maxSurge ? 0 : 1), eligible.size, true) : 0;
      const outdatedOnNodes: { node: string; old: Pod; fresh?: Pod }[] = [];
      let unavailableNodes = 0;
      // Nodes running an old and a new pod side by side (a surge in progress).
      let surgingNodes = 0;

      for (const node of nodes) {
        const nodeName = node.metadata.name!;
        const daemons = (podsByNode.get(nodeName) ?? []).filter((pod) => !pod.metadata.deletionTimestamp);
        if (!eligible.has(nodeName)) {
          if (daemons.length) misscheduled++;
          toDelete.push(...daemons);
          continue;
        }
        desired++;
        const failed = daemons.filter((pod) => pod.status?.phase === 'Failed');
        toDelete.push(...failed);
        const running = daemons.filter((pod) => pod.status?.phase !== 'Failed');
        if (!running.length) {
          toCreate.push(nodeName);
          unavailableNodes++;
          continue;
        }
        current++;
        // Several pods on one node: keep one — the newest updated one when surging, else the oldest.
        const sorted = [...running].sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''));
        const fresh = sorted.filter(isUpdated);
        const old = sorted.filter((pod) => !isUpdated(pod));
        if (fresh.length && old.length) {
          surgingNodes++;
          // A surge in progress: the old pod goes once the new one is available.
          if (isPodAvailable(fresh[0], minReadySeconds, now)) toDelete.push(...old);
          toDelete.push(...fresh.slice(1));
        } else if (sorted.length > 1) {
          toDelete.push(...sorted.slice(1));
        }
        const keeper = fresh[0] ?? old[0];
        if (isPodReady(keeper)) ready++;
        if (fresh.length) updated++;
        if (isPodAvailable(keeper, minReadySeconds, now)) available++;
        else unavailableNodes++;
        if (!fresh.length && old.length) outdatedOnNodes.push({ node: nodeName, old: old[0] });
      }
      // Pods pinned to nodes that no longer exist.
      for (const [nodeName, daemons] of podsByNode) {
        if (!nodes.some((node) => node.metadata.name === nodeName)) toDelete.push(...daemons.filter((pod) => !pod.metadata.deletionTimestamp));
      }

      // Rolling update within the budgets.
      if (strategy === 'RollingUpdate' && outdatedOnNodes.length) {
        if (maxSurge > 0) {
          const room = Math.max(0, maxSurge - surgingNodes);
          // Surge: start the new pod next to the old one.
          for (const { node } of outdatedOnNodes.slice(0, room)) toCreate.push(node);
        } else {
          const room = Math.max(0, maxUnavailable - unavailableNodes);
          for (const { old } of outdatedOnNodes.filter(({ old }) => isPodAvailable(old, minReadySeconds, now)).slice(0, room)) toDelete.push(old);
          // Old pods that are not available anyway can go at once.
          for (const { old } of outdatedOnNodes.filter(({ old }) => !isPodAvailable(old, minReadySeconds, now))) toDelete.push(old);
        }
      }

      const uniqueDeletes = [...new Map(toDelete.map((pod) => [pod.metadata.uid, pod])).values()];
      expectations.expect(key, toCreate.length, uniqueDeletes.length);
      const created = await Promise.allSettled(toCreate.map((nodeName) => pods.create(newPod(ds, nodeName, update))));
      for (const result of created) {
        if (result.status === 'fulfilled') recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${result.value.metadata.name}`);
        else {
          expectations.lowerAdds(key);
          recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(result.reason as Error).message}`);
        }
      }
      await deletePods({ pods, recorder, expectations }, ds, key, uniqueDeletes);

      const status = {
        currentNumberScheduled: current,
        numberMisscheduled: misscheduled,
        desiredNumberScheduled: desired,
        numberReady: ready,
        observedGeneration: ds.metadata.generation,
        updatedNumberScheduled: updated,
        numberAvailable: available,
        numberUnavailable: desired - available,
        collisionCount,
      } as NonNullable<DaemonSet['status']>;
      if (collisionCount === 0) delete (status as Record<string, unknown>).collisionCount;
      if ((ds.status as { conditions?: unknown })?.conditions) (status as Record<string, unknown>).conditions = (ds.status as { conditions?: unknown }).conditions;
      if (canonicalJson(status) !== canonicalJson(ds.status ?? {})) {
        await daemonSets.updateStatus({ ...ds, status }).catch((err) => {
          if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
        });
      }
      const inUse = new Set([update.metadata.name!, ...owned.map((pod) => `${ds.metadata.name}-${pod.metadata.labels?.[controllerRevisionHashLabel]}`)]);
      await trimRevisions(client, controllerRevisionsResource, all, inUse, spec.revisionHistoryLimit ?? 10);
      if (created.some((r) => r.status === 'rejected')) throw (created.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
      // Come back when a ready pod becomes available.
      const waits = owned
        .map((pod) => Date.parse(pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? '') + minReadySeconds * 1000 - now.getTime())
        .filter((ms) => minReadySeconds > 0 && ms > 0);
      return waits.length ? { requeueAfterMs: Math.min(...waits) + 1 } : undefined;
    },
  };
}
