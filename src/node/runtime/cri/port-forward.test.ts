import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CriRuntime } from './cri-runtime.js';
import { FakeCriServer } from './fake-cri-server.js';
import { openPortForward } from './port-forward.js';
import { readAll } from '../stream-testing.js';

describe('port-forward through the CRI streaming server', () => {
  let server: FakeCriServer;
  let runtime: CriRuntime;
  let sandboxId: string;

  before(async () => {
    server = new FakeCriServer();
    await server.start();
    runtime = new CriRuntime({ endpoint: server.endpoint, node: 'node-1', hostIP: '192.168.5.5', podLogsDir: '/var/log/pods', relistPeriodMs: 60_000 });
    sandboxId = (await runtime.runPodSandbox({ uid: 'u-1', namespace: 'default', name: 'web' })).id;
  });

  after(async () => {
    await runtime.shutdown();
    await server.stop();
  });

  it('carries bytes both ways, without the port numbers the server sends first', async () => {
    const connection = runtime.portForward(sandboxId, 7);
    const firstReply = new Promise<string>((resolve) => connection.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    connection.write('hello');
    assert.equal(await firstReply, 'HELLO');
    const lastCall = server.calls.filter((call) => call.rpc === 'PortForward').at(-1);
    assert.deepEqual(lastCall?.request, { podSandboxId: sandboxId, port: [7] });
    connection.destroy();
  });

  it('reads a server that speaks first and ends when the pod side ends', async () => {
    assert.deepEqual(await readAll(runtime.portForward(sandboxId, 9)), { text: 'hello from web\n' });
  });

  it("fails with the runtime's words when nothing listens on the port", async () => {
    const result = await readAll(runtime.portForward(sandboxId, 8080));
    assert.match(result.error ?? '', /failed to connect to localhost:8080 inside namespace .*connection refused/);
  });

  it('fails when the sandbox is unknown (the RPC is refused)', async () => {
    const result = await readAll(runtime.portForward('no-such-sandbox', 7));
    assert.match(result.error ?? '', /not found/);
  });

  it('fails, not hangs, when the streaming server is not there', async () => {
    const result = await readAll(openPortForward(Promise.resolve('http://127.0.0.1:1/portforward/x'), 7, { handshakeTimeoutMs: 2000 }));
    assert.match(result.error ?? '', /port-forward connection to the container runtime failed/);
  });

  it('a write after the connection failed gets the failure', async () => {
    const connection = runtime.portForward(sandboxId, 8080);
    const failed = readAll(connection);
    const written = await new Promise<Error | null | undefined>((resolve) => connection.write('x', resolve));
    assert.ok((await failed).error);
    assert.ok(written instanceof Error);
  });
});
