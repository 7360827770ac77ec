import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineCollector, waitFor } from './wait.js';

test('LineCollector resolves a waiter when its line arrives, split across chunks', async () => {
  const lines = new LineCollector();
  const waiting = lines.waitForLine(/^MODIFIED\s+x/);
  lines.push('ADDED   x\nMODI');
  lines.push('FIED   x\r\n');
  assert.equal(await waiting, 'MODIFIED   x');
  assert.deepEqual(lines.lines, ['ADDED   x', 'MODIFIED   x']);
  // `from` skips lines already seen.
  const next = lines.waitForLine('ADDED', { from: lines.lines.length });
  lines.push('ADDED   y\n');
  assert.equal(await next, 'ADDED   y');
  await assert.rejects(lines.waitForLine('never', { timeoutMs: 50 }), /timed out after 50 ms waiting for a line matching never; lines so far:\nADDED {3}x/);
});

test('waitFor returns the first truthy value and reports the last one on timeout', async () => {
  let calls = 0;
  assert.equal(await waitFor(() => (++calls >= 3 ? 'done' : undefined), { message: 'three calls', intervalMs: 1 }), 'done');
  await assert.rejects(
    waitFor(() => { throw new Error('still broken'); }, { message: 'a fix', timeoutMs: 30, intervalMs: 5 }),
    /timed out after 30 ms waiting for a fix \(last: still broken\)/,
  );
});
