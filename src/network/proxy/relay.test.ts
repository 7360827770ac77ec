import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { UdpRelay, type Endpoint } from './relay.js';

/** Waits for a condition, with a deadline. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/** A UDP server on 127.0.0.1 answering `<name>:<datagram>`. */
async function echo(name: string): Promise<{ socket: Socket; endpoint: Endpoint }> {
  const socket = createSocket('udp4');
  socket.on('message', (message, from) => socket.send(`${name}:${message}`, from.port, from.address));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, endpoint: { ip: '127.0.0.1', port: socket.address().port } };
}

async function relayOn(options: Partial<ConstructorParameters<typeof UdpRelay>[1]> & { choose: () => Endpoint | undefined }): Promise<{ relay: UdpRelay; port: number }> {
  const socket = createSocket('udp4');
  const relay = new UdpRelay(socket, options);
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { relay, port: socket.address().port };
}

/** A client socket; `ask` sends and resolves with the reply and where it came from. */
async function client(): Promise<{ socket: Socket; ask: (port: number, text: string) => Promise<{ text: string; from: number }> }> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    socket,
    ask: async (port, text) => {
      const reply = once(socket, 'message') as Promise<[Buffer, { port: number }]>;
      socket.send(text, port, '127.0.0.1');
      const [message, from] = await reply;
      return { text: message.toString(), from: from.port };
    },
  };
}

test('a UDP client keeps its endpoint for its session; replies come from the address it sent to', async () => {
  const a = await echo('a');
  const b = await echo('b');
  let next = 0;
  const { relay, port } = await relayOn({ choose: () => [a.endpoint, b.endpoint][next++ % 2] });
  const one = await client();
  const two = await client();
  try {
    assert.deepEqual(await one.ask(port, 'x'), { text: 'a:x', from: port });
    assert.deepEqual(await one.ask(port, 'y'), { text: 'a:y', from: port }, 'the same endpoint for the same client');
    assert.deepEqual(await two.ask(port, 'z'), { text: 'b:z', from: port }, 'a new client is a new choice');
    assert.equal(relay.sessionCount, 2);
    relay.keepOnly([b.endpoint]);
    assert.equal(relay.sessionCount, 1, "a session to an endpoint that went away ends");
  } finally {
    relay.close();
    for (const s of [a.socket, b.socket, one.socket, two.socket]) s.close();
  }
});

test('no more than maxSessions UDP sessions are kept: the one idle longest makes way', async () => {
  const a = await echo('a');
  const { relay, port } = await relayOn({ choose: () => a.endpoint, maxSessions: 2 });
  const clients = [await client(), await client(), await client()];
  try {
    for (const c of clients) assert.equal((await c.ask(port, 'hi')).text, 'a:hi');
    assert.equal(relay.sessionCount, 2);
    assert.equal((await clients[0].ask(port, 'back')).text, 'a:back', 'an evicted client gets a new session');
    assert.equal(relay.sessionCount, 2);
  } finally {
    relay.close();
    a.socket.close();
    for (const c of clients) c.socket.close();
  }
});

test('a UDP session ends when idle', async () => {
  const a = await echo('a');
  const { relay, port } = await relayOn({ choose: () => a.endpoint, idleMs: 50 });
  const c = await client();
  try {
    assert.equal((await c.ask(port, 'hi')).text, 'a:hi');
    await until(() => relay.sessionCount === 0, 'the idle session to end');
  } finally {
    relay.close();
    a.socket.close();
    c.socket.close();
  }
});

test('without a ready endpoint a datagram is dropped and no session is made; with one it is relayed', async () => {
  const a = await echo('a');
  let asked = 0;
  let endpoint: Endpoint | undefined;
  const { relay, port } = await relayOn({
    choose: () => {
      asked++;
      return endpoint;
    },
  });
  const c = await client();
  try {
    c.socket.send('lost', port, '127.0.0.1');
    await until(() => asked === 1, 'the relay to look for an endpoint');
    assert.equal(relay.sessionCount, 0);
    endpoint = a.endpoint;
    assert.equal((await c.ask(port, 'again')).text, 'a:again');
    assert.equal(relay.sessionCount, 1);
  } finally {
    relay.close();
    a.socket.close();
    c.socket.close();
  }
});
