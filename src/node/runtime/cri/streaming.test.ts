import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { CriRuntime } from './cri-runtime.js';
import { FakeCriServer } from './fake-cri-server.js';
import { openRemoteCommand, resultOfStatus, transportFor } from './streaming.js';
import { connectSpdy, dataFrames } from './spdy-transport.js';
import { connectWebSocket, webSocketUrl } from './websocket-transport.js';

function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => stream.on('end', () => resolve(Buffer.concat(chunks).toString())));
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('the streaming protocol’s pieces', () => {
  it('reads the exit code or the failure from the final Status', () => {
    assert.deepEqual(resultOfStatus('{"metadata":{},"status":"Success"}'), { exitCode: 0 });
    assert.deepEqual(resultOfStatus(JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '42' }] } })), { exitCode: 42 });
    assert.deepEqual(resultOfStatus(JSON.stringify({ status: 'Failure', reason: 'InternalError', message: 'cannot exec' })), { exitCode: null, error: 'cannot exec' });
    assert.deepEqual(resultOfStatus(''), { exitCode: null, error: 'the streaming session ended without a status' });
    assert.match(resultOfStatus('not json').error ?? '', /^unreadable status/);
  });

  it('chooses SPDY for sessions that feed stdin, unless told', () => {
    assert.equal(transportFor('auto', true), connectSpdy);
    assert.equal(transportFor('auto', false), connectWebSocket);
    assert.equal(transportFor('websocket', true), connectWebSocket);
    assert.equal(transportFor('spdy', false), connectSpdy);
  });

  it('frames stdin in pieces of at most 32 KiB, FIN on the last', () => {
    const frames = dataFrames(3, Buffer.alloc(40 * 1024, 1), true);
    assert.equal(frames.length, 16 + 40 * 1024);
    assert.deepEqual([frames.readUInt32BE(0), frames[4], frames.readUIntBE(5, 3)], [3, 0, 32 * 1024]);
    const second = 8 + 32 * 1024;
    assert.deepEqual([frames.readUInt32BE(second), frames[second + 4], frames.readUIntBE(second + 5, 3)], [3, 1, 8 * 1024]);
    assert.deepEqual([...dataFrames(5, Buffer.alloc(0), true)], [0, 0, 0, 5, 1, 0, 0, 0]);
  });

  it('turns the server’s URL into a WebSocket one', () => {
    assert.equal(webSocketUrl('http://127.0.0.1:1234/exec/abc'), 'ws://127.0.0.1:1234/exec/abc');
    assert.equal(webSocketUrl('https://127.0.0.1:1234/exec/abc'), 'wss://127.0.0.1:1234/exec/abc');
    assert.throws(() => webSocketUrl('ftp://x/y'), /unexpected URL/);
  });

  it('says why a session never started', async () => {
    for (const transport of ['websocket', 'spdy'] as const) {
      const refused = await openRemoteCommand(Promise.resolve('http://127.0.0.1:1/exec/x'), { stdin: false, transport }).done;
      assert.equal(refused.exitCode, null);
      assert.match(refused.error ?? '', /streaming connection to the container runtime failed: .*ECONNREFUSED/);
      const rpcFailed = await openRemoteCommand(Promise.reject(new Error('Exec: container not found')), { stdin: false, transport }).done;
      assert.deepEqual(rpcFailed, { exitCode: null, error: 'Exec: container not found' });
    }
  });
});

for (const transport of ['websocket', 'spdy'] as const) {
  describe(`exec and attach over ${transport}`, () => {
    let server: FakeCriServer;
    let runtime: CriRuntime;
    let id: string;

    before(async () => {
      server = new FakeCriServer();
      await server.start();
      server.addImage('docker.io/library/busybox:1');
      runtime = new CriRuntime({ endpoint: server.endpoint, streamingTransport: transport, relistPeriodMs: 60_000 });
      const sandbox = await runtime.runPodSandbox({ uid: 'u', namespace: 'default', name: 'p' });
      id = await runtime.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1' });
      await runtime.startContainer(id);
    });

    after(async () => {
      await runtime.shutdown();
      await server.stop();
    });

    it('relays output and exit codes, and says why a command did not run', async () => {
      const spdyBefore = server.spdySessions;
      const echo = runtime.exec(id, ['echo', 'hello', 'world'], { stdin: false })!;
      const [out, err] = [readAll(echo.stdout), readAll(echo.stderr)];
      assert.deepEqual(await echo.done, { exitCode: 0 });
      assert.deepEqual([await out, await err], ['hello world\n', '']);
      assert.equal(server.spdySessions - spdyBefore, transport === 'spdy' ? 1 : 0);
      const stderr = runtime.exec(id, ['stderr', 'oops'], { stdin: false })!;
      const errText = readAll(stderr.stderr);
      stderr.stdout.resume();
      assert.deepEqual(await stderr.done, { exitCode: 0 });
      assert.equal(await errText, 'oops\n');
      assert.deepEqual(await runtime.exec(id, ['exit', '3'], { stdin: false })!.done, { exitCode: 3 });
      const missing = await runtime.exec(id, ['nonexistent'], { stdin: false })!.done;
      assert.equal(missing.exitCode, null);
      assert.match(missing.error ?? '', /executable file not found/);
    });

    it('feeds stdin' + (transport === 'spdy' ? ' and ends it' : ''), async () => {
      const cat = runtime.exec(id, ['cat'], { stdin: true })!;
      const echoed = readAll(cat.stdout);
      cat.stdin!.write('one\n');
      cat.stdin!.write(Buffer.alloc(100 * 1024, 'x'));
      // Over a WebSocket v4 stdin cannot end alone: the fake's cat stops at "EOF" instead.
      if (transport === 'spdy') cat.stdin!.end();
      else cat.stdin!.write('EOF');
      assert.deepEqual(await cat.done, { exitCode: 0 });
      assert.equal(await echoed, 'one\n' + 'x'.repeat(100 * 1024));
    });

    it('starts a terminal at its size, with no stderr', async () => {
      const sized = runtime.exec(id, ['size'], { stdin: false, tty: { width: 120, height: 40 } })!;
      const size = readAll(sized.stdout);
      assert.deepEqual(await sized.done, { exitCode: 0 });
      assert.deepEqual(JSON.parse(await size), { Width: 120, Height: 40 });
      assert.equal(server.calls.filter((c) => c.rpc === 'Exec').at(-1)?.request.stderr, false);
    });

    it('says so when the server refuses the session (a URL used twice)', async () => {
      const url = await runtime.client.exec({ containerId: id, cmd: ['echo', 'once'], tty: false, stdin: false, stdout: true, stderr: true });
      const first = openRemoteCommand(Promise.resolve(url), { stdin: false, transport });
      first.stdout.resume();
      assert.deepEqual(await first.done, { exitCode: 0 });
      const again = await openRemoteCommand(Promise.resolve(url), { stdin: false, transport }).done;
      assert.equal(again.exitCode, null);
      assert.match(again.error ?? '', transport === 'spdy' ? /^the streaming server refused the session: 404/ : /streaming connection to the container runtime failed: Unexpected server response: 404/);
    });

    it('ends a session on kill', async () => {
      const opened = server.streamsOpened;
      const waiting = runtime.exec(id, ['cat'], { stdin: true })!;
      waiting.stdout.resume();
      await until(() => server.streamsOpened > opened, 'the session to connect');
      waiting.kill();
      assert.deepEqual(await waiting.done, { exitCode: 137 });
    });

    it('attaches to the container’s stdio until it exits', async () => {
      const sandbox = await runtime.runPodSandbox({ uid: `a-${transport}`, namespace: 'default', name: 'shell' });
      const shell = await runtime.createContainer(sandbox.id, { name: 'shell', image: 'docker.io/library/busybox:1', stdin: true, stdinOnce: true });
      await runtime.startContainer(shell);
      const output: string[] = [];
      const attached = runtime.attach(shell, (stream, data) => output.push(`${stream}:${data}`))!;
      assert.ok(attached.writeStdin && attached.closeStdin);
      attached.writeStdin!(Buffer.from('ping'));
      await until(() => output.length > 0, 'the echo');
      assert.deepEqual(output, ['stdout:ping']);
      assert.deepEqual(server.calls.filter((c) => c.rpc === 'Attach').at(-1)?.request, { containerId: shell, stdin: true, tty: false, stdout: true, stderr: true });
      server.exitContainer(shell, 7);
      assert.equal(await attached.exited, 7);
    });
  });
}
