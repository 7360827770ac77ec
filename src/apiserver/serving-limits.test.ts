import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { requestTimeoutMs, timeoutError } from './request-timeout.js';
import { isStatusError } from '../machinery/status.js';
import { connectionCapFor } from './connections.js';
import { raiseDescriptorLimit, readDescriptorLimit } from './descriptor-limit.js';

const url = (query: string) => new URL(`https://skiff/api/v1/pods${query}`);

test('the timeout parameter shortens the deadline, never lengthens it', () => {
  assert.equal(requestTimeoutMs(url(''), 60_000), 60_000);
  assert.equal(requestTimeoutMs(url('?timeout=5s'), 60_000), 5000);
  assert.equal(requestTimeoutMs(url('?timeout=1m30s'), 60_000), 60_000);
  assert.equal(requestTimeoutMs(url('?timeout=250ms'), 60_000), 250);
  // 0 and negative durations mean "no timeout of mine": the server's applies.
  assert.equal(requestTimeoutMs(url('?timeout=0'), 60_000), 60_000);
  assert.equal(requestTimeoutMs(url('?timeout=-5s'), 60_000), 60_000);
});

test('a malformed timeout parameter is 400 BadRequest with upstream wording', () => {
  assert.throws(
    () => requestTimeoutMs(url('?timeout=soon'), 60_000),
    (err) => isStatusError(err, 'BadRequest') && err.message === 'invalid timeout specified in the request URL - time: invalid duration "soon"',
  );
  assert.throws(() => requestTimeoutMs(url('?timeout=5'), 60_000), (err) => isStatusError(err, 'BadRequest'));
});

test('a timed-out request answers 504 Timeout', () => {
  const write = timeoutError(true);
  assert.equal(write.code, 504);
  assert.equal(write.reason, 'Timeout');
  assert.equal(write.message, 'Timeout: request did not complete within requested timeout - context deadline exceeded');
  assert.equal(timeoutError(false).message, 'Timeout: request did not complete within the allotted timeout');
});

test('the connection cap keeps headroom below the descriptor limit', () => {
  assert.equal(connectionCapFor(20_000), 18_000);
  assert.equal(connectionCapFor(1024), 768);
  assert.equal(connectionCapFor(256), 128);
  assert.equal(connectionCapFor(1_048_576), 1_048_576 - 104_857);
});

test('the descriptor limit is read from /proc and raising it says what happened', { skip: process.platform !== 'linux' }, () => {
  const limit = readDescriptorLimit();
  assert.ok(limit && limit.soft > 0 && limit.hard >= limit.soft);
  const events: Record<string, unknown>[] = [];
  const after = raiseDescriptorLimit((event) => events.push(event));
  assert.ok(after && after.soft >= limit.soft);
  assert.equal(events.length, 1);
  assert.match(String(events[0].msg), /descriptor limit/);
});

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

test('a soft limit below the hard one is raised to it with prlimit', { skip: process.platform !== 'linux' || !hasPrlimit }, () => {
  const before = readDescriptorLimit()!;
  if (before.hard < 2048) return;
  spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=1024:${before.hard}`]);
  assert.equal(readDescriptorLimit()!.soft, 1024);
  const events: Record<string, unknown>[] = [];
  const after = raiseDescriptorLimit((event) => events.push(event));
  assert.equal(after?.soft, before.hard);
  assert.equal(readDescriptorLimit()!.soft, before.hard);
  assert.equal(events[0].msg, 'raised the descriptor limit');
});
