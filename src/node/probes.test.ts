import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { runProbe, type ProbeTarget } from './probes.js';
import { ExecTimeoutError, type ExecProcess, type ExecSyncResult } from './runtime/runtime.js';

/** A runtime's exec, played by a shell on this machine with one variable set. */
function shellExec(env: Record<string, string>): NonNullable<ProbeTarget['exec']> {
  return (command): ExecProcess => {
    const child = spawn(command[0], command.slice(1), { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return {
      stdout: child.stdout,
      stderr: child.stderr,
      resize: () => {},
      kill: () => child.kill('SIGKILL'),
      done: new Promise((resolve) => child.on('close', (code) => resolve({ exitCode: code }))),
    };
  };
}

test('exec, httpGet (2xx/3xx pass) and tcpSocket probes', async (t) => {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/bad' ? 500 : req.url === '/moved' ? 302 : 200;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const target = { host: '127.0.0.1', exec: shellExec({ WORD: 'yes' }), ports: { web: port } };
  assert.equal((await runProbe({ exec: { command: ['sh', '-c', 'test "$WORD" = yes'] } }, target)).ok, true);
  assert.deepEqual(await runProbe({ exec: { command: ['sh', '-c', 'echo broken; exit 1'] } }, target), { ok: false, output: 'broken' });
  assert.deepEqual(await runProbe({ exec: { command: ['sleep', '5'] }, timeoutSeconds: 0.2 }, target), { ok: false, output: 'command timed out after 0.2s' });
  // Never on the node: a runtime that cannot run commands in the container fails the probe.
  assert.deepEqual(await runProbe({ exec: { command: ['true'] } }, { host: '127.0.0.1', ports: {} }), { ok: false, output: 'the container runtime cannot run commands' });
  assert.equal((await runProbe({ httpGet: { path: '/', port: 'web' } }, target)).ok, true);
  assert.equal((await runProbe({ httpGet: { path: '/moved', port } }, target)).ok, true);
  assert.deepEqual(await runProbe({ httpGet: { path: '/bad', port } }, target), { ok: false, output: 'HTTP probe failed with statuscode: 500' });
  assert.equal((await runProbe({ tcpSocket: { port } }, target)).ok, true);
  server.close();
  assert.equal((await runProbe({ tcpSocket: { port } }, target)).ok, false);
});

/** A runtime's execSync, recorded: each call's command, timeout and signal; it answers as `answer` says. */
function recordedExecSync(answer: (command: string[], signal?: AbortSignal) => Promise<ExecSyncResult>) {
  const calls: { command: string[]; timeoutSeconds: number; signal?: AbortSignal }[] = [];
  const execSync: NonNullable<ProbeTarget['execSync']> = (command, timeoutSeconds, signal) => {
    calls.push({ command, timeoutSeconds, ...(signal ? { signal } : {}) });
    return answer(command, signal);
  };
  return { calls, execSync };
}

const result = (exitCode: number, stdout = '', stderr = ''): ExecSyncResult => ({ exitCode, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr) });

test('exec probes go through the runtime’s ExecSync when it has one, with the probe’s timeout', async () => {
  let streamed = 0;
  const { calls, execSync } = recordedExecSync(async (command) => (command[0] === 'ok' ? result(0) : result(1, 'out\n', 'err\n')));
  const target: ProbeTarget = { host: '127.0.0.1', ports: {}, execSync, exec: () => (streamed++, undefined) };
  assert.deepEqual(await runProbe({ exec: { command: ['ok'] }, timeoutSeconds: 3 }, target), { ok: true, output: 'command exited with 0' });
  // stdout then stderr, as the kubelet joins them.
  assert.deepEqual(await runProbe({ exec: { command: ['fail'] } }, target), { ok: false, output: 'out\nerr' });
  assert.deepEqual(
    calls.map(({ command, timeoutSeconds }) => [command, timeoutSeconds]),
    [
      [['ok'], 3],
      [['fail'], 1],
    ],
  );
  assert.equal(streamed, 0);
});

test('an ExecSync probe’s output is cut to 10 KiB, and an empty one says the exit code', async () => {
  const { execSync } = recordedExecSync(async (command) => (command[0] === 'big' ? result(1, 'x'.repeat(20_000), 'tail') : result(3)));
  const target: ProbeTarget = { host: '127.0.0.1', ports: {}, execSync };
  assert.equal((await runProbe({ exec: { command: ['big'] } }, target)).output, 'x'.repeat(10 * 1024));
  assert.deepEqual(await runProbe({ exec: { command: ['quiet'] } }, target), { ok: false, output: 'command exited with 3' });
});

test('an ExecSync probe that runs past its timeout fails as the streaming one does, and its call is cancelled', async () => {
  // A command that never ends by itself: only the cancellation ends the call.
  const { calls, execSync } = recordedExecSync(
    (_command, signal) => new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('ExecSync: Call cancelled')))),
  );
  const target: ProbeTarget = { host: '127.0.0.1', ports: {}, execSync };
  assert.deepEqual(await runProbe({ exec: { command: ['sleep', '5'] }, timeoutSeconds: 0.2 }, target), { ok: false, output: 'command timed out after 0.2s' });
  assert.equal(calls[0].timeoutSeconds, 0.2);
  assert.equal(calls[0].signal?.aborted, true);
  // The runtime's own timeout says the same; other failures say what went wrong.
  const timedOut = recordedExecSync(async (command) => Promise.reject(new ExecTimeoutError(command, 1)));
  assert.deepEqual(await runProbe({ exec: { command: ['sleep', '5'] }, timeoutSeconds: 60 }, { host: '', ports: {}, execSync: timedOut.execSync }), { ok: false, output: 'command timed out after 60s' });
  const failed = recordedExecSync(async () => Promise.reject(new Error('the container is not running')));
  assert.deepEqual(await runProbe({ exec: { command: ['true'] } }, { host: '', ports: {}, execSync: failed.execSync }), { ok: false, output: 'the container is not running' });
});
