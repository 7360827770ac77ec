import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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

test('logs are rotated past their size, keeping the newest files', async (t) => {
  const logDir = mkdtempSync(join(tmpdir(), 'skiff-rotate-'));
  t.after(() => rmSync(logDir, { recursive: true, force: true }));
  const runtime = new ProcessRuntime({ logDir, hostIP: '127.0.0.1', logMaxBytes: 400, logMaxFiles: 3 });
  const sandbox = await runtime.runPodSandbox({ uid: 'u3', namespace: 'default', name: 'chatty' });
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['sh', '-c', 'i=0; while [ $i -lt 60 ]; do echo line $i; i=$((i+1)); done'] });
  const exited = exitOf(runtime, id);
  await runtime.startContainer(id);
  await exited;
  const dir = join(logDir, 'pods', 'default_chatty_u3', 'main');
  const files = readdirSync(dir).sort();
  assert.equal(files.filter((f) => f !== '0.log').length, 2, `two rotated files kept: ${files.join(' ')}`);
  assert.match(readFileSync(join(dir, '0.log'), 'utf8'), /stdout F line 59\n$/, 'the current file has the newest lines');
});
