import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { isLongRunning, MaxInFlightLimit } from './max-in-flight.js';
import { isStatusError } from '../machinery/status.js';
import { parseResourcePath } from './request-info.js';

const user = { username: 'jane', groups: ['developers', 'system:authenticated'] };
const admin = { username: 'skiff-admin', groups: ['system:masters', 'system:authenticated'] };
const request = (method: string) => ({ method }) as IncomingMessage;
const info = (method: string, path: string, watch = false) => parseResourcePath(method, path, watch);

test('watches, exec, attach, port-forward, proxy and logs are long-running; the rest is not', () => {
  assert.equal(isLongRunning(info('GET', '/api/v1/pods', true)), true);
  assert.equal(isLongRunning(info('GET', '/api/v1/watch/pods')), true);
  for (const sub of ['exec', 'attach', 'portforward', 'proxy', 'log']) assert.equal(isLongRunning(info('GET', `/api/v1/namespaces/a/pods/p/${sub}`)), true, sub);
  assert.equal(isLongRunning(info('GET', '/api/v1/pods')), false);
  assert.equal(isLongRunning(info('POST', '/api/v1/namespaces/a/pods')), false);
  assert.equal(isLongRunning(info('PUT', '/api/v1/namespaces/a/pods/p/status')), false);
  assert.equal(isLongRunning(undefined), false);
});

test('read-only and mutating requests have separate limits; one more is 429 with retryAfterSeconds 1', () => {
  const limit = new MaxInFlightLimit(2, 1);
  const list = info('GET', '/api/v1/pods');
  const create = info('POST', '/api/v1/namespaces/a/configmaps');
  const reads = [limit.acquire(request('GET'), '/api/v1/pods', list, user), limit.acquire(request('GET'), '/api/v1/pods', list, user)];
  const write = limit.acquire(request('POST'), '/x', create, user);
  assert.deepEqual(limit.inFlight(), { readOnly: 2, mutating: 1 });
  assert.throws(
    () => limit.acquire(request('GET'), '/api/v1/pods', list, user),
    (err) => isStatusError(err, 'TooManyRequests') && err.code === 429 && err.message === 'Too many requests, please try again later.' && err.status.details?.retryAfterSeconds === 1,
  );
  assert.throws(() => limit.acquire(request('DELETE'), '/x', info('DELETE', '/api/v1/namespaces/a/configmaps/c'), user), (err) => isStatusError(err, 'TooManyRequests'));
  // A non-resource POST counts as mutating, a non-resource GET as read-only.
  assert.throws(() => limit.acquire(request('POST'), '/skiff/v1/join', undefined, user), (err) => isStatusError(err, 'TooManyRequests'));
  assert.deepEqual(limit.rejected, { readOnly: 1, mutating: 2 });
  // Watches, probes and system:masters are served however full the server is.
  limit.acquire(request('GET'), '/api/v1/pods', info('GET', '/api/v1/pods', true), user)();
  limit.acquire(request('GET'), '/readyz', undefined, user)();
  limit.acquire(request('POST'), '/x', create, admin)();
  // A seat given back (twice is once) is free again.
  reads[0]();
  reads[0]();
  write();
  assert.deepEqual(limit.inFlight(), { readOnly: 1, mutating: 0 });
  limit.acquire(request('GET'), '/api/v1/pods', list, user);
  limit.acquire(request('POST'), '/x', create, user);
  reads[1]();
});

test('a limit of 0 means no limit', () => {
  const limit = new MaxInFlightLimit(0, 0);
  for (let i = 0; i < 1000; i++) limit.acquire(request('POST'), '/x', info('POST', '/api/v1/namespaces/a/configmaps'), user);
  assert.equal(limit.inFlight().mutating, 1000);
});
