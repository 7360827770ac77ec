import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servingLimitsFromFlags } from './control-plane.js';

test('the apiserver limit flags read as kube-apiserver reads them', () => {
  assert.deepEqual(servingLimitsFromFlags({}), { maxRequestsInFlight: undefined, maxMutatingRequestsInFlight: undefined, requestTimeoutMs: undefined, minRequestTimeoutSeconds: undefined });
  assert.deepEqual(
    servingLimitsFromFlags({ 'max-requests-inflight': '800', 'max-mutating-requests-inflight': '0', 'request-timeout': '1m30s', 'min-request-timeout': '600' }),
    { maxRequestsInFlight: 800, maxMutatingRequestsInFlight: 0, requestTimeoutMs: 90_000, minRequestTimeoutSeconds: 600 },
  );
  assert.throws(() => servingLimitsFromFlags({ 'request-timeout': '60' }), /--request-timeout 60/);
  assert.throws(() => servingLimitsFromFlags({ 'request-timeout': '0s' }), /--request-timeout/);
  assert.throws(() => servingLimitsFromFlags({ 'max-requests-inflight': '-1' }), /--max-requests-inflight -1/);
});
