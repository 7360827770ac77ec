/**
 * Deleting an owner's pods the way every workload controller does it: each
 * with a precondition on its uid (a new pod of the same name is never hit),
 * a SuccessfulDelete event on the owner, and — when the delete fails — the
 * expectation lowered, since that deletion will never be observed.
 */
import type { EventRecorder, ResourceClient, SharedInformer } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import type { Expectations } from './expectations.js';
import type { Pod } from './pods.js';

export interface PodControl {
  pods: ResourceClient<Pod>;
  recorder: EventRecorder;
  expectations: Expectations;
}

/** Deletes the victims in parallel; a pod already gone (or replaced) is not an error. Returns how many were asked for. */
export async function deletePods(control: PodControl, owner: KubeObject, key: string, victims: Pod[]): Promise<number> {
  await Promise.all(
    victims.map(async (pod) => {
      try {
        await control.pods.delete(pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
        control.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (err) {
        control.expectations.lowerDeletes(key);
        if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
      }
    }),
  );
  return victims.length;
}

/**
 * Creates pods in slow-start batches — 1, 2, 4, … — so a template the
 * apiserver refuses fails after one attempt, not hundreds. A failing batch
 * stops the rest: the expectations are lowered for what will never appear,
 * a FailedCreate event says why, and the error is returned.
 */
export async function createPodsSlowStart(control: PodControl, owner: KubeObject, key: string, newPods: Pod[]): Promise<Error | undefined> {
  control.expectations.expect(key, newPods.length, 0);
  let next = 0;
  for (let batch = 1; next < newPods.length; batch *= 2) {
    const slice = newPods.slice(next, next + batch);
    next += slice.length;
    const results = await Promise.allSettled(slice.map((pod) => control.pods.create(pod)));
    for (const result of results) {
      if (result.status === 'fulfilled') control.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${result.value.metadata.name}`);
    }
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length) {
      control.expectations.lowerAdds(key, failures.length + newPods.length - next);
      const error = failures[0].reason as Error;
      control.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${error.message}`);
      return error;
    }
  }
  return undefined;
}

/**
 * Counts the owner's expectations down as its pods' creations and deletions
 * reach the informer cache. With `deletionSeenAtTimestamp` (pods that hold a
 * finalizer, like Job pods), a deletion counts as seen when the pod gets its
 * deletionTimestamp, since the pod itself lingers until the finalizer goes.
 */
export function observeOwnedPods(informer: SharedInformer<Pod>, expectations: Expectations, ownerKind: string, deletionSeenAtTimestamp = false): void {
  const ownerKey = (pod: Pod) => {
    const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
    return ref?.kind === ownerKind ? `${pod.metadata.namespace}/${ref.name}` : undefined;
  };
  informer.addEventHandler({
    add: (pod) => {
      const key = ownerKey(pod);
      if (key) expectations.observedAdd(key);
    },
    update: (previous, pod) => {
      const key = ownerKey(pod);
      if (deletionSeenAtTimestamp && key && pod.metadata.deletionTimestamp && !previous.metadata.deletionTimestamp) expectations.observedDelete(key);
    },
    delete: (pod) => {
      const key = ownerKey(pod);
      if (key && !(deletionSeenAtTimestamp && pod.metadata.deletionTimestamp)) expectations.observedDelete(key);
    },
  });
}
