import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './workqueue.js';

describe('WorkQueue', () => {
  it('holds a key once however often it is added', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('a');
    queue.add('b');
    assert.equal(queue.length, 2);
    assert.equal(await queue.get(), 'a');
    assert.equal(await queue.get(), 'b');
  });

  it('never hands out a key being processed; re-queues it when done if it changed meanwhile', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    const key = await queue.get();
    queue.add('a'); // changed while processing
    assert.equal(queue.length, 0);
    queue.done(key!);
    assert.equal(queue.length, 1);
    assert.equal(await queue.get(), 'a');
  });

  it('wakes a waiting worker when a key arrives, and with undefined on shutdown', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.add('x');
    assert.equal(await waiting, 'x');
    const idle = queue.get();
    queue.shutDown();
    assert.equal(await idle, undefined);
  });

  it('hands out nothing after shutdown, even with keys still queued (stopping is prompt)', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('b');
    queue.shutDown();
    assert.equal(await queue.get(), undefined);
  });

  it('backs off a failing key exponentially and forgets after success', async () => {
    const queue = new WorkQueue({ baseDelayMs: 1 });
    queue.addRateLimited('k');
    queue.addRateLimited('k');
    assert.equal(queue.retries('k'), 2);
    assert.equal(await queue.get(), 'k'); // arrives after its delay, without a sleep here
    queue.done('k');
    queue.forget('k');
    assert.equal(queue.retries('k'), 0);
    queue.shutDown();
  });

  it('keeps the sooner time when a waiting key is added after a delay again', async () => {
    const queue = new WorkQueue();
    queue.addAfter('k', 3_600_000); // a resync an hour away
    queue.addAfter('k', 1); // a retry soon: it is not held back by the hour
    const keepAlive = setTimeout(() => {}, 10_000); // the queue's timers do not hold the process open
    assert.equal(await queue.get(), 'k');
    clearTimeout(keepAlive);
    queue.shutDown();
  });
});
