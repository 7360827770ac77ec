/**
 * The StatefulSet controller: pods with stable names (`web-0`, `web-1`, …),
 * stable storage (one PVC per volumeClaimTemplate per ordinal, kept across
 * restarts) and an order.
 *
 * reconcile(key):
 *   1. make sure the current template has a ControllerRevision (history for
 *      `kubectl rollout history|undo`);
 *   1b. keep each existing pod's claims owned as the retention policy says
 *      (claims.ts): by the set (whenDeleted: Delete), by a condemned pod
 *      (whenScaled: Delete), or by nobody (Retain, the default);
 *   2. for each ordinal in range: create its PVCs, then its pod — with
 *      `OrderedReady`, one at a time and only once every lower ordinal is
 *      Running and Ready; with `Parallel`, all at once. Failed pods are
 *      deleted and recreated under the same name;
 *   3. delete pods above the range, highest first (one at a time for
 *      OrderedReady, waiting for the others to be healthy);
 *   4. RollingUpdate: replace the highest ordinal (≥ partition) that still
 *      runs an old revision, once every pod is healthy; OnDelete: leave that
 *      to the user — pods the user deletes come back at the new revision;
 *   5. status: replicas, ready, available, current and updated counts and
 *      revisions; old revisions beyond revisionHistoryLimit go.
 */
import type { ControllerRevision, StatefulSet } from '../../api/apps/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey } from '../../client/index.js';
import { scaledValue } from '../../machinery/intorstring.js';
import { labelSelectorMatches } from '../../machinery/labels.js';
import { isStatusError } from '../../machinery/status.js';
import { canonicalJson } from '../util/hash.js';
import { controllerRefOf, controllerRefTo } from '../util/owners.js';
import { isPodAvailable, isPodReady, podsResource, type Pod } from '../util/pods.js';
import { controllerRevisionHashLabel, syncRevisions, templateOf, trimRevisions } from '../util/revisions.js';
import { controllerRevisionsResource, persistentVolumeClaimsResource, statefulSetsResource } from '../resources.js';
import { claimName, claimOwnerReferences, isClaimStale, newClaim, podVolumes } from './claims.js';

export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';

type StatefulSetStatus = NonNullable<StatefulSet['status']> & {
  currentReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  observedGeneration?: number;
};

/** The ordinal in a pod's name (`web-3` → 3), or undefined when it is not one of this set's. */
export function ordinalOf(setName: string, podName: string | undefined): number | undefined {
  if (!podName?.startsWith(`${setName}-`)) return undefined;
  const suffix = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(suffix) ? Number(suffix) : undefined;
}

function isHealthy(pod: Pod, minReadySeconds: number, now: Date): boolean {
  return pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp && isPodAvailable(pod, minReadySeconds, now);
}


export function statefulSetController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const setInformer = informers.informerFor<StatefulSet>(statefulSetsResource);
  const podInformer = informers.informerFor<Pod>(podsResource);
  const revisionInformer = informers.informerFor<ControllerRevision>(controllerRevisionsResource);
  const claimInformer = informers.informerFor(persistentVolumeClaimsResource);
  const pods = client.resource<Pod>(podsResource);
  const claims = client.resource(persistentVolumeClaimsResource);
  const sets = client.resource<StatefulSet>(statefulSetsResource);
  const recorder = context.recorder('statefulset-controller');

  /** The pod at one ordinal, from the template of one revision. */
  function newPod(set: StatefulSet, ordinal: number, revision: ControllerRevision): Pod {
    const template = templateOf(revision);
    const name = `${set.metadata.name}-${ordinal}`;
    const spec = structuredClone(template.spec ?? {}) as NonNullable<Pod['spec']> & { volumes?: { name: string }[]; hostname?: string; subdomain?: string };
    spec.volumes = podVolumes(set, name, spec.volumes);
    if (!spec.volumes.length) delete spec.volumes;
    spec.hostname = name;
    if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: set.metadata.namespace,
        labels: {
          ...template.metadata?.labels,
          [podNameLabel]: name,
          [podIndexLabel]: String(ordinal),
          [controllerRevisionHashLabel]: revision.metadata.name!,
        },
        annotations: template.metadata?.annotations,
        ownerReferences: [controllerRefTo(set, 'apps/v1', 'StatefulSet')],
      },
      spec,
    };
  }

  /**
   * Creates the pod's missing PVCs before the pod. False while one of its
   * claims is stale (being deleted, or released by an earlier scale-down):
   * the pod waits for it to go, then gets a fresh one, as upstream.
   */
  async function ensureClaims(set: StatefulSet, podName: string): Promise<boolean> {
    let ready = true;
    for (const template of set.spec?.volumeClaimTemplates ?? []) {
      const name = claimName(template, podName);
      const existing = claimInformer.lister.get(set.metadata.namespace, name);
      if (existing) {
        if (isClaimStale(existing, set, podName)) ready = false;
        continue;
      }
      const claim = newClaim(set, template, podName);
      const owners = claimOwnerReferences(claim, set, undefined, false);
      if (owners?.length) claim.metadata.ownerReferences = owners;
      try {
        await claims.create(claim);
      } catch (err) {
        if (!isStatusError(err, 'AlreadyExists')) {
          recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
          throw err;
        }
      }
    }
    return ready;
  }

  /** Creates the pod at an ordinal after its claims; false when it has to wait for a claim still being deleted. */
  async function createPod(set: StatefulSet, ordinal: number, revision: ControllerRevision): Promise<boolean> {
    const pod = newPod(set, ordinal, revision);
    if (!(await ensureClaims(set, pod.metadata.name!))) return false;
    try {
      await pods.create(pod);
      recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      if (isStatusError(err, 'AlreadyExists')) return true;
      recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
      throw err;
    }
    return true;
  }

  async function deletePod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await pods.delete(pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
      recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
    }
  }

  /**
   * Keeps the owner references of each existing pod's claims in line with the
   * retention policy (it may change at any time): the set owns them for
   * whenDeleted: Delete, a condemned pod (ordinal out of range) for
   * whenScaled: Delete — set before the pod is deleted, so the claim goes with it.
   */
  async function syncClaimOwners(set: StatefulSet, pod: Pod, scaledDown: boolean): Promise<void> {
    for (const template of set.spec?.volumeClaimTemplates ?? []) {
      const claim = claimInformer.lister.get(set.metadata.namespace, claimName(template, pod.metadata.name!));
      if (!claim || claim.metadata.deletionTimestamp) continue;
      const ownerReferences = claimOwnerReferences(claim, set, pod, scaledDown);
      if (!ownerReferences) continue;
      // The resourceVersion makes the patch fail rather than overwrite owners someone else just changed.
      await claims
        .patch(claim.metadata.namespace, claim.metadata.name!, { metadata: { resourceVersion: claim.metadata.resourceVersion, ownerReferences } }, 'merge')
        .catch((err) => {
          if (!isStatusError(err, 'NotFound')) throw err;
        });
    }
  }

  return {
    name: 'statefulset',
    for: statefulSetsResource,
    owns: [podsResource, controllerRevisionsResource],
    workers: 2,
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const set = setInformer.lister.get(namespace, name);
      if (!set || set.metadata.deletionTimestamp) return undefined;
      const spec = set.spec ?? {};
      const now = context.now();
      const minReadySeconds = spec.minReadySeconds ?? 0;
      const start = spec.ordinals?.start ?? 0;
      const replicas = spec.replicas ?? 1;
      const orderedReady = (spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';

      // 1. Revisions.
      const ownedRevisions = revisionInformer.lister.byIndex('ownerUid', set.metadata.uid!).filter((r) => controllerRefOf(r)?.uid === set.metadata.uid);
      const { update, all, collisionCount } = await syncRevisions(client, controllerRevisionsResource, set, 'StatefulSet', ownedRevisions, { ...spec.selector?.matchLabels });
      const previousStatus = (set.status ?? {}) as StatefulSetStatus;
      const current = all.find((r) => r.metadata.name === previousStatus.currentRevision) ?? update;

      // The pods this set owns, by ordinal.
      const owned = podInformer.lister
        .byIndex('ownerUid', set.metadata.uid!)
        .filter((pod) => controllerRefOf(pod)?.uid === set.metadata.uid && labelSelectorMatches(spec.selector, pod.metadata.labels));
      const byOrdinal = new Map<number, Pod>();
      for (const pod of owned) {
        const ordinal = ordinalOf(name, pod.metadata.name);
        if (ordinal !== undefined) byOrdinal.set(ordinal, pod);
      }
      const inRange = (ordinal: number) => ordinal >= start && ordinal < start + replicas;
      const rollingUpdate = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
      const partition = rollingUpdate ? (spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
      // Below the partition, pods are (re)created at the current revision; from it up, at the update revision.
      const revisionFor = (ordinal: number) => (rollingUpdate && ordinal - start < partition ? current : update);
      let requeueAfterMs: number | undefined;

      // Claims' owners follow the retention policy, before any condemned pod goes.
      for (const [ordinal, pod] of byOrdinal) if (!pod.metadata.deletionTimestamp) await syncClaimOwners(set, pod, !inRange(ordinal));

      // 2. Create what is missing; replace failed pods.
      let blocked = false;
      for (let ordinal = start; ordinal < start + replicas; ordinal++) {
        const pod = byOrdinal.get(ordinal);
        if (pod?.status?.phase === 'Failed' && !pod.metadata.deletionTimestamp) {
          await deletePod(set, pod);
          if (orderedReady) {
            blocked = true;
            break;
          }
          continue;
        }
        if (!pod) {
          // A stale claim: look again shortly (claim events do not queue this set).
          if (!(await createPod(set, ordinal, revisionFor(ordinal)))) requeueAfterMs = 1000;
          if (orderedReady) {
            blocked = true;
            break;
          }
          continue;
        }
        if (orderedReady && !isHealthy(pod, minReadySeconds, now)) {
          // Wait for this one before touching higher ordinals.
          blocked = true;
          break;
        }
      }

      // 3. Scale down, highest ordinal first.
      if (!blocked) {
        const condemned = [...byOrdinal.entries()].filter(([ordinal]) => !inRange(ordinal)).sort(([a], [b]) => b - a);
        const allHealthy = [...byOrdinal.entries()].filter(([o]) => inRange(o)).every(([, pod]) => isHealthy(pod, minReadySeconds, now));
        if (condemned.length) {
          blocked = true;
          const victims = orderedReady ? condemned.slice(0, 1) : condemned;
          if (!orderedReady || (allHealthy && !victims[0][1].metadata.deletionTimestamp)) {
            for (const [, pod] of victims) {
              if (pod.metadata.deletionTimestamp) continue;
              await deletePod(set, pod);
            }
          }
        }
      }

      // 4. Rolling update: the highest outdated ordinal at or above the partition, once all are healthy.
      if (!blocked && rollingUpdate) {
        const maxUnavailable = Math.max(1, scaledValue(spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, replicas, false));
        const inRangePods = [...byOrdinal.entries()].filter(([o]) => inRange(o));
        // Missing pods (just deleted, or created and not yet in the cache) are unavailable too.
        const unavailable = replicas - inRangePods.filter(([, pod]) => isHealthy(pod, minReadySeconds, now)).length;
        const outdated = inRangePods
          .filter(([ordinal, pod]) => ordinal - start >= partition && pod.metadata.labels?.[controllerRevisionHashLabel] !== update.metadata.name && !pod.metadata.deletionTimestamp)
          .sort(([a], [b]) => b - a);
        const budget = (orderedReady ? 1 : maxUnavailable) - unavailable;
        for (const [, pod] of outdated.slice(0, Math.max(0, budget))) await deletePod(set, pod);
      }

      // 5. Status.
      const counted = owned.filter((pod) => ordinalOf(name, pod.metadata.name) !== undefined);
      const status: StatefulSetStatus = {
        observedGeneration: set.metadata.generation,
        replicas: counted.length,
        readyReplicas: counted.filter(isPodReady).length,
        availableReplicas: counted.filter((pod) => isPodAvailable(pod, minReadySeconds, now)).length,
        currentReplicas: counted.filter((pod) => pod.metadata.labels?.[controllerRevisionHashLabel] === current.metadata.name).length,
        updatedReplicas: counted.filter((pod) => pod.metadata.labels?.[controllerRevisionHashLabel] === update.metadata.name).length,
        currentRevision: current.metadata.name,
        updateRevision: update.metadata.name,
        collisionCount,
      };
      // The update is complete when every pod in range runs the update revision: it becomes current.
      const inRangeCount = [...byOrdinal.keys()].filter(inRange).length;
      if (status.updatedReplicas === replicas && inRangeCount === replicas && status.readyReplicas === replicas) {
        status.currentRevision = update.metadata.name;
        status.currentReplicas = status.updatedReplicas;
      }
      if (previousStatus.conditions) status.conditions = previousStatus.conditions;
      if (canonicalJson(status) !== canonicalJson(set.status ?? {})) await sets.updateStatus({ ...set, status }).catch((err) => {
        if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
      });

      const inUse = new Set([status.currentRevision!, status.updateRevision!, ...owned.map((pod) => pod.metadata.labels?.[controllerRevisionHashLabel] ?? '')]);
      await trimRevisions(client, controllerRevisionsResource, all, inUse, spec.revisionHistoryLimit ?? 10);

      // Come back when a ready pod becomes available.
      for (const pod of owned) {
        const since = Date.parse(pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? '');
        const left = since + minReadySeconds * 1000 - now.getTime();
        if (minReadySeconds > 0 && left > 0) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, left + 1);
      }
      return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
    },
  };
}
