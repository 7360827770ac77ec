/**
 * The Job controller: runs pods until enough of them succeed, or gives up.
 *
 * reconcile(key):
 *   1. count finished pods exactly once. Every Job pod carries the
 *      `batch.kubernetes.io/job-tracking` finalizer; a finished pod's uid is
 *      first written to `status.uncountedTerminatedPods`, then its finalizer
 *      is removed, then it moves into `succeeded` / `failed` — so a pod is
 *      neither lost nor counted twice, whatever crashes in between;
 *   2. decide: complete (enough successes), failed (backoffLimit,
 *      activeDeadlineSeconds, a FailJob podFailurePolicy rule), suspended,
 *      or running;
 *   3. running: create pods up to `parallelism` (one per missing index for
 *      `completionMode: Indexed`), after an exponential backoff once pods
 *      have failed; delete the surplus;
 *   4. finishing: set the interim condition (SuccessCriteriaMet or
 *      FailureTarget), delete the remaining pods, and once none is left set
 *      Complete or Failed — what `kubectl wait --for=condition=complete` sees.
 */
import type { Job, JobCondition } from '../../api/batch/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey } from '../../client/index.js';
import { labelSelectorMatches } from '../../machinery/labels.js';
import { isStatusError } from '../../machinery/status.js';
import { Expectations } from '../util/expectations.js';
import { createPodsSlowStart, deletePods, observeOwnedPods } from '../util/pod-control.js';
import { canonicalJson } from '../util/hash.js';
import { controllerRefOf, controllerRefTo } from '../util/owners.js';
import { compareForDeletion, isPodReady, podsResource, type Pod } from '../util/pods.js';
import { jobsResource } from '../resources.js';
import { matchPodFailurePolicy, type PodFailurePolicyRule } from './failure-policy.js';
import { formatIndexes, parseIndexes } from './indexes.js';
import { timestamp } from '../util/time.js';

export const jobTrackingFinalizer = 'batch.kubernetes.io/job-tracking';
export const completionIndexKey = 'batch.kubernetes.io/job-completion-index';

export interface JobControllerOptions {
  /** The first delay before replacing a failed pod; it doubles per failure up to maxBackoffMs (upstream: 10 s, 6 min). */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
}

type JobStatus = NonNullable<Job['status']> & {
  terminating?: number;
  completedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
};


export function conditionTrue(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Complete or Failed: nothing more will happen to this Job. */
export function isJobFinished(job: Job): boolean {
  return conditionTrue(job, 'Complete') || conditionTrue(job, 'Failed');
}

/** Sets a condition, keeping lastTransitionTime when the status does not change. */
function setCondition(status: JobStatus, condition: Omit<JobCondition, 'lastProbeTime' | 'lastTransitionTime'>, now: Date): void {
  const conditions = (status.conditions ??= []);
  const existing = conditions.find((c) => c.type === condition.type);
  const stamp = timestamp(now);
  if (existing) {
    if (existing.status !== condition.status) existing.lastTransitionTime = stamp;
    existing.lastProbeTime = stamp;
    Object.assign(existing, { status: condition.status, reason: condition.reason, message: condition.message });
    return;
  }
  conditions.push({ ...condition, lastProbeTime: stamp, lastTransitionTime: stamp });
}

function indexOf(pod: Pod): number | undefined {
  const text = pod.metadata.annotations?.[completionIndexKey] ?? pod.metadata.labels?.[completionIndexKey];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

function isFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** When a failed pod failed: its containers' finish time, else its last condition change. */
function failedAt(pod: Pod): number | undefined {
  const statuses = (pod.status as { containerStatuses?: { state?: { terminated?: { finishedAt?: string } } }[] } | undefined)?.containerStatuses ?? [];
  const times = statuses.map((s) => Date.parse(s.state?.terminated?.finishedAt ?? '')).filter((t) => !Number.isNaN(t));
  if (times.length) return Math.max(...times);
  const conditionTimes = (pod.status?.conditions ?? []).map((c) => Date.parse(c.lastTransitionTime ?? '')).filter((t) => !Number.isNaN(t));
  return conditionTimes.length ? Math.max(...conditionTimes) : undefined;
}

/** The pod a Job creates for one attempt (at one completion index, for Indexed Jobs). */
export function jobPod(job: Job, index: number | undefined): Pod {
  const template = structuredClone(job.spec?.template ?? {});
  const metadata = template.metadata ?? {};
  const spec = (template.spec ?? {}) as NonNullable<Pod['spec']> & { hostname?: string; containers?: { env?: unknown[] }[] };
  const name = job.metadata.name!;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata,
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      namespace: job.metadata.namespace,
      ownerReferences: [controllerRefTo(job, 'batch/v1', 'Job')],
      finalizers: [jobTrackingFinalizer],
    },
    spec,
  };
  if (index !== undefined) {
    pod.metadata.annotations = { ...pod.metadata.annotations, [completionIndexKey]: String(index) };
    pod.metadata.labels = { ...pod.metadata.labels, [completionIndexKey]: String(index) };
    spec.hostname ??= `${name}-${index}`;
    // Every container learns its index, as upstream injects it.
    for (const container of spec.containers ?? []) {
      container.env = [
        ...(container.env ?? []),
        { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${completionIndexKey}']` } } },
      ];
    }
  }
  return pod;
}

export function jobController(context: ControllerContext, options: JobControllerOptions = {}): ControllerSpec {
  const { client, informers } = context;
  const backoffBaseMs = options.backoffBaseMs ?? 10_000;
  const maxBackoffMs = options.maxBackoffMs ?? 360_000;
  const jobInformer = informers.informerFor<Job>(jobsResource);
  const podInformer = informers.informerFor<Pod>(podsResource);
  const pods = client.resource<Pod>(podsResource);
  const jobs = client.resource<Job>(jobsResource);
  const recorder = context.recorder('job-controller');
  const expectations = new Expectations();

  // Job pods hold a finalizer: a deletion shows first as a deletionTimestamp.
  observeOwnedPods(podInformer, expectations, 'Job', true);

  /** The pods this Job controls (by controller reference and selector). */
  function podsOf(job: Job): Pod[] {
    return podInformer.lister
      .byIndex('ownerUid', job.metadata.uid!)
      .filter((pod) => controllerRefOf(pod)?.uid === job.metadata.uid && labelSelectorMatches(job.spec?.selector, pod.metadata.labels));
  }

  async function removeFinalizer(pod: Pod): Promise<boolean> {
    if (!pod.metadata.finalizers?.includes(jobTrackingFinalizer)) return true;
    try {
      await pods.patch(pod.metadata.namespace, pod.metadata.name!, {
        metadata: { resourceVersion: pod.metadata.resourceVersion, finalizers: pod.metadata.finalizers.filter((f) => f !== jobTrackingFinalizer) },
      }, 'merge');
      return true;
    } catch (err) {
      if (isStatusError(err, 'NotFound')) return true;
      if (isStatusError(err, 'Conflict')) return false;
      throw err;
    }
  }

  async function writeStatus(job: Job, status: JobStatus): Promise<Job> {
    if (canonicalJson(status) === canonicalJson(job.status ?? {})) return job;
    return jobs.updateStatus({ ...job, status });
  }

  async function deleteVictims(job: Job, key: string, victims: Pod[]): Promise<number> {
    if (!victims.length) return 0;
    expectations.expect(key, 0, victims.length);
    return deletePods({ pods, recorder, expectations }, job, key, victims);
  }

  /** Creates the pods (one per index given; undefined for NonIndexed), slow start; returns how many. */
  async function createPods(job: Job, key: string, indexes: (number | undefined)[]): Promise<number> {
    if (!indexes.length) return 0;
    const error = await createPodsSlowStart({ pods, recorder, expectations }, job, key, indexes.map((index) => jobPod(job, index)));
    if (error) throw error;
    return indexes.length;
  }

  return {
    name: 'job',
    for: jobsResource,
    owns: [podsResource],
    workers: 5,
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      let job = jobInformer.lister.get(namespace, name);
      if (!job) {
        expectations.delete(key);
        return;
      }
      const owned = podsOf(job);
      if (isJobFinished(job) || job.metadata.deletionTimestamp) {
        // Finished: release whatever pods remain so they can go away.
        await Promise.all(owned.map(removeFinalizer));
        return;
      }
      if (!expectations.satisfied(key)) return;

      const now = context.now();
      const spec = job.spec ?? {};
      const indexed = spec.completionMode === 'Indexed';
      const status: JobStatus = structuredClone(job.status ?? {}) as JobStatus;
      const uncounted = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
      const finishing = conditionTrue(job, 'SuccessCriteriaMet') || conditionTrue(job, 'FailureTarget');

      // 1a. Finished (or deleted) pods still holding the finalizer become "uncounted".
      const toCount = owned.filter(
        (pod) => pod.metadata.finalizers?.includes(jobTrackingFinalizer) && (isFinished(pod) || pod.metadata.deletionTimestamp),
      );
      let recorded = false;
      for (const pod of toCount) {
        const uid = pod.metadata.uid!;
        if (uncounted.succeeded.includes(uid) || uncounted.failed.includes(uid)) continue;
        // A pod deleted before it finished is a failure — unless the Job itself is ending it.
        if (pod.status?.phase === 'Succeeded') uncounted.succeeded.push(uid);
        else if (!finishing) uncounted.failed.push(uid);
        else continue;
        recorded = true;
      }
      if (recorded) {
        status.uncountedTerminatedPods = uncounted;
        job = await jobs.updateStatus({ ...job, status: structuredClone(status) });
      }

      // 1b. Release them, 1c. then count them.
      const byUid = new Map(owned.map((pod) => [pod.metadata.uid!, pod]));
      const completed = parseIndexes(status.completedIndexes);
      let policyFailure: string | undefined;
      const released = await Promise.all(toCount.map(async (pod) => [pod.metadata.uid!, await removeFinalizer(pod)] as const));
      const releasedUids = new Set(released.filter(([, ok]) => ok).map(([uid]) => uid));
      const countable = (uid: string) => {
        const pod = byUid.get(uid);
        return !pod || releasedUids.has(uid) || !pod.metadata.finalizers?.includes(jobTrackingFinalizer);
      };
      for (const uid of uncounted.succeeded.filter(countable)) {
        const pod = byUid.get(uid);
        const index = pod ? indexOf(pod) : undefined;
        if (indexed) {
          if (index !== undefined && index < (spec.completions ?? 0) && !completed.has(index)) completed.add(index);
        } else {
          status.succeeded = (status.succeeded ?? 0) + 1;
        }
      }
      for (const uid of uncounted.failed.filter(countable)) {
        const pod = byUid.get(uid);
        const verdict = pod ? matchPodFailurePolicy(spec.podFailurePolicy?.rules as PodFailurePolicyRule[] | undefined, pod) : undefined;
        if (verdict?.action === 'Ignore') continue;
        if (verdict?.action === 'FailJob') policyFailure ??= verdict.message;
        status.failed = (status.failed ?? 0) + 1;
      }
      uncounted.succeeded = uncounted.succeeded.filter((uid) => !countable(uid));
      uncounted.failed = uncounted.failed.filter((uid) => !countable(uid));
      status.uncountedTerminatedPods = uncounted;
      if (indexed) {
        status.completedIndexes = formatIndexes(completed);
        status.succeeded = completed.size;
      }

      // 2. Where does the Job stand?
      const alive = owned.filter((pod) => !isFinished(pod) && !pod.metadata.deletionTimestamp);
      const terminating = owned.filter((pod) => !isFinished(pod) && pod.metadata.deletionTimestamp);
      const succeeded = status.succeeded ?? 0;
      const failed = status.failed ?? 0;
      const suspended = spec.suspend === true;
      let requeueAfterMs: number | undefined;
      if (!suspended && !status.startTime) status.startTime = timestamp(now);

      let failure: { reason: string; message: string } | undefined;
      let success = false;
      if (conditionTrue(job, 'FailureTarget')) {
        const target = job.status!.conditions!.find((c) => c.type === 'FailureTarget')!;
        failure = { reason: target.reason ?? 'BackoffLimitExceeded', message: target.message ?? '' };
      } else if (conditionTrue(job, 'SuccessCriteriaMet')) {
        success = true;
      } else if (policyFailure) {
        failure = { reason: 'PodFailurePolicy', message: policyFailure };
      } else if (failed > (spec.backoffLimit ?? 6)) {
        failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      } else if (!suspended && spec.activeDeadlineSeconds !== undefined && status.startTime) {
        const deadline = Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000;
        if (now.getTime() >= deadline) failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
        else requeueAfterMs = deadline - now.getTime() + 1;
      }
      if (!failure && !success) {
        if (spec.completions === undefined) success = succeeded > 0 && alive.length === 0;
        else success = succeeded >= spec.completions;
      }

      if (failure || success) {
        // 4. Finishing: the interim condition first, then no pods, then the final condition.
        if (failure) setCondition(status, { type: 'FailureTarget', status: 'True', ...failure }, now);
        else setCondition(status, { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }, now);
        await deleteVictims(job, key, alive);
        const remaining = owned.filter((pod) => !isFinished(pod) || pod.metadata.finalizers?.includes(jobTrackingFinalizer));
        const settled = alive.length === 0 && terminating.length === 0 && uncounted.succeeded.length === 0 && uncounted.failed.length === 0;
        if (settled || remaining.length === 0) {
          if (failure) {
            setCondition(status, { type: 'Failed', status: 'True', ...failure }, now);
            recorder.event(job, 'Warning', failure.reason, failure.message);
          } else {
            setCondition(status, { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }, now);
            status.completionTime = timestamp(now);
            recorder.event(job, 'Normal', 'Completed', 'Job completed');
          }
          status.active = 0;
          status.ready = 0;
        } else {
          status.active = alive.length;
          status.ready = alive.filter(isPodReady).length;
        }
        status.terminating = terminating.length;
        await writeStatus(job, status);
        return undefined;
      }

      // 3. Running (or suspended): converge the pods.
      let activeNow = alive.length;
      const wasSuspended = conditionTrue(job, 'Suspended');
      if (suspended) {
        if (!wasSuspended) recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
        setCondition(status, { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }, now);
        delete status.startTime;
        activeNow -= await deleteVictims(job, key, alive);
      } else {
        if (wasSuspended) {
          recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
          setCondition(status, { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' }, now);
        }
        const parallelism = spec.parallelism ?? 1;
        // Replacing failed pods waits out an exponential backoff after the newest failure.
        let backoffLeft = 0;
        if (failed > 0) {
          const lastFailure = Math.max(...owned.filter((pod) => pod.status?.phase === 'Failed').map((pod) => failedAt(pod) ?? 0), 0);
          const delay = Math.min(backoffBaseMs * 2 ** Math.min(failed - 1, 30), maxBackoffMs);
          if (lastFailure > 0) backoffLeft = lastFailure + delay - now.getTime();
        }
        if (indexed) {
          const completions = spec.completions ?? 0;
          const byIndex = new Map<number, Pod[]>();
          const invalid: Pod[] = [];
          for (const pod of alive) {
            const index = indexOf(pod);
            if (index === undefined || index >= completions || completed.has(index)) invalid.push(pod);
            else byIndex.set(index, [...(byIndex.get(index) ?? []), pod]);
          }
          // One pod per index: the extras go, as do pods for indexes already done.
          const duplicates = [...byIndex.values()].flatMap((group) => [...group].sort(compareForDeletion).slice(0, group.length - 1));
          const keep = alive.length - invalid.length - duplicates.length;
          const surplus = Math.max(0, keep - parallelism);
          const kept = [...byIndex.values()].map((group) => [...group].sort(compareForDeletion).at(-1)!).sort(compareForDeletion);
          activeNow -= await deleteVictims(job, key, [...invalid, ...duplicates, ...kept.slice(0, surplus)]);
          const missing: number[] = [];
          for (let i = 0; i < completions && missing.length < parallelism - (keep - surplus); i++) {
            if (!completed.has(i) && !byIndex.has(i)) missing.push(i);
          }
          if (missing.length && backoffLeft > 0) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, backoffLeft);
          else activeNow += await createPods(job, key, missing);
        } else {
          let want = parallelism;
          if (spec.completions !== undefined) want = Math.min(want, spec.completions - succeeded);
          else if (succeeded > 0) want = alive.length; // one success: let the others finish, start no more
          want = Math.max(want, 0);
          if (alive.length > want) activeNow -= await deleteVictims(job, key, [...alive].sort(compareForDeletion).slice(0, alive.length - want));
          else if (alive.length < want) {
            if (backoffLeft > 0) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, backoffLeft);
            else activeNow += await createPods(job, key, Array.from({ length: want - alive.length }, () => undefined));
          }
        }
      }
      status.active = activeNow;
      status.ready = alive.filter(isPodReady).length;
      status.terminating = terminating.length;
      await writeStatus(job, status);
      return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
    },
  };
}
