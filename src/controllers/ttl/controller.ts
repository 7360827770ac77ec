/**
 * The TTL-after-finished controller: deletes a finished Job (and, through
 * the garbage collector, its pods) `spec.ttlSecondsAfterFinished` seconds
 * after it completed or failed.
 *
 * reconcile(key): a finished Job with a TTL either has expired — delete it,
 * with a precondition on its uid so a new Job of the same name is safe — or
 * is re-queued for the moment it will.
 */
import type { Job } from '../../api/batch/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey } from '../../client/index.js';
import { isStatusError } from '../../machinery/status.js';
import { jobsResource } from '../resources.js';

/** When the Job finished: its completionTime, or its Complete/Failed condition's transition. */
export function finishTime(job: Job): number | undefined {
  const condition = (job.status?.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (!condition) return undefined;
  const text = job.status?.completionTime ?? condition.lastTransitionTime;
  const time = Date.parse(text ?? '');
  return Number.isNaN(time) ? undefined : time;
}

export function ttlAfterFinishedController(context: ControllerContext): ControllerSpec {
  const jobInformer = context.informers.informerFor<Job>(jobsResource);
  const jobs = context.client.resource<Job>(jobsResource);
  return {
    name: 'ttl-after-finished',
    for: jobsResource,
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const job = jobInformer.lister.get(namespace, name);
      const ttl = job?.spec?.ttlSecondsAfterFinished;
      if (!job || ttl === undefined || job.metadata.deletionTimestamp) return undefined;
      const finished = finishTime(job);
      if (finished === undefined) return undefined;
      const left = finished + ttl * 1000 - context.now().getTime();
      if (left > 0) return { requeueAfterMs: left + 1 };
      try {
        await jobs.delete(namespace, name, { propagationPolicy: 'Foreground', preconditions: { uid: job.metadata.uid } });
      } catch (err) {
        if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
      }
      return undefined;
    },
  };
}
