/**
 * The ReplicaSet controller: keeps `spec.replicas` pods matching the
 * ReplicaSet's selector and template.
 *
 * reconcile(key):
 *   1. claim pods: adopt matching orphans, release owned pods that no longer
 *      match, keep the active ones it controls;
 *   2. unless earlier creations/deletions are still on their way to the
 *      cache (expectations), create the missing pods in slow-start batches
 *      (1, 2, 4, … so a broken template fails fast) or delete the surplus,
 *      least valuable first;
 *   3. write status: replicas, fullyLabeledReplicas, readyReplicas,
 *      availableReplicas, observedGeneration, and a ReplicaFailure condition
 *      when pods cannot be created.
 */
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import { selectorFromLabelSelector } from '../../machinery/labels.js';
import type { PodTemplateSpec, ReplicaSet } from '../../api/apps/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey } from '../../client/index.js';
import { Expectations } from '../util/expectations.js';
import { createPodsSlowStart, deletePods, observeOwnedPods } from '../util/pod-control.js';
import { canonicalJson } from '../util/hash.js';
import { controllerRefOf, controllerRefTo } from '../util/owners.js';
import { compareForDeletion, isPodActive, isPodAvailable, isPodReady, podsResource, untilAvailable, type Pod } from '../util/pods.js';
import { replicaSetsResource } from '../resources.js';
import { timestamp } from '../util/time.js';

/** Most pods created or deleted in one reconcile (upstream's burstReplicas). */
const burstReplicas = 500;

interface ReplicaSetCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}


/** The pod a ReplicaSet creates: its template, named after it, owned by it. */
export function podFromTemplate(owner: KubeObject, template: PodTemplateSpec | undefined, ownerRef: OwnerReference): Pod {
  const metadata = structuredClone(template?.metadata ?? {}) as Pod['metadata'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata,
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      ownerReferences: [ownerRef],
    },
    spec: structuredClone(template?.spec ?? {}) as Pod['spec'],
  };
}

export function replicaSetController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const rsInformer = informers.informerFor<ReplicaSet>(replicaSetsResource);
  const podInformer = informers.informerFor<Pod>(podsResource);
  const pods = client.resource<Pod>(podsResource);
  const replicaSets = client.resource<ReplicaSet>(replicaSetsResource);
  const recorder = context.recorder('replicaset-controller');
  const expectations = new Expectations();

  observeOwnedPods(podInformer, expectations, 'ReplicaSet');

  /** Adopts matching orphans and releases owned pods that stopped matching; returns the pods it controls. */
  async function claimPods(rs: ReplicaSet): Promise<Pod[]> {
    const owned: Pod[] = [];
    const namespace = rs.metadata.namespace!;
    // The selector is parsed once per claim, not once per pod; pods another controller owns are skipped first.
    const selector = selectorFromLabelSelector(rs.spec?.selector);
    for (const pod of podInformer.lister.list(namespace)) {
      const ref = controllerRefOf(pod);
      if (ref && ref.uid !== rs.metadata.uid) continue;
      const matches = selector.matches(pod.metadata.labels ?? {});
      if (ref) {
        if (matches || rs.metadata.deletionTimestamp) {
          owned.push(pod);
          continue;
        }
        // Release: the pod's labels no longer match; it is nobody's now.
        await pods
          .patch(namespace, pod.metadata.name!, [{ op: 'test', path: '/metadata/uid', value: pod.metadata.uid }, { op: 'replace', path: '/metadata/ownerReferences', value: (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== rs.metadata.uid) }], 'json')
          .catch(ignoreGone);
        continue;
      }
      if (!matches || pod.metadata.deletionTimestamp || rs.metadata.deletionTimestamp) continue;
      // Adopt an orphan that matches the selector.
      try {
        const adopted = await pods.patch(namespace, pod.metadata.name!, {
          metadata: { ownerReferences: [...(pod.metadata.ownerReferences ?? []), controllerRefTo(rs, 'apps/v1', 'ReplicaSet')], uid: pod.metadata.uid },
        }, 'strategic');
        owned.push(adopted);
      } catch (err) {
        ignoreGone(err);
      }
    }
    return owned;
  }

  function createPods(rs: ReplicaSet, key: string, count: number): Promise<Error | undefined> {
    const ownerRef = controllerRefTo(rs, 'apps/v1', 'ReplicaSet');
    const newPods = Array.from({ length: count }, () => podFromTemplate(rs, rs.spec?.template, ownerRef));
    return createPodsSlowStart({ pods, recorder, expectations }, rs, key, newPods);
  }

  async function deleteVictims(rs: ReplicaSet, key: string, victims: Pod[]): Promise<void> {
    expectations.expect(key, 0, victims.length);
    await deletePods({ pods, recorder, expectations }, rs, key, victims);
  }

  function computeStatus(rs: ReplicaSet, owned: Pod[], createError: Error | undefined, now: Date): NonNullable<ReplicaSet['status']> {
    const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const active = owned.filter(isPodActive);
    const previous = (rs.status?.conditions as ReplicaSetCondition[] | undefined) ?? [];
    const conditions = previous.filter((c) => c.type !== 'ReplicaFailure');
    if (createError) {
      const existing = previous.find((c) => c.type === 'ReplicaFailure');
      conditions.push({
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: createError.message,
        lastTransitionTime: existing?.lastTransitionTime ?? timestamp(now),
      });
    }
    const status: NonNullable<ReplicaSet['status']> = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((pod) => Object.entries(templateLabels).every(([k, v]) => pod.metadata.labels?.[k] === v)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((pod) => isPodAvailable(pod, minReadySeconds, now)).length,
      observedGeneration: rs.metadata.generation,
    };
    if (conditions.length) status.conditions = conditions;
    return status;
  }

  return {
    name: 'replicaset',
    for: replicaSetsResource,
    owns: [podsResource],
    workers: 5,
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const rs = rsInformer.lister.get(namespace, name);
      if (!rs) {
        expectations.delete(key);
        return;
      }
      const owned = await claimPods(rs);
      const active = owned.filter(isPodActive);
      let createError: Error | undefined;
      if (expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
        const diff = active.length - (rs.spec?.replicas ?? 1);
        if (diff < 0) createError = await createPods(rs, key, Math.min(-diff, burstReplicas));
        else if (diff > 0) await deleteVictims(rs, key, [...active].sort(compareForDeletion).slice(0, Math.min(diff, burstReplicas)));
      }
      const now = context.now();
      const status = computeStatus(rs, owned, createError, now);
      if (canonicalJson(status) !== canonicalJson(rs.status ?? {})) {
        await replicaSets.updateStatus({ ...rs, status }).catch(ignoreGone);
      }
      if (createError) throw createError;
      // Come back when a ready pod becomes available.
      const waits = active.map((pod) => untilAvailable(pod, rs.spec?.minReadySeconds ?? 0, now)).filter((ms): ms is number => ms !== undefined);
      if (waits.length) return { requeueAfterMs: Math.min(...waits) + 1 };
      return undefined;
    },
  };
}

function ignoreGone(err: unknown): undefined {
  if (isStatusError(err, 'NotFound') || isStatusError(err, 'Conflict') || isStatusError(err, 'Invalid')) return undefined;
  throw err;
}
