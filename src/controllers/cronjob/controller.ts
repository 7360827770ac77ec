/**
 * The CronJob controller: creates a Job each time the schedule fires.
 *
 * reconcile(key):
 *   1. reconcile `status.active` with the Jobs the CronJob owns: finished
 *      Jobs leave it (and set lastSuccessfulTime when they succeeded);
 *   2. unless suspended, find the most recent scheduled time that has not
 *      run yet (since lastScheduleTime, or creation), in the CronJob's time
 *      zone; skip it when it is older than startingDeadlineSeconds;
 *   3. apply concurrencyPolicy (Allow, Forbid: wait, Replace: delete the
 *      running Jobs) and create the Job, named `<cronjob>-<minutes since the
 *      epoch>` so a retry can never start the same run twice;
 *   4. delete finished Jobs beyond the history limits, oldest first;
 *   5. come back at the next scheduled time.
 *
 * The clock is the controller context's, so tests can make time jump.
 */
import type { CronJob, Job } from '../../api/batch/index.js';
import { nextRun, parseCronSchedule, isKnownTimeZone, type Schedule } from '../../api/batch/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey } from '../../client/index.js';
import { isStatusError } from '../../machinery/status.js';
import { canonicalJson } from '../util/hash.js';
import { controllerRefOf, controllerRefTo } from '../util/owners.js';
import { cronJobsResource, jobsResource } from '../resources.js';
import { conditionTrue, isJobFinished } from '../job/controller.js';
import { timestamp } from '../util/time.js';

export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** More missed start times than this, and the controller says so in an event (upstream's threshold). */
const tooManyMissed = 100;

interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

type CronJobStatus = { active?: ObjectReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string };


/** RFC 3339 in the CronJob's time zone, as the scheduled-timestamp annotation spells it. */
export function rfc3339In(date: Date, timeZone: string | undefined): string {
  if (!timeZone || timeZone === 'UTC' || timeZone === 'Etc/UTC') return timestamp(date);
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(date);
  const offsetText = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(offsetText);
  if (!match) return timestamp(date);
  const offsetMs = (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60_000;
  const local = new Date(date.getTime() + offsetMs).toISOString().replace(/\.\d{3}Z$/, '');
  return `${local}${match[1]}${match[2]}:${match[3]}`;
}

/** The scheduled times after `earliest` up to `now`: the most recent one and how many there were. */
export function missedRuns(schedule: Schedule, earliest: Date, now: Date, timeZone?: string): { mostRecent?: Date; count: number } {
  let mostRecent: Date | undefined;
  let count = 0;
  for (let t = nextRun(schedule, earliest, timeZone); t && t.getTime() <= now.getTime(); t = nextRun(schedule, t, timeZone)) {
    mostRecent = t;
    count++;
    // Past this many, counting on is pointless; jump near the end instead.
    if (count > 10_000) {
      const late = nextRun(schedule, new Date(now.getTime() - 3_600_000 * 24 * 366), timeZone);
      if (late && late.getTime() > t.getTime()) t = new Date(late.getTime() - 1);
    }
  }
  return { mostRecent, count };
}

/**
 * Oldest first, as upstream orders Jobs for trimming: by status.startTime
 * (Jobs not started yet last), equal times by name — so two Jobs the Job
 * controller happened to start in the same second still go in schedule
 * order (a CronJob's Job names carry the scheduled minute).
 */
export function compareJobsByStart(a: Job, b: Job): number {
  const at = a.status?.startTime ? Date.parse(a.status.startTime) : undefined;
  const bt = b.status?.startTime ? Date.parse(b.status.startTime) : undefined;
  if (at === undefined && bt !== undefined) return 1;
  if (at !== undefined && bt === undefined) return -1;
  if (at !== bt && at !== undefined && bt !== undefined) return at - bt;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

export function cronJobController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const cronInformer = informers.informerFor<CronJob>(cronJobsResource);
  const jobInformer = informers.informerFor<Job>(jobsResource);
  const jobs = client.resource<Job>(jobsResource);
  const cronJobs = client.resource<CronJob>(cronJobsResource);
  const recorder = context.recorder('cronjob-controller');

  async function deleteJob(cronJob: CronJob, job: Job): Promise<void> {
    try {
      await jobs.delete(job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Background' });
      recorder.event(cronJob, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
  }

  /** Deletes finished Jobs beyond a history limit, oldest first. */
  async function trimHistory(cronJob: CronJob, finished: Job[], limit: number | undefined): Promise<void> {
    if (limit === undefined) return;
    const oldestFirst = [...finished].sort(compareJobsByStart);
    for (const job of oldestFirst.slice(0, Math.max(0, oldestFirst.length - limit))) await deleteJob(cronJob, job);
  }

  return {
    name: 'cronjob',
    for: cronJobsResource,
    owns: [jobsResource],
    workers: 2,
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const cronJob = cronInformer.lister.get(namespace, name);
      if (!cronJob || cronJob.metadata.deletionTimestamp) return;
      const spec = cronJob.spec ?? {};
      const now = context.now();
      const status: CronJobStatus = structuredClone(cronJob.status ?? {}) as CronJobStatus;
      const owned = jobInformer.lister.byIndex('ownerUid', cronJob.metadata.uid!).filter((job) => controllerRefOf(job)?.uid === cronJob.metadata.uid);

      // 1. Which of its Jobs are still running?
      const ownedByUid = new Map(owned.map((job) => [job.metadata.uid, job]));
      const active: ObjectReference[] = [];
      for (const ref of status.active ?? []) {
        const job = ownedByUid.get(ref.uid);
        if (!job) {
          // Gone from the cache: keep the reference unless the Job is truly gone.
          const exists = await jobs.find(ref.namespace, ref.name!);
          if (exists && exists.metadata.uid === ref.uid && !isJobFinished(exists)) active.push(ref);
          continue;
        }
        if (!isJobFinished(job)) active.push(ref);
      }
      for (const job of owned) {
        if (isJobFinished(job)) {
          if ((status.active ?? []).some((ref) => ref.uid === job.metadata.uid)) {
            const condition = conditionTrue(job, 'Complete') ? 'Complete' : 'Failed';
            recorder.event(cronJob, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${condition}`);
          }
          if (conditionTrue(job, 'Complete') && job.status?.completionTime) {
            if (!status.lastSuccessfulTime || Date.parse(status.lastSuccessfulTime) < Date.parse(job.status.completionTime)) {
              status.lastSuccessfulTime = job.status.completionTime;
            }
          }
        } else if (!active.some((ref) => ref.uid === job.metadata.uid)) {
          active.push({ apiVersion: 'batch/v1', kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion });
        }
      }
      status.active = active;

      // 4. History limits.
      await trimHistory(cronJob, owned.filter((job) => conditionTrue(job, 'Complete')), spec.successfulJobsHistoryLimit);
      await trimHistory(cronJob, owned.filter((job) => conditionTrue(job, 'Failed')), spec.failedJobsHistoryLimit);

      const writeStatus = async () => {
        if (!status.active?.length) delete status.active;
        if (canonicalJson(status) !== canonicalJson(cronJob.status ?? {})) await cronJobs.updateStatus({ ...cronJob, status: status as CronJob['status'] });
      };

      // 2. Is a run due?
      if (spec.timeZone && !isKnownTimeZone(spec.timeZone)) {
        recorder.event(cronJob, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${spec.timeZone}": unknown time zone ${spec.timeZone}`);
        await writeStatus();
        return undefined;
      }
      let schedule: Schedule;
      try {
        schedule = parseCronSchedule(spec.schedule ?? '');
      } catch (err) {
        recorder.event(cronJob, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${spec.schedule}" : ${(err as Error).message}`);
        await writeStatus();
        return undefined;
      }
      if (spec.suspend) {
        await writeStatus();
        return undefined;
      }
      let earliest = new Date(Date.parse(status.lastScheduleTime ?? cronJob.metadata.creationTimestamp ?? timestamp(now)));
      if (spec.startingDeadlineSeconds !== undefined) {
        const horizon = now.getTime() - spec.startingDeadlineSeconds * 1000;
        if (horizon > earliest.getTime()) earliest = new Date(horizon);
      }
      const { mostRecent, count } = missedRuns(schedule, earliest, now, spec.timeZone);
      const next = nextRun(schedule, now, spec.timeZone);
      const requeue = next ? { requeueAfterMs: Math.max(100, next.getTime() - now.getTime() + 100) } : undefined;
      if (!mostRecent) {
        await writeStatus();
        return requeue;
      }
      if (count > tooManyMissed) {
        recorder.event(cronJob, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${count}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
      }
      if (spec.startingDeadlineSeconds !== undefined && mostRecent.getTime() + spec.startingDeadlineSeconds * 1000 < now.getTime()) {
        recorder.event(cronJob, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc3339In(mostRecent, spec.timeZone)}`);
        await writeStatus();
        return requeue;
      }

      // 3. Concurrency, then the Job.
      const jobName = `${cronJob.metadata.name}-${Math.floor(mostRecent.getTime() / 60_000)}`;
      if (owned.some((job) => job.metadata.name === jobName)) {
        status.lastScheduleTime = timestamp(mostRecent);
        await writeStatus();
        return requeue;
      }
      if (status.active.length && spec.concurrencyPolicy === 'Forbid') {
        // Wait: the run starts once the running Job finishes (if still within the deadline).
        await writeStatus();
        return requeue;
      }
      if (status.active.length && spec.concurrencyPolicy === 'Replace') {
        for (const ref of status.active) {
          const job = ownedByUid.get(ref.uid);
          if (job) await deleteJob(cronJob, job);
        }
        status.active = [];
      }
      const template = spec.jobTemplate ?? {};
      const job: Job = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: jobName,
          namespace: cronJob.metadata.namespace,
          labels: { ...template.metadata?.labels },
          annotations: { ...template.metadata?.annotations, [scheduledTimestampAnnotation]: rfc3339In(mostRecent, spec.timeZone) },
          ownerReferences: [controllerRefTo(cronJob, 'batch/v1', 'CronJob')],
        },
        spec: structuredClone(template.spec ?? {}),
      };
      try {
        const created = await jobs.create(job);
        recorder.event(cronJob, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
        status.active.push({ apiVersion: 'batch/v1', kind: 'Job', namespace: created.metadata.namespace, name: created.metadata.name, uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion });
      } catch (err) {
        if (!isStatusError(err, 'AlreadyExists')) {
          recorder.event(cronJob, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
          throw err;
        }
      }
      status.lastScheduleTime = timestamp(mostRecent);
      await writeStatus();
      return requeue;
    },
  };
}
