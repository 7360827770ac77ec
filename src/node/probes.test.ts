import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runProbe } from './probes.js';

test('exec, httpGet (2xx/3xx pass) and tcpSocket probes', async (t) => {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/bad' ? 500 : req.url === '/moved' ? 302 : 200;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const target = { host: '127.0.0.1', env: { WORD: 'yes' }, ports: { web: port } };
  assert.equal((await runProbe({ exec: { command: ['sh', '-c', 'test "$WORD" = yes'] } }, target)).ok, true);
  assert.deepEqual(await runProbe({ exec: { command: ['sh', '-c', 'echo broken; exit 1'] } }, target), { ok: false, output: 'broken' });
  assert.equal((await runProbe({ httpGet: { path: '/', port: 'web' } }, target)).ok, true);
  assert.equal((await runProbe({ httpGet: { path: '/moved', port } }, target)).ok, true);
  assert.deepEqual(await runProbe({ httpGet: { path: '/bad', port } }, target), { ok: false, output: 'HTTP probe failed with statuscode: 500' });
  assert.equal((await runProbe({ tcpSocket: { port } }, target)).ok, true);
  server.close();
  assert.equal((await runProbe({ tcpSocket: { port } }, target)).ok, false);
});
