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
