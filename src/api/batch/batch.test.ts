import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cronjobs, jobs, type CronJob, type Job } from './index.js';

function job(spec: Record<string, unknown> = {}): Job {
  return {
    metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } }, ...spec },
  };
}
const create = (obj: Job) => {
  jobs.defaults!(obj);
  jobs.prepareForCreate!(obj);
  return jobs.validate!(obj, { operation: 'create' });
};

describe('batch/v1 Job', () => {
  it('defaults like upstream and generates its selector', () => {
    const obj = job();
    assert.deepEqual(create(obj), []);
    const spec = obj.spec!;
    assert.equal(spec.completions, 1);
    assert.equal(spec.parallelism, 1);
    assert.equal(spec.backoffLimit, 6);
    assert.equal(spec.completionMode, 'NonIndexed');
    assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
    assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
    assert.equal(spec.template!.metadata!.labels!['job-name'], 'pi');
  });
  it('rejects restartPolicy Always and Indexed jobs without completions', () => {
    const always = job();
    delete (always.spec!.template!.spec as Record<string, unknown>).restartPolicy;
    assert.match(JSON.stringify(create(always)), /"field":"spec.template.spec.restartPolicy"/);
    const indexed = job({ completionMode: 'Indexed', parallelism: 2 });
    assert.deepEqual(create(indexed).map((e) => e.field), ['spec.completions']);
  });
  it('keeps the template immutable while running', () => {
    const old = job();
    create(old);
    const changed = structuredClone(old);
    changed.spec!.template!.spec!.containers![0].image = 'perl:2';
    assert.deepEqual(jobs.validateUpdate!(changed, old).map((e) => e.field), ['spec.template']);
  });
  it('prints status, completions and duration', () => {
    const obj = job({ completions: 3 });
    obj.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
    obj.status = { succeeded: 3, startTime: '2024-01-01T00:00:00Z', completionTime: '2024-01-01T00:00:42Z', conditions: [{ type: 'Complete', status: 'True' }] };
    assert.deepEqual(jobs.table!.cells(obj, new Date('2024-01-01T00:05:00Z')).slice(0, 5), ['pi', 'Complete', '3/3', '42s', '5m']);
  });
});

describe('batch/v1 CronJob', () => {
  const cron = (schedule: string, name = 'hello'): CronJob => ({
    metadata: { name, namespace: 'default' },
    spec: { schedule, jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } },
  });
  it('defaults and validates', () => {
    const ok = cron('*/1 * * * *');
    cronjobs.defaults!(ok);
    assert.equal(ok.spec!.concurrencyPolicy, 'Allow');
    assert.equal(ok.spec!.successfulJobsHistoryLimit, 3);
    assert.equal(ok.spec!.failedJobsHistoryLimit, 1);
    assert.deepEqual(cronjobs.validate!(ok, { operation: 'create' }), []);
    const bad = cron('every minute', 'x'.repeat(53));
    cronjobs.defaults!(bad);
    assert.deepEqual(cronjobs.validate!(bad, { operation: 'create' }).map((e) => e.field), ['metadata.name', 'spec.schedule']);
  });
  it('rejects unknown time zones', () => {
    const obj = cron('0 * * * *');
    obj.spec!.timeZone = 'Mars/Olympus';
    cronjobs.defaults!(obj);
    assert.deepEqual(cronjobs.validate!(obj, { operation: 'create' }).map((e) => e.field), ['spec.timeZone']);
  });
});
