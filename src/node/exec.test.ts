import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitStatus } from './exec.js';

test('the final status of an exec: Success, or the exit code in upstream words', () => {
  assert.deepEqual(exitStatus(['true'], 0), { metadata: {}, status: 'Success' });
  const failed = exitStatus(['sh', '-c', 'exit 3'], 3);
  assert.equal(failed.reason, 'NonZeroExitCode');
  assert.deepEqual(failed.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
  assert.equal(failed.message, 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3');
});
