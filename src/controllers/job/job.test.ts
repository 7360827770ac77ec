import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchPodFailurePolicy } from './failure-policy.js';
import { formatIndexes, parseIndexes } from './indexes.js';
import type { Pod } from '../util/pods.js';

test('completed indexes are written as sorted ranges and read back', () => {
  assert.equal(formatIndexes([5, 1, 2, 3, 9, 3]), '1-3,5,9');
  assert.equal(formatIndexes([]), '');
  assert.deepEqual([...parseIndexes('1-3,5,9')], [1, 2, 3, 5, 9]);
  assert.deepEqual([...parseIndexes(undefined)], []);
});

test('podFailurePolicy: first matching rule wins; exit code 0 never matches; conditions match too', () => {
  const pod = (exitCode: number, conditions: { type: string; status: string }[] = []): Pod =>
    ({
    metadata: { name: 'p', namespace: 'ns' },
    status: { phase: 'Failed', conditions, containerStatuses: [{ name: 'main', state: { terminated: { exitCode } } }] },
  }) as unknown as Pod;
  const rules = [
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
    { action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
  ];
  assert.equal(matchPodFailurePolicy(rules, pod(1)), undefined);
  assert.deepEqual(matchPodFailurePolicy(rules, pod(42)), { action: 'FailJob', message: 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1' });
  assert.equal(matchPodFailurePolicy(rules, pod(0)), undefined);
  assert.equal(matchPodFailurePolicy(rules, pod(1, [{ type: 'DisruptionTarget', status: 'True' }]))?.action, 'Ignore');
});
