import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runHook } from './hooks.js';
import type { ProbeTarget } from './probes.js';
import type { ExecSyncResult } from './runtime/runtime.js';

test('exec hooks run through the runtime’s ExecSync when it has one: the hook’s time limit is its timeout, none is 0', async () => {
  const calls: { command: string[]; timeoutSeconds: number }[] = [];
  let streamed = 0;
  const target: ProbeTarget = {
    host: '127.0.0.1',
    ports: {},
    exec: () => (streamed++, undefined),
    execSync: async (command, timeoutSeconds): Promise<ExecSyncResult> => {
      calls.push({ command, timeoutSeconds });
      return { exitCode: command[0] === 'fail' ? 2 : 0, stdout: Buffer.from(''), stderr: Buffer.from(command[0] === 'fail' ? 'no such file\n' : '') };
    },
  };
  // preStop: within the grace period.
  assert.equal(await runHook({ exec: { command: ['nginx', '-s', 'quit'] } }, target, 30), undefined);
  // postStart: an exec hook has no time limit (the kubelet's), which ExecSync says with 0.
  assert.equal(await runHook({ exec: { command: ['fail'] } }, target, Infinity), 'no such file');
  assert.deepEqual(calls, [
    { command: ['nginx', '-s', 'quit'], timeoutSeconds: 30 },
    { command: ['fail'], timeoutSeconds: 0 },
  ]);
  assert.equal(streamed, 0);
});
