/**
 * Deleting an owner's pods the way every workload controller does it: each
 * with a precondition on its uid (a new pod of the same name is never hit),
 * a SuccessfulDelete event on the owner, and — when the delete fails — the
 * expectation lowered, since that deletion will never be observed.
 */
import type { EventRecorder, ResourceClient } from '../../client/index.js';
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
