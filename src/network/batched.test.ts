import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BatchedWork } from './batched.js';

/** Resolves once `condition` holds, checking at every turn of the event loop (deadline: 5 s). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('BatchedWork', () => {
  it('retries a failed run with backoff, without another schedule', async () => {
    let runs = 0;
    const errors: string[] = [];
    const work = new BatchedWork(
      async () => {
        runs++;
        if (runs === 1) throw new Error('apply failed');
      },
      (err) => errors.push(err.message),
      1,
      { baseDelayMs: 1 },
    );
    work.schedule();
    await until(() => runs === 2, 'the retry');
    assert.deepEqual(errors, ['apply failed']);
    assert.equal(work.failures, 0);
    work.cancel();
  });

  it('turns a burst of schedules into one run, and never runs twice at once', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const work = new BatchedWork(async () => {
      running++;
      most = Math.max(most, running);
      runs++;
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    }, () => {}, 1);
    for (let i = 0; i < 50; i++) work.schedule();
    await work.now();
    work.schedule();
    await until(() => runs >= 2 && running === 0, 'the runs');
    assert.equal(most, 1);
    work.cancel();
  });

  it('after cancel, now() runs the work once more, after the run under way — a stop cleans up with it', async () => {
    let runs = 0;
    let running = 0;
    let overlapped = false;
    let release: () => void = () => {};
    const work = new BatchedWork(async () => {
      running++;
      if (running > 1) overlapped = true;
      runs++;
      if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
      running--;
    }, () => {}, 1);
    work.schedule();
    await until(() => runs === 1, 'the first run to start');
    work.cancel();
    const last = work.now();
    release();
    await last;
    assert.equal(runs, 2, 'the last run happened');
    assert.equal(overlapped, false, 'and not during the first');
  });
});
