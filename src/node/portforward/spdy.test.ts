import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDeflate } from 'node:zlib';
import { decodeHeaderBlock, encodeHeaderBlock, encodeSynStream, frameTypes, headerDictionary, SpdyServerSession } from './spdy.js';

/** Adler-32, the checksum zlib identifies a preset dictionary by. */
function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

test('the header dictionary is SPDY/3\'s, byte for byte (its length and Adler-32 as zlib checks them)', () => {
  assert.equal(headerDictionary.length, 1423);
  assert.equal(adler32(headerDictionary), 3821447106);
});

test('header blocks round-trip', () => {
  const headers = { streamtype: 'data', port: '8080', requestid: '0' };
  assert.deepEqual(decodeHeaderBlock(encodeHeaderBlock(headers)), headers);
});

test('a session answers streams, hands data frames on, echoes pings; frames may arrive split anywhere', async () => {
  const sent: Buffer[] = [];
  const streams: [number, Record<string, string>][] = [];
  const data: [number, string, boolean][] = [];
  const session = new SpdyServerSession((bytes) => void sent.push(bytes), {
    stream: (id, headers) => streams.push([id, headers]),
    data: (id, bytes, fin) => data.push([id, bytes.toString(), fin]),
    reset: () => {},
    close: () => {},
  });
  const deflate = createDeflate({ dictionary: headerDictionary });
  const first = await encodeSynStream(deflate, 1, { streamtype: 'error', port: '80', requestid: '0' });
  const second = await encodeSynStream(deflate, 3, { streamtype: 'data', port: '80', requestid: '0' });
  const dataFrame = Buffer.concat([Buffer.from([0, 0, 0, 3, 1, 0, 0, 5]), Buffer.from('hello')]);
  const ping = Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 7]);
  const all = Buffer.concat([first, second, dataFrame, ping]);
  // Byte by byte: reassembly must not depend on how the WebSocket split them.
  for (let i = 0; i < all.length; i++) session.receive(all.subarray(i, i + 1));
  // Header blocks inflate asynchronously: wait for the three answers (two SYN_REPLYs, the PING), with a deadline.
  const deadline = Date.now() + 5000;
  while (sent.length < 3 || streams.length < 2 || data.length < 1) {
    assert.ok(Date.now() < deadline, `timed out: ${sent.length} frames sent, ${streams.length} streams, ${data.length} data`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.deepEqual(streams, [
    [1, { streamtype: 'error', port: '80', requestid: '0' }],
    [3, { streamtype: 'data', port: '80', requestid: '0' }],
  ]);
  assert.deepEqual(data, [[3, 'hello', true]]);
  const types = sent.map((frame) => (frame[0] & 0x80 ? frame.readUInt16BE(2) : -1));
  assert.deepEqual(types, [frameTypes.synReply, frameTypes.synReply, frameTypes.ping]);
  session.write(3, Buffer.from('back'), true);
  const last = sent[sent.length - 1];
  assert.deepEqual([last.readUInt32BE(0), last[4], last.subarray(8).toString()], [3, 1, 'back']);
  session.close();
  deflate.close();
});

test('a write says when the transport is full, so the producer can wait for drain', () => {
  let full = false;
  const session = new SpdyServerSession(() => !full, { stream: () => {}, data: () => {}, reset: () => {}, close: () => {} });
  assert.equal(session.write(1, Buffer.from('room')), true);
  full = true;
  assert.equal(session.write(1, Buffer.alloc(100_000)), false);
  session.close();
});
