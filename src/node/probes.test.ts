import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { runProbe, type ProbeTarget } from './probes.js';
import type { ExecProcess } from './runtime/runtime.js';

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
