/**
 * Tests of the xattr tap: tars with PAX `SCHILY.xattr.` records whose
 * values are binary (bytes over 0x7f, newlines, NULs), read through the tap
 * and then tar-stream, as unpack.ts reads layers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { packTar, paxHeader } from '../../../test/images/build-image.js';
import { MAX_EXTENDED_HEADER_BYTES, parsePaxRecords, TarXattrTap, type Xattrs } from './tar-xattrs.js';

/** cap_net_raw and cap_setuid, permitted and effective (VFS_CAP_REVISION_2): byte 0x80 is not valid UTF-8 on its own. */
const capability = Buffer.from('0100000280200000000000000000000000000000', 'hex');
const binary = Buffer.from([0x00, 0x0a, 0xff, 0x80, 0x3d, 0x20, 0x0a]);

/** Reads a tar through the tap and tar-stream, in chunks of `chunkSize`, and says each entry's xattrs as hex. */
async function xattrsByEntry(tar: Buffer, chunkSize = tar.length): Promise<Record<string, Record<string, string>>> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < tar.length; at += chunkSize) chunks.push(tar.subarray(at, at + chunkSize));
  const tap = new TarXattrTap();
  const reader = extract();
  const seen: Record<string, Record<string, string>> = {};
  reader.on('entry', (header: Header, stream, next) => {
    const xattrs: Xattrs | undefined = tap.xattrsAt((header as Header & { byteOffset: number }).byteOffset);
    seen[header.name] = Object.fromEntries([...(xattrs ?? [])].map(([name, value]) => [name, value.toString('hex')]));
    stream.on('end', () => next());
    stream.resume();
  });
  await pipeline(Readable.from(chunks), tap, reader);
  return seen;
}

const file = (name: string, body: string | Buffer, xattrs?: Record<string, Buffer>) => ({
  header: { name, type: 'file' as const, mode: 0o755, size: Buffer.byteLength(body), mtime: new Date(0) },
  body: Buffer.from(body),
  xattrs: xattrs && Object.fromEntries(Object.entries(xattrs).map(([key, value]) => [`SCHILY.xattr.${key}`, value])),
});

describe('parsePaxRecords', () => {
  const cases: { name: string; data: Buffer; expected: Record<string, string> }[] = [
    { name: 'text records', data: Buffer.from('11 path=ab\n13 uid=12345\n'), expected: { path: '6162', uid: '3132333435' } },
    { name: 'a binary value with a newline, =, and bytes over 0x7f', data: Buffer.concat([Buffer.from('31 SCHILY.xattr.user.b='), binary, Buffer.from('\n')]), expected: { 'SCHILY.xattr.user.b': binary.toString('hex') } },
    { name: 'a length past the end stops the parse', data: Buffer.from('11 path=ab\n99 uid=1\n'), expected: { path: '6162' } },
    { name: 'a record without = stops it', data: Buffer.from('8 abcde\n11 path=ab\n'), expected: {} },
    { name: 'a length that is not a number stops it', data: Buffer.from('x1 path=ab\n'), expected: {} },
  ];
  for (const { name, data, expected } of cases) {
    it(name, () => {
      assert.deepEqual(Object.fromEntries([...parsePaxRecords(data)].map(([key, value]) => [key, value.toString('hex')])), expected);
    });
  }
});

describe('TarXattrTap', () => {
  it('hands each entry its own xattrs byte for byte, whatever the chunking', async () => {
    // A file whose contents are themselves a tar with xattrs: data is skipped, never read as headers.
    const nested = await packTar([file('inner', 'x', { 'user.inner': Buffer.from('no') })]);
    const tar = await packTar([
      file('bin/ping', 'ping', { 'security.capability': capability }),
      file('plain', 'nothing special'),
      file('nested.tar', nested),
      file('data', 'd'.repeat(1500), { 'user.binary': binary, 'user.empty': Buffer.alloc(0) }),
      { header: { name: 'dir/', type: 'directory', mode: 0o755, mtime: new Date(0) }, xattrs: { 'SCHILY.xattr.user.dir': Buffer.from('yes'), mtime: Buffer.from('5') } },
    ]);
    const expected = {
      'bin/ping': { 'security.capability': capability.toString('hex') },
      plain: {},
      'nested.tar': {},
      data: { 'user.binary': binary.toString('hex'), 'user.empty': '' },
      'dir/': { 'user.dir': Buffer.from('yes').toString('hex') },
    };
    for (const chunkSize of [tar.length, 1, 7, 511, 513]) assert.deepEqual(await xattrsByEntry(tar, chunkSize), expected, `chunks of ${chunkSize}`);
  });

  it('applies a global header with a local one, as tar-stream applies global records', async () => {
    const global = paxHeader('global', { 'SCHILY.xattr.user.all': Buffer.from('g') }, 'g');
    const rest = await packTar([file('a', 'a'), file('b', 'b', { 'user.own': Buffer.from('b') })]);
    const seen = await xattrsByEntry(Buffer.concat([global, rest]));
    assert.deepEqual(seen, { a: {}, b: { 'user.all': '67', 'user.own': '62' } });
  });

  it('follows a PAX size over the header’s', async () => {
    // The ustar size field says 0; the PAX record says 600: the tap must skip 600 bytes (two blocks) of data.
    const body = Buffer.alloc(600, 0x61);
    const [entry] = [await packTar([file('big', body)])];
    const header = Buffer.from(entry.subarray(0, 512));
    header.write('00000000000\0', 124, 'latin1');
    header.write('        ', 148, 'latin1');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0`, 148, 'latin1');
    const tar = Buffer.concat([
      paxHeader('big', { size: Buffer.from('600'), 'SCHILY.xattr.user.big': Buffer.from('1') }),
      header,
      entry.subarray(512),
      await packTar([file('after', 'x', { 'user.after': Buffer.from('2') })]),
    ]);
    assert.deepEqual(await xattrsByEntry(tar, 100), { big: { 'user.big': '31' }, after: { 'user.after': '32' } });
  });

  it('refuses a PAX header over 1 MiB', async () => {
    const header = paxHeader('huge', { 'SCHILY.xattr.user.huge': Buffer.alloc(MAX_EXTENDED_HEADER_BYTES) });
    await assert.rejects(xattrsByEntry(Buffer.concat([header, await packTar([file('x', 'x')])])), /PAX header of \d+ bytes/);
  });
});
