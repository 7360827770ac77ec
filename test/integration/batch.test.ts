/**
 * Job, CronJob and TTL-after-finished controllers against a real apiserver.
 * The stand-in node marks pods Running; the tests end them (Succeeded or
 * Failed with an exit code) as a kubelet would, and move the controllers'
 * clock instead of waiting for schedules and backoffs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from '../../src/api/batch/index.js';
import type { ResourceClient } from '../../src/client/index.js';
import type { Pod } from '../../src/controllers/util/pods.js';
import { eventually, resources, startControllerTestCluster, type ControllerTestCluster } from './harness.js';

let cluster: ControllerTestCluster;
let jobs: ResourceClient<Job>;
let cronJobs: ResourceClient<CronJob>;

before(async () => {
  cluster = jobsCluster = await startControllerTestCluster({ controllers: ['job', 'cronjob', 'ttl-after-finished', 'garbagecollector'] });
  jobs = cluster.client.resource<Job>(resources.jobs);
  cronJobs = cluster.client.resource<CronJob>(resources.cronJobs);
});

let jobsCluster: ControllerTestCluster;
after(() => jobsCluster.close());

function job(name: string, namespace: string, spec: NonNullable<Job['spec']> = {}): Job {
  return {
    metadata: { name, namespace },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } }, ...spec },
  };
}

const condition = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** Pods of a job that are running (not finished, not deleting). */
async function runningPods(namespace: string, jobName: string): Promise<Pod[]> {
  return (await cluster.podsOf(namespace)).filter(
    (p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === jobName && !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
  );
}

/** Makes the controllers look again (their requeues run on real time, the tests move the clock). */
async function nudge(resource: ResourceClient<Job> | ResourceClient<CronJob>, namespace: string, name: string): Promise<void> {
  await resource.patch(namespace, name, { metadata: { annotations: { nudge: String(Date.now()) } } });
}

describe('Job controller', () => {
  it('runs parallel pods until completions succeed, counting each pod once, then Complete', async () => {
    await cluster.createNamespace('job-ok');
    await jobs.create(job('pi', 'job-ok', { completions: 3, parallelism: 2 }));
    const first = await eventually(() => runningPods('job-ok', 'pi'), (p) => p.length === 2, 'two pods (parallelism)');
    assert.ok(first.every((p) => p.metadata.finalizers?.includes('batch.kubernetes.io/job-tracking')), 'pods carry the tracking finalizer');
    await eventually(() => jobs.get('job-ok', 'pi'), (j) => j.status?.active === 2 && j.status?.startTime !== undefined, 'status.active 2');
    for (const pod of first) await cluster.finishPod(pod, 'Succeeded');
    const third = await eventually(() => runningPods('job-ok', 'pi'), (p) => p.length === 1 && !first.some((f) => f.metadata.uid === p[0].metadata.uid), 'the third pod (only one more completion needed)');
    await cluster.finishPod(third[0], 'Succeeded');
    const done = await eventually(() => jobs.get('job-ok', 'pi'), (j) => condition(j, 'Complete') !== undefined, 'Complete');
    assert.equal(done.status?.succeeded, 3);
    assert.equal(done.status?.active ?? 0, 0);
    assert.ok(condition(done, 'SuccessCriteriaMet'), 'SuccessCriteriaMet comes with Complete');
    assert.ok(done.status?.completionTime);
    const leftovers = await cluster.podsOf('job-ok');
    assert.ok(leftovers.every((p) => !p.metadata.finalizers?.length), 'finalizers are removed once counted');
  });

  it('fails with BackoffLimitExceeded after backoffLimit failures, waiting out the backoff between attempts', async () => {
    await cluster.createNamespace('job-fail');
    await jobs.create(job('flaky', 'job-fail', { backoffLimit: 1 }));
    const [firstPod] = await eventually(() => runningPods('job-fail', 'flaky'), (p) => p.length === 1, 'the first pod');
    await cluster.finishPod(firstPod, 'Failed', 2);
    await eventually(() => jobs.get('job-fail', 'flaky'), (j) => j.status?.failed === 1, 'one failure counted');
    // The replacement waits 10 s of (controller) time after the failure.
    assert.equal((await runningPods('job-fail', 'flaky')).length, 0, 'no replacement inside the backoff');
    cluster.clock.advance(11_000);
    await nudge(jobs, 'job-fail', 'flaky');
    const [secondPod] = await eventually(() => runningPods('job-fail', 'flaky'), (p) => p.length === 1, 'a replacement after the backoff');
    await cluster.finishPod(secondPod, 'Failed', 2);
    const failed = await eventually(() => jobs.get('job-fail', 'flaky'), (j) => condition(j, 'Failed') !== undefined, 'Failed');
    assert.equal(condition(failed, 'Failed')?.reason, 'BackoffLimitExceeded');
    assert.equal(condition(failed, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
    assert.equal(failed.status?.failed, 2);
  });

  it('Indexed jobs run one pod per index and report completedIndexes', async () => {
    await cluster.createNamespace('job-indexed');
    await jobs.create(job('shards', 'job-indexed', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    const pods = await eventually(() => runningPods('job-indexed', 'shards'), (p) => p.length === 3, 'three indexed pods');
    const indexes = pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(indexes, ['0', '1', '2']);
    const env = (pods[0].spec as { containers: { env?: { name: string }[] }[] }).containers[0].env ?? [];
    assert.ok(env.some((e) => e.name === 'JOB_COMPLETION_INDEX'));
    for (const pod of pods.filter((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] !== '1')) await cluster.finishPod(pod, 'Succeeded');
    await eventually(() => jobs.get('job-indexed', 'shards'), (j) => j.status?.completedIndexes === '0,2', 'completedIndexes 0,2');
    await cluster.finishPod(pods.find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '1')!, 'Succeeded');
    const done = await eventually(() => jobs.get('job-indexed', 'shards'), (j) => condition(j, 'Complete') !== undefined, 'Complete');
    assert.equal(done.status?.completedIndexes, '0-2');
    assert.equal(done.status?.succeeded, 3);
  });

  it('a podFailurePolicy FailJob rule fails the job at once; Ignore does not count', async () => {
    await cluster.createNamespace('job-policy');
    const rules = [
      { action: 'Ignore', onExitCodes: { operator: 'In', values: [137] } },
      { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
    ];
    await jobs.create(job('policy', 'job-policy', { backoffLimit: 6, podFailurePolicy: { rules } }));
    const [first] = await eventually(() => runningPods('job-policy', 'policy'), (p) => p.length === 1, 'the first pod');
    await cluster.finishPod(first, 'Failed', 137);
    const [second] = await eventually(() => runningPods('job-policy', 'policy'), (p) => p.length === 1 && p[0].metadata.uid !== first.metadata.uid, 'an immediate replacement (ignored failure)');
    assert.equal((await jobs.get('job-policy', 'policy')).status?.failed ?? 0, 0, 'the ignored failure is not counted');
    await cluster.finishPod(second, 'Failed', 42);
    const failed = await eventually(() => jobs.get('job-policy', 'policy'), (j) => condition(j, 'Failed') !== undefined, 'Failed');
    assert.equal(condition(failed, 'Failed')?.reason, 'PodFailurePolicy');
    assert.match(condition(failed, 'Failed')?.message ?? '', /failed with exit code 42 matching FailJob rule at index 1/);
  });

  it('activeDeadlineSeconds ends a running job with DeadlineExceeded and deletes its pods', async () => {
    await cluster.createNamespace('job-deadline');
    await jobs.create(job('slow', 'job-deadline', { activeDeadlineSeconds: 30 }));
    await eventually(() => runningPods('job-deadline', 'slow'), (p) => p.length === 1, 'a pod');
    cluster.clock.advance(31_000);
    await nudge(jobs, 'job-deadline', 'slow');
    const failed = await eventually(() => jobs.get('job-deadline', 'slow'), (j) => condition(j, 'Failed') !== undefined, 'Failed');
    assert.equal(condition(failed, 'Failed')?.reason, 'DeadlineExceeded');
    await eventually(() => runningPods('job-deadline', 'slow'), (p) => p.length === 0, 'no pods left running');
  });

  it('suspend deletes the running pods; resuming starts them again', async () => {
    await cluster.createNamespace('job-suspend');
    await jobs.create(job('pausable', 'job-suspend', { parallelism: 2, completions: 2 }));
    await eventually(() => runningPods('job-suspend', 'pausable'), (p) => p.length === 2, 'two pods');
    await jobs.patch('job-suspend', 'pausable', { spec: { suspend: true } });
    const suspended = await eventually(() => jobs.get('job-suspend', 'pausable'), (j) => condition(j, 'Suspended') !== undefined && (j.status?.active ?? 0) === 0, 'Suspended');
    assert.equal(condition(suspended, 'Suspended')?.reason, 'JobSuspended');
    await eventually(() => runningPods('job-suspend', 'pausable'), (p) => p.length === 0, 'pods deleted');
    await jobs.patch('job-suspend', 'pausable', { spec: { suspend: false } });
    await eventually(() => runningPods('job-suspend', 'pausable'), (p) => p.length === 2, 'pods again after resuming');
  });
});

describe('TTL-after-finished controller', () => {
  it('deletes a finished job once its TTL has passed', async () => {
    await cluster.createNamespace('job-ttl');
    await jobs.create(job('brief', 'job-ttl', { ttlSecondsAfterFinished: 60 }));
    const [pod] = await eventually(() => runningPods('job-ttl', 'brief'), (p) => p.length === 1, 'a pod');
    await cluster.finishPod(pod, 'Succeeded');
    await eventually(() => jobs.get('job-ttl', 'brief'), (j) => condition(j, 'Complete') !== undefined, 'Complete');
    assert.ok(await jobs.find('job-ttl', 'brief'), 'kept while the TTL runs');
    cluster.clock.advance(61_000);
    await nudge(jobs, 'job-ttl', 'brief');
    await eventually(() => jobs.find('job-ttl', 'brief'), (j) => j === undefined, 'the job deleted');
    await eventually(() => cluster.podsOf('job-ttl'), (p) => p.length === 0, 'its pods collected');
  });
});

describe('CronJob controller', () => {
  // A cluster of its own: its clock must not carry the jumps the Job tests made.
  let cronCluster: ControllerTestCluster;
  before(async () => {
    cronCluster = await startControllerTestCluster({ controllers: ['job', 'cronjob', 'garbagecollector'] });
    cluster = cronCluster;
    jobs = cluster.client.resource<Job>(resources.jobs);
    cronJobs = cluster.client.resource<CronJob>(resources.cronJobs);
  });
  after(() => cronCluster.close());

  it('creates a Job per scheduled minute, records it, and keeps the history limits', async () => {
    cluster.clock.stopAtRealTime();
    await cluster.createNamespace('cron');
    await cronJobs.create({
      metadata: { name: 'tick', namespace: 'cron' },
      spec: {
        schedule: '* * * * *',
        successfulJobsHistoryLimit: 1,
        jobTemplate: { metadata: { labels: { from: 'tick' } }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'busybox' }] } } } },
      },
    });
    const jobsOf = () => jobs.list('cron').then((l) => l.items);
    cluster.clock.advance(60_000);
    await nudge(cronJobs, 'cron', 'tick');
    const [first] = await eventually(jobsOf, (items) => items.length === 1, 'the first Job');
    assert.match(first.metadata.name!, /^tick-\d+$/);
    assert.equal(first.metadata.labels?.from, 'tick');
    assert.ok(first.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']);
    assert.equal(first.metadata.ownerReferences?.[0]?.kind, 'CronJob');
    const recorded = await eventually(() => cronJobs.get('cron', 'tick'), (c) => (c.status?.active?.length ?? 0) === 1 && c.status?.lastScheduleTime !== undefined, 'status.active and lastScheduleTime');
    assert.equal((recorded.status?.active?.[0] as { name: string }).name, first.metadata.name);

    // Finish it, then the next minute's Job; with a history limit of 1 only the newest finished Job stays.
    const [pod] = await eventually(() => runningPods('cron', first.metadata.name!), (p) => p.length === 1, 'the first job pod');
    await cluster.finishPod(pod, 'Succeeded');
    await eventually(() => cronJobs.get('cron', 'tick'), (c) => !c.status?.active?.length && c.status?.lastSuccessfulTime !== undefined, 'lastSuccessfulTime');
    cluster.clock.advance(60_000);
    await nudge(cronJobs, 'cron', 'tick');
    const both = await eventually(jobsOf, (items) => items.length === 2, 'the second Job');
    const second = both.find((j) => j.metadata.name !== first.metadata.name)!;
    const [secondPod] = await eventually(() => runningPods('cron', second.metadata.name!), (p) => p.length === 1, 'the second job pod');
    await cluster.finishPod(secondPod, 'Succeeded');
    await eventually(jobsOf, (items) => items.length === 1 && items[0].metadata.name === second.metadata.name, 'the first Job pruned from the history');
  });

  it('Forbid skips a run while one is active; Replace swaps it; suspend stops scheduling', async () => {
    cluster.clock.stopAtRealTime();
    await cluster.createNamespace('cron-policy');
    const template = { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } };
    await cronJobs.create({ metadata: { name: 'forbid', namespace: 'cron-policy' }, spec: { schedule: '*/1 * * * *', concurrencyPolicy: 'Forbid', jobTemplate: template } });
    await cronJobs.create({ metadata: { name: 'replace', namespace: 'cron-policy' }, spec: { schedule: '@every 1m', concurrencyPolicy: 'Replace', jobTemplate: template } });
    await cronJobs.create({ metadata: { name: 'paused', namespace: 'cron-policy' }, spec: { schedule: '* * * * *', suspend: true, jobTemplate: template } });
    const jobsOf = (owner: string) => jobs.list('cron-policy').then((l) => l.items.filter((j) => j.metadata.ownerReferences?.[0]?.name === owner && !j.metadata.deletionTimestamp));
    cluster.clock.advance(61_000);
    for (const name of ['forbid', 'replace', 'paused']) await nudge(cronJobs, 'cron-policy', name);
    const [forbidFirst] = await eventually(() => jobsOf('forbid'), (items) => items.length === 1, 'forbid: the first Job');
    const [replaceFirst] = await eventually(() => jobsOf('replace'), (items) => items.length === 1, 'replace: the first Job');
    cluster.clock.advance(61_000);
    for (const name of ['forbid', 'replace', 'paused']) await nudge(cronJobs, 'cron-policy', name);
    await eventually(() => jobsOf('replace'), (items) => items.length === 1 && items[0].metadata.uid !== replaceFirst.metadata.uid, 'replace: the running Job replaced');
    const forbidJobs = await jobsOf('forbid');
    assert.deepEqual(forbidJobs.map((j) => j.metadata.uid), [forbidFirst.metadata.uid], 'forbid: no second Job while the first runs');
    assert.equal((await jobsOf('paused')).length, 0, 'a suspended CronJob creates nothing');
  });
});
