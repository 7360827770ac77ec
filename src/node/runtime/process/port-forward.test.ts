/**
 * `skiff-shim port-forward` through openShimPortForward: against a server
 * in this test's own network namespace (no namespace to join: any user),
 * and, as root, against a server that listens only on the loopback of a
 * network namespace of its own — what dialling the pod's IP cannot reach.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canIsolate } from './host.js';
import { openShimPortForward } from './port-forward.js';
import { shimBinary } from './shim-client.js';
import { readAll } from '../stream-testing.js';

const binary = shimBinary();

/** A server that answers what it was sent, in capitals, once the client has sent all of it (a half-close). */
async function shoutingServer(): Promise<Server> {
  const server = createServer((socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => socket.end(Buffer.concat(chunks).toString().toUpperCase()));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('skiff-shim port-forward', { skip: !binary && 'skiff-shim is not built (npm run build)' }, () => {
  const servers: Server[] = [];
  after(() => servers.forEach((server) => server.close()));

  it('copies both ways and passes the client\'s half-close on to the server', async () => {
    const server = await shoutingServer();
    servers.push(server);
    const connection = openShimPortForward(binary!, process.pid, (server.address() as AddressInfo).port);
    const answer = readAll(connection);
    connection.end('hello pod');
    assert.deepEqual(await answer, { text: 'HELLO POD' });
  });

  it('says why when nothing listens on the port', async () => {
    const server = await shoutingServer();
    const port = (server.address() as AddressInfo).port;
    server.close();
    const result = await readAll(openShimPortForward(binary!, process.pid, port));
    assert.match(result.error ?? '', new RegExp(`failed to connect to localhost:${port} inside the pod's network namespace: Connection refused`));
  });

  it('says why when the pod\'s process is gone, and refuses bad arguments', async () => {
    assert.match((await readAll(openShimPortForward(binary!, 999_999_999, 80))).error ?? '', /the pod's process 999999999 is gone/);
    assert.match((await readAll(openShimPortForward(binary!, process.pid, 70_000))).error ?? '', /70000 is not a port/);
  });

  it(
    'reaches a server on the loopback of another network namespace',
    { skip: process.getuid?.() !== 0 ? 'needs root (a network namespace)' : !canIsolate() ? 'this machine cannot create namespaces' : spawnSync('ip', ['-V']).error ? 'needs iproute2' : false },
    async () => {
      // A process in a network namespace of its own, its lo up, serving on 127.0.0.1 only.
      const script = `require('node:net').createServer((s) => s.end('inside\\n')).listen(7777, '127.0.0.1', () => console.log('ready'))`;
      const pod = spawn('unshare', ['--net', '--', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" -e "${script.replace(/"/g, '\\"')}"`], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await new Promise<void>((resolve, reject) => {
          pod.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
          pod.once('exit', (code) => reject(new Error(`the namespace's server exited with ${code}`)));
        });
        assert.deepEqual(await readAll(openShimPortForward(binary!, pod.pid!, 7777)), { text: 'inside\n' });
        // The node's own loopback has nothing on that port: the namespace was joined.
        assert.ok((await readAll(openShimPortForward(binary!, process.pid, 7777))).error);
      } finally {
        pod.kill('SIGKILL');
      }
    },
  );
});
