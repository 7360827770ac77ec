import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedReads } from './shared-reads.js';

/** A read the test answers by hand, counting how many were started. */
function manualReads() {
  const pending: { resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  const start = () => new Promise<string>((resolve, reject) => pending.push({ resolve, reject }));
  return { pending, start };
}

test('callers asking while a read is under way share it; the next caller after its answer reads anew', async () => {
  const reads = new SharedReads<string>();
  const server = manualReads();
  const together = [reads.read('cm/default/kube-root-ca.crt', server.start), reads.read('cm/default/kube-root-ca.crt', server.start), reads.read('cm/default/other', server.start)];
  assert.equal(server.pending.length, 2, 'one read per object');
  server.pending[0].resolve('v1');
  server.pending[1].resolve('other');
  assert.deepEqual(await Promise.all(together), ['v1', 'v1', 'other']);
  const later = reads.read('cm/default/kube-root-ca.crt', server.start);
  assert.equal(server.pending.length, 3, 'an answered read is not reused');
  server.pending[2].resolve('v2');
  assert.equal(await later, 'v2');
});

test('a failed read fails everyone who joined it, and is not kept', async () => {
  const reads = new SharedReads<string>();
  const server = manualReads();
  const joined = [reads.read('k', server.start), reads.read('k', server.start)];
  server.pending[0].reject(new Error('connection reset'));
  for (const outcome of await Promise.allSettled(joined)) assert.equal(outcome.status === 'rejected' && outcome.reason.message, 'connection reset');
  const retry = reads.read('k', server.start);
  assert.equal(server.pending.length, 2);
  server.pending[1].resolve('ok');
  assert.equal(await retry, 'ok');
});

test('with a reuse window, an answer serves later callers until it is that old; a failure is not kept', async () => {
  let clock = 0;
  const reads = new SharedReads<string>(5000, () => clock);
  const server = manualReads();
  const first = reads.read('k', server.start);
  server.pending[0].resolve('v1');
  assert.equal(await first, 'v1');
  clock = 4999;
  assert.equal(await reads.read('k', server.start), 'v1');
  assert.equal(server.pending.length, 1, 'reused within the window');
  clock = 5000;
  const fresh = reads.read('k', server.start);
  assert.equal(server.pending.length, 2, 'read again once the answer is 5 s old');
  server.pending[1].reject(new Error('gone'));
  await assert.rejects(fresh, /gone/);
  const retried = reads.read('k', server.start);
  assert.equal(server.pending.length, 3, 'a failure is not reused');
  server.pending[2].resolve('v2');
  assert.equal(await retried, 'v2');
});
