import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore, DigestMismatchError, digestHex, sha256Digest } from './content-store.js';

const root = mkdtempSync(join(tmpdir(), 'skiff-content-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('content store', () => {
  it('keeps a blob under its digest once its bytes match it', async () => {
    const store = new ContentStore(join(root, 'a'));
    const data = Buffer.from('layer bytes '.repeat(1000));
    const digest = sha256Digest(data);
    const ingest = await store.ingest(digest);
    assert.equal(ingest.offset, 0);
    await ingest.write(Readable.from([data.subarray(0, 100), data.subarray(100)]), data.length);
    assert.equal(store.has(digest), true);
    assert.deepEqual(store.read(digest), data);
    assert.deepEqual(store.list(), [{ digest, size: data.length }]);
  });

  it('never keeps wrong bytes: a mismatch fails, and leaves neither blob nor partial file', async () => {
    const store = new ContentStore(join(root, 'b'));
    const digest = sha256Digest('the real content');
    const ingest = await store.ingest(digest);
    await assert.rejects(ingest.write(Readable.from([Buffer.from('something else')])), DigestMismatchError);
    assert.equal(store.has(digest), false);
    assert.deepEqual(readdirSync(join(root, 'b', 'ingest')), []);
    assert.throws(() => store.put(digest, Buffer.from('not it')), DigestMismatchError);
  });

  it('stops reading a blob that grows past the size its manifest says', async () => {
    const store = new ContentStore(join(root, 'c'));
    const data = Buffer.alloc(4096, 7);
    const ingest = await store.ingest(sha256Digest(data));
    await assert.rejects(ingest.write(Readable.from([data]), 100), /larger than the 100 bytes/);
  });

  it('continues a download cut short, and checks the whole blob', async () => {
    const store = new ContentStore(join(root, 'd'));
    const data = Buffer.from('0123456789'.repeat(500));
    const digest = sha256Digest(data);
    // What a killed pull left behind: the first 1,234 bytes.
    writeFileSync(join(root, 'd', 'ingest', `sha256-${digestHex(digest)}.partial`), data.subarray(0, 1234));
    const ingest = await store.ingest(digest);
    assert.equal(ingest.offset, 1234);
    await ingest.write(Readable.from([data.subarray(1234)]), data.length);
    assert.deepEqual(store.read(digest), data);
  });

  it('starts over when the source sends the whole blob again (no Range support)', async () => {
    const store = new ContentStore(join(root, 'e'));
    const data = Buffer.from('abcdef'.repeat(300));
    const digest = sha256Digest(data);
    writeFileSync(join(root, 'e', 'ingest', `sha256-${digestHex(digest)}.partial`), Buffer.from('garbage from an earlier attempt'));
    const ingest = await store.ingest(digest);
    await ingest.write(Readable.from([data]), data.length, 0);
    assert.deepEqual(store.read(digest), data);
  });

  it('refuses digests that are not sha256 (a digest names a file)', () => {
    assert.throws(() => digestHex('sha256:../../etc/passwd'), /unsupported digest/);
    assert.throws(() => digestHex('sha512:abc'), /unsupported digest/);
    const store = new ContentStore(join(root, 'f'));
    assert.equal(existsSync(join(root, 'f', 'blobs', 'sha256')), true);
  });

  it('sweeps only what is abandoned: old partial downloads and half-written blobs, not young ones', () => {
    const store = new ContentStore(join(root, 'g'));
    const partial = join(root, 'g', 'ingest', `sha256-${'c'.repeat(64)}.partial`);
    const temporary = join(root, 'g', 'blobs', 'sha256', `${'d'.repeat(64)}.1.abcd.tmp`);
    writeFileSync(partial, 'some bytes');
    writeFileSync(temporary, 'half');
    store.removeAbandoned(Date.now());
    assert.equal(existsSync(partial), true, 'a young partial download stays, to be continued');
    assert.equal(existsSync(temporary), true, 'a young temporary blob may be another process writing');
    store.removeAbandoned(Date.now() + 25 * 60 * 60_000);
    assert.equal(existsSync(partial), false);
    assert.equal(existsSync(temporary), false);
  });
});
