import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PodSyncQueue, type PodSyncTarget } from './pod-sync-queue.js';

/** Resolves once `condition` holds, checking at every turn of the event loop (deadline: 5 s). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function target(sync: () => Promise<void>, extra: Partial<PodSyncTarget> = {}): PodSyncTarget & { syncs: number } {
  const t = {
    podKey: 'default/p',
    stopped: false,
    syncs: 0,
    async sync() {
      t.syncs++;
      await sync();
    },
    ...extra,
  };
  return t;
}

describe('PodSyncQueue', () => {
  it('retries a failed sync with backoff, without another request', async () => {
    const logged: unknown[] = [];
    let fail = true;
    const pod = target(async () => {
      if (fail) {
        fail = false;
        throw new Error('runtime: sandbox not created');
      }
    });
    const withLog = new PodSyncQueue({ resyncMs: 0, backoff: { baseDelayMs: 1 }, log: (event) => logged.push(event) });
    withLog.request(pod);
    await until(() => pod.syncs === 2, 'the retry');
    assert.equal(withLog.failures(pod), 0);
    assert.equal((logged[0] as { msg: string }).msg, 'pod sync failed');
    withLog.shutDown();
  });

  it('resyncs a pod that synced fine, periodically, but not a settled one', async () => {
    const queue = new PodSyncQueue({ resyncMs: 1 });
    const running = target(async () => {});
    const finished = target(async () => {}, { settled: true });
    queue.request(running);
    queue.request(finished);
    await until(() => running.syncs >= 3, 'resyncs');
    assert.equal(finished.syncs, 1);
    queue.shutDown();
  });

  it('never syncs one pod twice at once; a request meanwhile gives exactly one more sync', async () => {
    const queue = new PodSyncQueue({ resyncMs: 0 });
    let release!: () => void;
    let concurrent = 0;
    let most = 0;
    const pod = target(async () => {
      concurrent++;
      most = Math.max(most, concurrent);
      if (pod.syncs === 1) await new Promise<void>((resolve) => (release = resolve));
      concurrent--;
    });
    queue.request(pod);
    await until(() => pod.syncs === 1, 'the first sync');
    queue.request(pod);
    queue.request(pod);
    release();
    await queue.idle(pod);
    assert.equal(pod.syncs, 2);
    assert.equal(most, 1);
    queue.shutDown();
  });

  it('drops a stopped target: no sync, no retry', async () => {
    const queue = new PodSyncQueue({ resyncMs: 0 });
    const pod = target(async () => {}, { stopped: true });
    queue.request(pod);
    await queue.idle(pod);
    assert.equal(pod.syncs, 0);
    queue.shutDown();
  });
});
