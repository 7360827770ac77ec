import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { buildPauseImageArchive, choosePauseProgram, isStaticElf, SANDBOX_IMAGE, splitImageName, type PauseProgram } from './pause-image.js';

async function untar(archive: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name, Buffer.concat(chunks));
        next();
      });
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  Readable.from(archive).pipe(reader);
  await done;
  return files;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

test('a program needing a dynamic loader is told apart from a static one', { skip: !existsSync('/bin/sh') && 'no /bin/sh' }, () => {
  assert.equal(isStaticElf(readFileSync(process.execPath)), false, 'node is dynamically linked');
  assert.equal(isStaticElf(Buffer.from('#!/bin/sh\n')), false);
  if (existsSync('/usr/bin/catatonit')) assert.equal(isStaticElf(readFileSync('/usr/bin/catatonit')), true);
});

test('the pause program is catatonit when it is static, else busybox-static, else a clear error', () => {
  const choice = choosePauseProgram([
    { source: '/nonexistent/catatonit', path: '/catatonit', entrypoint: ['/catatonit', '-P'], what: 'catatonit -P' },
    { source: process.execPath, path: '/node', entrypoint: ['/node'], what: 'node' },
  ].concat(existsSync('/bin/busybox') ? [{ source: '/bin/busybox', path: '/busybox', entrypoint: ['/busybox', 'sleep', 'infinity'], what: 'busybox' }] : []));
  assert.equal(choice.path, '/busybox');
  assert.match(choice.note, /\/nonexistent\/catatonit is missing; .* is not a statically linked program/);
  assert.throws(() => choosePauseProgram([{ source: '/nonexistent/x', path: '/x', entrypoint: ['/x'], what: 'x' }]), /no program for the pause image: \/nonexistent\/x is missing — install catatonit or busybox-static/);
});

test('the archive is an OCI layout naming the image, its blobs matching their digests, the same each time', async () => {
  const program: PauseProgram = { source: '/bin/sh', path: '/catatonit', entrypoint: ['/catatonit', '-P'], note: 'test' };
  const archive = await buildPauseImageArchive(program, SANDBOX_IMAGE, 'amd64');
  assert.deepEqual(archive, await buildPauseImageArchive(program, SANDBOX_IMAGE, 'amd64'));
  const files = await untar(archive);
  assert.deepEqual(JSON.parse(files.get('oci-layout')!.toString()), { imageLayoutVersion: '1.0.0' });
  for (const [name, body] of files) if (name.startsWith('blobs/')) assert.equal(sha256(body), `sha256:${name.split('/')[2]}`);
  const index = JSON.parse(files.get('index.json')!.toString());
  const [descriptor] = index.manifests;
  assert.deepEqual(descriptor.annotations, { 'io.containerd.image.name': 'skiff.local/pause:3.10', 'org.opencontainers.image.ref.name': '3.10' });
  const blob = (digest: string) => files.get(`blobs/sha256/${digest.slice(7)}`)!;
  const manifest = JSON.parse(blob(descriptor.digest).toString());
  const config = JSON.parse(blob(manifest.config.digest).toString());
  assert.deepEqual(config.config, { User: '65535:65535', Entrypoint: ['/catatonit', '-P'], WorkingDir: '/' });
  assert.equal(config.architecture, 'amd64');
  assert.deepEqual(config.rootfs.diff_ids, [manifest.layers[0].digest]);
  const layer = await untar(blob(manifest.layers[0].digest));
  assert.deepEqual([...layer.keys()], ['catatonit']);
  assert.deepEqual(layer.get('catatonit'), readFileSync('/bin/sh'));
});

test('an image name splits at its tag, not at a registry port', () => {
  assert.deepEqual(splitImageName('skiff.local/pause:3.10'), { repository: 'skiff.local/pause', tag: '3.10' });
  assert.deepEqual(splitImageName('host:5000/pause:3.10'), { repository: 'host:5000/pause', tag: '3.10' });
  assert.throws(() => splitImageName('host:5000/pause'), /expected repository:tag/);
});
