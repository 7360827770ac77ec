/**
 * The node lifecycle controller: notices nodes that stopped reporting, taints
 * them, and evicts their pods once the pods' tolerations run out.
 *
 * reconcile(node):
 *   1. health: a node is alive while its Lease in `kube-node-lease` (or its
 *      Ready condition's heartbeat) was renewed within the grace period
 *      (40 s). Past it, every node condition becomes Unknown
 *      ("Kubelet stopped posting node status.") and the node's pods are
 *      marked not ready;
 *   2. taints follow the Ready condition — False: `node.kubernetes.io/not-ready`,
 *      Unknown: `node.kubernetes.io/unreachable`, both NoSchedule and
 *      NoExecute — and `spec.unschedulable` gives `node.kubernetes.io/unschedulable`;
 *   3. eviction: a pod on a node with a NoExecute taint it does not tolerate
 *      is deleted at once; one that tolerates it for `tolerationSeconds`
 *      (300 s by default, added at admission) is deleted when that time has
 *      passed since the taint was added. Evicted pods first get a
 *      DisruptionTarget condition saying why.
 */
import { untoleratedTaints, type Taint, type Toleration } from '../../api/core/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import { canonicalJson } from '../util/hash.js';
import { podsResource, type Pod } from '../util/pods.js';
import { leasesResource, nodesResource } from '../resources.js';
import { timestamp } from '../util/time.js';

export const nodeLeaseNamespace = 'kube-node-lease';
export const notReadyTaintKey = 'node.kubernetes.io/not-ready';
export const unreachableTaintKey = 'node.kubernetes.io/unreachable';
export const unschedulableTaintKey = 'node.kubernetes.io/unschedulable';

export interface NodeLifecycleOptions {
  /** How long a node may go without renewing its Lease before it is Unknown (upstream's node-monitor-grace-period). */
  gracePeriodMs?: number;
}

interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface Node extends KubeObject {
  spec?: { taints?: Taint[]; unschedulable?: boolean };
  status?: { conditions?: NodeCondition[] } & Record<string, unknown>;
}

interface Lease extends KubeObject {
  spec?: { renewTime?: string; holderIdentity?: string };
}


/** The taints the node's state calls for (keys this controller manages). */
function wantedTaints(node: Node): { key: string; effect: string }[] {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const out: { key: string; effect: string }[] = [];
  // No Ready condition yet: the node has not reported; after the grace period it becomes Unknown.
  const key = ready?.status === 'False' ? notReadyTaintKey : ready?.status === 'Unknown' ? unreachableTaintKey : undefined;
  if (key) out.push({ key, effect: 'NoSchedule' }, { key, effect: 'NoExecute' });
  if (node.spec?.unschedulable) out.push({ key: unschedulableTaintKey, effect: 'NoSchedule' });
  // TaintNodesByCondition: pressure keeps new pods away.
  for (const [type, key] of pressureTaints) {
    if (node.status?.conditions?.some((c) => c.type === type && c.status === 'True')) out.push({ key, effect: 'NoSchedule' });
  }
  return out;
}

const pressureTaints: [string, string][] = [
  ['MemoryPressure', 'node.kubernetes.io/memory-pressure'],
  ['DiskPressure', 'node.kubernetes.io/disk-pressure'],
  ['PIDPressure', 'node.kubernetes.io/pid-pressure'],
];

const managedKeys = new Set([notReadyTaintKey, unreachableTaintKey, unschedulableTaintKey, ...pressureTaints.map(([, key]) => key)]);

/** The node's taints with the managed ones brought in line; existing ones keep their timeAdded. */
export function reconcileTaints(node: Node, now: Date): Taint[] {
  const existing = node.spec?.taints ?? [];
  const wanted = wantedTaints(node);
  const kept = existing.filter((t) => !managedKeys.has(t.key) || wanted.some((w) => w.key === t.key && w.effect === t.effect));
  for (const w of wanted) {
    if (!kept.some((t) => t.key === w.key && t.effect === w.effect)) {
      kept.push(w.effect === 'NoExecute' ? { ...w, timeAdded: timestamp(now) } : { ...w });
    }
  }
  return kept;
}

/**
 * When a pod must leave a node with these NoExecute taints: now (0), after
 * the smallest matching tolerationSeconds counted from the taint's
 * timeAdded, or never (undefined).
 */
export function evictionDelayMs(taints: Taint[], tolerations: Toleration[] | undefined, now: Date): number | undefined {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (!noExecute.length) return undefined;
  if (untoleratedTaints(noExecute, tolerations, ['NoExecute']).length) return 0;
  let earliest: number | undefined;
  for (const taint of noExecute) {
    const matching = (tolerations ?? []).filter(
      (t) => (!t.effect || t.effect === 'NoExecute') && ((!t.key && t.operator === 'Exists') || (t.key === taint.key && (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '')))),
    );
    // Tolerated forever by any matching toleration without a time limit.
    if (matching.some((t) => t.tolerationSeconds === undefined)) continue;
    const seconds = Math.min(...matching.map((t) => Math.max(0, t.tolerationSeconds ?? 0)));
    const since = Date.parse(taint.timeAdded ?? '') || now.getTime();
    const left = since + seconds * 1000 - now.getTime();
    earliest = Math.min(earliest ?? Infinity, Math.max(0, left));
  }
  return earliest;
}

export function nodeLifecycleController(context: ControllerContext, options: NodeLifecycleOptions = {}): ControllerSpec {
  const { client, informers } = context;
  const gracePeriodMs = options.gracePeriodMs ?? 40_000;
  const nodeInformer = informers.informerFor<Node>(nodesResource);
  const leaseInformer = informers.informerFor<Lease>(leasesResource);
  const podInformer = informers.informerFor<Pod>(podsResource);
  podInformer.addIndex('nodeName', (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []));
  const nodes = client.resource<Node>(nodesResource);
  const pods = client.resource<Pod>(podsResource);
  const recorder = context.recorder('node-controller');

  /** The last sign of life: the Lease renewal or the Ready heartbeat, whichever is newer. */
  function lastSeen(node: Node): number {
    const lease = leaseInformer.lister.get(nodeLeaseNamespace, node.metadata.name!);
    const renew = Date.parse(lease?.spec?.renewTime ?? '') || 0;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const heartbeat = Date.parse(ready?.lastHeartbeatTime ?? '') || 0;
    const created = Date.parse(node.metadata.creationTimestamp ?? '') || 0;
    return Math.max(renew, heartbeat, created);
  }

  async function markPodsNotReady(node: Node, now: Date): Promise<void> {
    for (const pod of podInformer.lister.byIndex('nodeName', node.metadata.name!)) {
      const conditions = pod.status?.conditions ?? [];
      const ready = conditions.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const updated = conditions.map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', lastTransitionTime: timestamp(now) } : c));
      await pods.patch(pod.metadata.namespace, pod.metadata.name!, { status: { conditions: updated } }, 'strategic', { subresource: 'status' }).catch((err) => {
        if (!isStatusError(err, 'NotFound')) throw err;
      });
    }
  }

  async function evict(pod: Pod, now: Date): Promise<void> {
    const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: timestamp(now) };
    try {
      await pods.patch(pod.metadata.namespace, pod.metadata.name!, { status: { conditions: [condition] } }, 'strategic', { subresource: 'status' });
      await pods.delete(pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
      recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
    } catch (err) {
      if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
    }
  }

  return {
    name: 'node-lifecycle',
    for: nodesResource,
    watches: [
      { resource: leasesResource, map: (lease) => (lease.metadata.namespace === nodeLeaseNamespace ? [lease.metadata.name!] : []) },
      { resource: podsResource, map: (pod) => ((pod as Pod).spec?.nodeName ? [(pod as Pod).spec!.nodeName!] : []) },
    ],
    async reconcile(key) {
      let node = nodeInformer.lister.get(undefined, key);
      if (!node) return undefined;
      const now = context.now();
      let requeueAfterMs: number | undefined;

      // 1. Health.
      const silentFor = now.getTime() - lastSeen(node);
      const conditions = node.status?.conditions ?? [];
      if (silentFor > gracePeriodMs) {
        const types = conditions.length ? conditions.map((c) => c.type) : ['Ready'];
        const unknown: NodeCondition[] = types.map((type) => {
          const previous = conditions.find((c) => c.type === type);
          if (previous?.status === 'Unknown') return previous;
          return {
            type,
            status: 'Unknown',
            reason: 'NodeStatusUnknown',
            message: 'Kubelet stopped posting node status.',
            lastHeartbeatTime: previous?.lastHeartbeatTime,
            lastTransitionTime: timestamp(now),
          };
        });
        if (canonicalJson(unknown) !== canonicalJson(conditions)) {
          node = await nodes.updateStatus({ ...node, status: { ...node.status, conditions: unknown } });
          recorder.event(node, 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`);
          await markPodsNotReady(node, now);
        }
      } else {
        requeueAfterMs = gracePeriodMs - silentFor + 1;
      }

      // 2. Taints.
      const taints = reconcileTaints(node, now);
      if (canonicalJson(taints) !== canonicalJson(node.spec?.taints ?? [])) {
        node = await nodes.update({ ...node, spec: { ...node.spec, taints: taints.length ? taints : undefined } });
      }

      // 3. Eviction.
      for (const pod of podInformer.lister.byIndex('nodeName', node.metadata.name!)) {
        if (pod.metadata.deletionTimestamp) continue;
        const delay = evictionDelayMs(node.spec?.taints ?? [], (pod.spec as { tolerations?: Toleration[] } | undefined)?.tolerations, now);
        if (delay === undefined) continue;
        if (delay === 0) await evict(pod, now);
        else requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, delay + 1);
      }
      return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
    },
  };
}
