import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { createDeflate } from 'node:zlib';
import { exitStatus, type RemoteCommandConnection } from './exec.js';
import { encodeSynStream, frameTypes, headerDictionary, negotiateStreamProtocol } from './portforward/spdy.js';
import { acceptSpdyRemoteCommand, errorStreamContent, expectedStreams, type RemoteCommandOptions } from './spdy-remotecommand.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

test('the stream protocol: the first the client offers that the server speaks; the oldest when none is named', () => {
  const supported = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
  // Node joins repeated X-Stream-Protocol-Version headers with ", ".
  assert.equal(negotiateStreamProtocol(request({ 'x-stream-protocol-version': 'v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io' }), supported, 'channel.k8s.io'), 'v4.channel.k8s.io');
  assert.equal(negotiateStreamProtocol(request({ 'x-stream-protocol-version': 'v2.channel.k8s.io' }), supported, 'channel.k8s.io'), 'v2.channel.k8s.io');
  assert.equal(negotiateStreamProtocol(request({}), supported, 'channel.k8s.io'), 'channel.k8s.io');
  assert.equal(negotiateStreamProtocol(request({ 'x-stream-protocol-version': 'v9.channel.k8s.io' }), supported, 'channel.k8s.io'), undefined);
});

test('the streams a client opens: the kubelet\'s count (no stderr with a terminal, resize from v3)', () => {
  const options = (o: Partial<RemoteCommandOptions>) => ({ stdin: false, stdout: true, stderr: true, tty: false, ...o });
  assert.deepEqual(expectedStreams(options({}), 'v4.channel.k8s.io'), ['error', 'stdout', 'stderr']);
  assert.deepEqual(expectedStreams(options({ stdin: true, tty: true }), 'v4.channel.k8s.io'), ['error', 'stdin', 'stdout', 'resize']);
  assert.deepEqual(expectedStreams(options({ stdin: true, tty: true }), 'v2.channel.k8s.io'), ['error', 'stdin', 'stdout']);
});

test('the error stream: a Status in v4, its message before', () => {
  const failed = exitStatus(['sh'], 3);
  assert.deepEqual(JSON.parse(errorStreamContent(failed, 'v4.channel.k8s.io').toString()), failed);
  assert.equal(errorStreamContent(failed, 'v3.channel.k8s.io').toString(), failed.message);
  assert.equal(errorStreamContent(exitStatus(['true'], 0), 'v2.channel.k8s.io').length, 0);
});

/** The client end of a SPDY session, as client-go's executor drives it (frames built by hand). */
class TestClient {
  readonly streams = new Map<number, { data: string; fin: boolean }>();
  readonly replies: number[] = [];
  ended = false;
  private pending = Buffer.alloc(0);
  private readonly deflate = createDeflate({ dictionary: headerDictionary });
  response = '';

  constructor(readonly socket: Socket) {
    socket.on('data', (bytes: Buffer) => this.receive(bytes));
    socket.on('end', () => (this.ended = true));
  }

  private receive(bytes: Buffer): void {
    this.pending = Buffer.concat([this.pending, bytes]);
    if (!this.response) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.response = this.pending.subarray(0, end).toString();
      this.pending = this.pending.subarray(end + 4);
    }
    while (this.pending.length >= 8 && this.pending.length >= 8 + this.pending.readUIntBE(5, 3)) {
      const length = this.pending.readUIntBE(5, 3);
      const frame = this.pending.subarray(0, 8 + length);
      this.pending = this.pending.subarray(8 + length);
      if (frame[0] & 0x80) {
        if (frame.readUInt16BE(2) === frameTypes.synReply) this.replies.push(frame.readUInt32BE(8));
        continue;
      }
      const id = frame.readUInt32BE(0);
      const stream = this.streams.get(id) ?? { data: '', fin: false };
      stream.data += frame.subarray(8).toString();
      stream.fin ||= (frame[4] & 1) === 1;
      this.streams.set(id, stream);
    }
  }

  async open(id: number, headers: Record<string, string>): Promise<void> {
    this.socket.write(await encodeSynStream(this.deflate, id, headers));
  }

  send(id: number, data: string, fin = false): void {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(id, 0);
    header.writeUInt32BE(Buffer.byteLength(data), 4);
    header[4] = fin ? 1 : 0;
    this.socket.write(Buffer.concat([header, Buffer.from(data)]));
  }

  close(): void {
    this.deflate.close();
    this.socket.destroy();
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('an exec session over a raw SPDY upgrade: 101, streams by type, stdin in, output and the exit Status out', async () => {
  const sessions: RemoteCommandConnection[] = [];
  const resized: unknown[] = [];
  const server = createServer((socket) => {
    const req = request({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io, v3.channel.k8s.io' });
    acceptSpdyRemoteCommand(req, socket, Buffer.alloc(0), { stdin: true, stdout: true, stderr: true, tty: false }, (connection) => {
      sessions.push(connection);
      connection.output('stdout', Buffer.from('hello '));
      connection.on('stdin', (data: Buffer) => connection.output('stdout', data));
      connection.on('resize', (size) => resized.push(size));
      connection.on('stdinEnd', () => {
        connection.output('stderr', Buffer.from('bye'));
        connection.finish(exitStatus(['cat'], 3));
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new TestClient(connect((server.address() as { port: number }).port, '127.0.0.1'));
  try {
    await until(() => client.response !== '', 'the upgrade answer');
    assert.match(client.response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(client.response, /\r\nUpgrade: SPDY\/3\.1\r\n/);
    assert.match(client.response, /\r\nX-Stream-Protocol-Version: v4\.channel\.k8s\.io$/);
    await client.open(1, { streamtype: 'error' });
    await client.open(3, { streamtype: 'stdin' });
    await client.open(5, { streamtype: 'stdout' });
    assert.equal(sessions.length, 0, 'the session waits for every stream it expects');
    await client.open(7, { streamtype: 'stderr' });
    await until(() => sessions.length === 1, 'the session to start');
    client.send(3, 'typed');
    client.send(3, '', true);
    await until(() => client.ended, 'the server to end the connection');
    assert.deepEqual(client.replies, [1, 3, 5, 7]);
    assert.deepEqual(client.streams.get(5), { data: 'hello typed', fin: true });
    assert.deepEqual(client.streams.get(7), { data: 'bye', fin: true });
    const status = JSON.parse(client.streams.get(1)!.data);
    assert.equal(client.streams.get(1)!.fin, true);
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
    assert.deepEqual(resized, []);
  } finally {
    client.close();
    server.close();
  }
});

test('terminal sizes arrive on the resize stream, one JSON object a line, split anywhere', async () => {
  const sizes: unknown[] = [];
  let closed = false;
  const server = createServer((socket) => {
    acceptSpdyRemoteCommand(request({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' }), socket, Buffer.alloc(0), { stdin: true, stdout: true, stderr: true, tty: true }, (connection) => {
      connection.on('resize', (size) => sizes.push(size));
      connection.on('close', () => (closed = true));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new TestClient(connect((server.address() as { port: number }).port, '127.0.0.1'));
  try {
    for (const [id, type] of [[1, 'error'], [3, 'stdin'], [5, 'stdout'], [7, 'resize']] as const) await client.open(id, { streamtype: type });
    client.send(7, '{"Width":100,"Hei');
    client.send(7, 'ght":40}\n{"Width":120,"Height":50}\n');
    await until(() => sizes.length === 2, 'two sizes');
    assert.deepEqual(sizes, [{ width: 100, height: 40 }, { width: 120, height: 50 }]);
    client.socket.destroy();
    await until(() => closed, 'the session to hear the client left');
  } finally {
    client.close();
    server.close();
  }
});

test('a SPDY upgrade offering no protocol the server speaks is refused with 403', async () => {
  const server = createServer((socket) => {
    acceptSpdyRemoteCommand(request({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v9.channel.k8s.io' }), socket, Buffer.alloc(0), { stdin: false, stdout: true, stderr: true, tty: false }, () => assert.fail('no session'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new TestClient(connect((server.address() as { port: number }).port, '127.0.0.1'));
  try {
    await until(() => client.response !== '', 'the answer');
    assert.match(client.response, /^HTTP\/1\.1 403 Forbidden\r\n/);
  } finally {
    client.close();
    server.close();
  }
});

test('stdin sent before the last stream is open is kept for the session, its end too', async () => {
  let received = '';
  const server = createServer((socket) => {
    acceptSpdyRemoteCommand(request({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' }), socket, Buffer.alloc(0), { stdin: true, stdout: true, stderr: false, tty: false }, (connection) => {
      connection.on('stdin', (data: Buffer) => (received += data.toString()));
      connection.on('stdinEnd', () => connection.finish(exitStatus(['cat'], 0)));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new TestClient(connect((server.address() as { port: number }).port, '127.0.0.1'));
  try {
    await client.open(1, { streamtype: 'error' });
    await client.open(3, { streamtype: 'stdin' });
    client.send(3, 'early', true);
    await client.open(5, { streamtype: 'stdout' });
    await until(() => client.ended, 'the session to finish');
    assert.equal(received, 'early');
    assert.deepEqual(JSON.parse(client.streams.get(1)!.data), { metadata: {}, status: 'Success' });
  } finally {
    client.close();
    server.close();
  }
});
