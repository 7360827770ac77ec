import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRuntime } from './runtime.js';

function setup(t: { after(fn: () => void): void }) {
  const logDir = mkdtempSync(join(tmpdir(), 'skiff-logs-'));
  const runtime = new ProcessRuntime({ logDir, hostIP: '127.0.0.1' });
  t.after(() => {
    void runtime.stopAll();
    rmSync(logDir, { recursive: true, force: true });
  });
  return { runtime, logDir };
}

/** Resolves when the container has exited (from the runtime's own events). */
function exitOf(runtime: ProcessRuntime, id: string) {
  return new Promise<NonNullable<Awaited<ReturnType<ProcessRuntime['containerStatus']>>>>((resolve) => {
    runtime.onContainerEvent((_sandbox, status) => {
      if (status.id === id && status.state === 'exited') resolve(status);
    });
    void runtime.containerStatus(id).then((s) => s?.state === 'exited' && resolve(s));
  });
}

test('a container runs its command; its output lands in a CRI log; its exit code is kept', async (t) => {
  const { runtime, logDir } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u1', namespace: 'default', name: 'p' });
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'busybox', command: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'], env: { GREETING: 'hi' } });
  const exited = exitOf(runtime, id);
  await runtime.startContainer(id);
  const status = await exited;
  assert.deepEqual([status.exitCode, status.reason], [3, 'Error']);
  const log = readFileSync(join(logDir, 'pods', 'default_p_u1', 'main', '0.log'), 'utf8');
  assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello\n/m);
  assert.match(log, /stderr F oops\n/);
});

test('stopping sends SIGTERM (exit 143); a container without a command cannot run', async (t) => {
  const { runtime } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u2', namespace: 'default', name: 'q' });
  const sleeper = await runtime.createContainer(sandbox.id, { name: 'sleep', image: 'x', command: ['sleep', '30'] });
  await runtime.startContainer(sleeper);
  assert.equal((await runtime.containerStatus(sleeper))?.state, 'running');
  await runtime.stopContainer(sleeper, 5);
  assert.equal((await runtime.containerStatus(sleeper))?.exitCode, 143);
  const empty = await runtime.createContainer(sandbox.id, { name: 'nothing', image: 'nginx' });
  await runtime.startContainer(empty);
  const status = await runtime.containerStatus(empty);
  assert.equal(status?.reason, 'ContainerCannotRun');
  assert.match(status?.message ?? '', /has none/);
});
