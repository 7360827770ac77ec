import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinControllers, selectControllers } from './index.js';

test('--controllers selects the upstream way: *, names and -names', () => {
  const all = Object.keys(builtinControllers);
  assert.deepEqual(selectControllers(), all);
  assert.deepEqual(selectControllers(['*', '-cronjob', '-job']), all.filter((n) => n !== 'cronjob' && n !== 'job'));
  assert.deepEqual(selectControllers(['job', 'deployment']), ['deployment', 'job']);
  assert.throws(() => selectControllers(['*', '-jobs']), /unknown controllers: jobs \(known: .*job.*\)/);
});
