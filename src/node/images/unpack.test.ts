/**
 * Tests of unpacking an image layer: tars built here with tar-stream (gzip
 * with zlib, zstd with the zstd program when it is installed), unpacked into
 * temporary directories. What needs root — whiteouts, device nodes, FIFOs,
 * ownership, an overlay mount to check the whiteouts work — is skipped,
 * saying why, when not root or without a built skiff-shim.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { packTar, type TarRecord } from '../../../test/images/build-image.js';
import { shimBinary } from '../runtime/process/shim-client.js';
import { layerCompression, unpackLayer, type LayerCompression } from './unpack.js';

type EntryHeader = Parameters<ReturnType<typeof pack>['entry']>[0];
interface TarEntry {
  header: EntryHeader;
  content?: string | Buffer;
}

async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const { header, content } of entries) {
    await new Promise<void>((resolve, reject) => archive.entry({ mtime: new Date(1_600_000_000_000), ...header }, content ?? '', (err) => (err ? reject(err) : resolve())));
  }
  archive.finalize();
  await collected;
  return Buffer.concat(chunks);
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const hasZstd = (() => {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const zstd = (data: Buffer) => execFileSync('zstd', ['-q', '-c'], { input: data, maxBuffer: 1 << 28 });
const isRoot = process.getuid?.() === 0;
const helper = shimBinary();
const rootSkip = !isRoot ? 'needs root (mknod, setxattr trusted.*, chown)' : !helper ? 'skiff-shim is not built (npm run build, or set SKIFF_SHIM)' : false;

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'skiff-unpack-'));
});
after(() => {
  // Layers keep their read-only directories: not root, we could not remove what is in them.
  if (!isRoot) execFileSync('chmod', ['-R', 'u+rwX', scratch]);
  rmSync(scratch, { recursive: true, force: true });
});

let counter = 0;
/** A fresh parent directory with an `outside` directory beside where the layer goes: nothing may ever land there. */
function place(): { parent: string; target: string; outside: string } {
  const parent = join(scratch, `case-${++counter}`);
  mkdirSync(join(parent, 'outside'), { recursive: true });
  return { parent, target: join(parent, 'layer'), outside: join(parent, 'outside') };
}

/** Unpacks and expects a failure; then neither the layer, nor a temporary directory, nor anything outside is left. */
async function assertRefused(entries: TarEntry[], message: RegExp, options: { nodeHelper?: string } = {}): Promise<void> {
  const { parent, target, outside } = place();
  const tar = await tarOf(entries);
  await assert.rejects(unpackLayer(Readable.from([tar]), 'none', target, options), message);
  assert.deepEqual(readdirSync(parent), ['outside'], 'no layer and no temporary directory left');
  assert.deepEqual(readdirSync(outside), [], 'nothing written outside the layer');
}

const modeOf = (path: string) => lstatSync(path).mode & 0o7777;
const mtimeOf = (path: string) => Math.round(lstatSync(path).mtimeMs);

describe('layerCompression', () => {
  const known: [string, LayerCompression][] = [
    ['application/vnd.oci.image.layer.v1.tar', 'none'],
    ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
    ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
    ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
    ['application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', 'zstd'],
    ['application/vnd.oci.image.layer.nondistributable.v1.tar', 'none'],
    ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.diff.tar.zstd', 'zstd'],
  ];
  for (const [mediaType, compression] of known) it(`${mediaType} → ${compression}`, () => assert.equal(layerCompression(mediaType), compression));

  it('refuses what is not a layer it can unpack', () => {
    assert.throws(() => layerCompression('application/vnd.oci.image.layer.v1.tar+gzip+encrypted'), /unsupported layer media type/);
    assert.throws(() => layerCompression('application/vnd.oci.image.config.v1+json'), /unsupported layer media type/);
    assert.throws(() => layerCompression(''), /unsupported layer media type/);
  });
});

describe('unpackLayer', () => {
  const longName = `deep/${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(100)}.txt`;
  const sample: TarEntry[] = [
    { header: { name: 'etc/', type: 'directory', mode: 0o750, uid: 0, gid: 42, mtime: new Date(1_500_000_000_000) } },
    { header: { name: 'etc/hostname', mode: 0o644 }, content: 'skiff\n' },
    { header: { name: './usr/bin/tool', mode: 0o4755, uid: 1000, gid: 1000 }, content: '#!/bin/sh\necho tool\n' },
    { header: { name: 'usr/bin/tool-too', type: 'link', linkname: 'usr/bin/tool' } },
    { header: { name: 'bin', type: 'symlink', linkname: 'usr/bin' } },
    { header: { name: 'etc/absolute-link', type: 'symlink', linkname: '/etc/hostname' } },
    { header: { name: 'tmp/', type: 'directory', mode: 0o1777 } },
    { header: { name: 'ro/', type: 'directory', mode: 0o555 } },
    { header: { name: 'ro/inside', mode: 0o444 }, content: 'written into a directory that ends read-only' },
    { header: { name: 'etc/dup', mode: 0o600 }, content: 'first' },
    { header: { name: 'etc/dup', mode: 0o640 }, content: 'second wins' },
    { header: { name: '/absolute/file', mode: 0o644 }, content: 'confined to the layer' },
    { header: { name: longName, mode: 0o644 }, content: 'a long name' },
    { header: { name: 'pax-times', mode: 0o644, pax: { mtime: '1650000000.25', uid: '7', gid: '8' } }, content: 'pax' },
    { header: { name: 'big', mode: 0o644 }, content: Buffer.alloc(3 * 1024 * 1024 + 17, 'xyz') },
  ];

  function checkSample(target: string): void {
    assert.equal(readFileSync(join(target, 'etc/hostname'), 'utf8'), 'skiff\n');
    assert.equal(modeOf(join(target, 'etc')), 0o750);
    assert.equal(mtimeOf(join(target, 'etc')), 1_500_000_000_000, 'a directory keeps its mtime though entries were added to it after');
    assert.equal(mtimeOf(join(target, 'etc/hostname')), 1_600_000_000_000);
    assert.equal(modeOf(join(target, 'usr/bin/tool')), 0o4755, 'setuid kept');
    assert.equal(statSync(join(target, 'usr/bin/tool-too')).ino, statSync(join(target, 'usr/bin/tool')).ino, 'hardlink');
    assert.equal(readlinkSync(join(target, 'bin')), 'usr/bin');
    assert.equal(readlinkSync(join(target, 'etc/absolute-link')), '/etc/hostname', 'a symlink target is kept verbatim');
    assert.equal(modeOf(join(target, 'tmp')), 0o1777, 'sticky bit');
    assert.equal(modeOf(join(target, 'ro')), 0o555);
    assert.equal(readFileSync(join(target, 'ro/inside'), 'utf8'), 'written into a directory that ends read-only');
    assert.equal(readFileSync(join(target, 'etc/dup'), 'utf8'), 'second wins');
    assert.equal(modeOf(join(target, 'etc/dup')), 0o640);
    assert.equal(readFileSync(join(target, 'absolute/file'), 'utf8'), 'confined to the layer');
    assert.equal(readFileSync(join(target, longName), 'utf8'), 'a long name');
    assert.equal(lstatSync(join(target, 'pax-times')).mtimeMs, 1_650_000_000_250, 'PAX mtime, fractional');
    assert.equal(statSync(join(target, 'big')).size, 3 * 1024 * 1024 + 17);
    assert.equal(modeOf(target), 0o755, 'the layer root, with no entry of its own');
    if (isRoot) {
      assert.equal(lstatSync(join(target, 'usr/bin/tool')).uid, 1000);
      assert.equal(lstatSync(join(target, 'etc')).gid, 42);
      assert.equal(lstatSync(join(target, 'pax-times')).uid, 7, 'PAX uid');
      assert.equal(lstatSync(join(target, 'pax-times')).gid, 8);
    }
  }

  it('unpacks files, directories, modes, symlinks, hardlinks, long names and times (gzip); diffId is the sha256 of the tar', async () => {
    const { parent, target } = place();
    const tar = await tarOf(sample);
    const result = await unpackLayer(Readable.from([gzipSync(tar)]), 'gzip', target);
    assert.deepEqual(result, { diffId: sha256(tar), size: tar.length });
    checkSample(target);
    assert.deepEqual(readdirSync(parent).sort(), ['layer', 'outside'], 'no temporary directory left');
  });

  it('unpacks an uncompressed layer, fed in small chunks', async () => {
    const { target } = place();
    const tar = await tarOf(sample);
    const chunks = Array.from({ length: Math.ceil(tar.length / 1000) }, (_, i) => tar.subarray(i * 1000, (i + 1) * 1000));
    assert.equal((await unpackLayer(Readable.from(chunks), 'none', target)).diffId, sha256(tar));
    checkSample(target);
  });

  it('unpacks zstd: several frames, a skippable frame, run-length blocks', { skip: hasZstd ? false : 'the zstd program is not installed' }, async () => {
    const { target } = place();
    const tar = await tarOf(sample);
    const half = Math.floor(tar.length / 2);
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const blob = Buffer.concat([skippable, zstd(tar.subarray(0, half)), zstd(tar.subarray(half))]);
    const chunks = Array.from({ length: Math.ceil(blob.length / 777) }, (_, i) => blob.subarray(i * 777, (i + 1) * 777));
    assert.deepEqual(await unpackLayer(Readable.from(chunks), 'zstd', target), { diffId: sha256(tar), size: tar.length });
    checkSample(target);
  });

  it('refuses a zstd frame that asks for a window over 128 MiB (memory a hostile layer would make it allocate)', async () => {
    const { parent, target } = place();
    // Magic, a frame header with no content size, window descriptor 2^31.
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (31 - 10) << 3, 0x01, 0x00, 0x00]);
    await assert.rejects(unpackLayer(Readable.from([frame]), 'zstd', target), /window/);
    assert.deepEqual(readdirSync(parent), ['outside']);
  });

  it('replaces an earlier entry of the same path, symlinks included, without writing through them; ./ is the root', async () => {
    const { target, outside } = place();
    writeFileSync(join(outside, 'victim'), 'untouched');
    const tar = await tarOf([
      { header: { name: './', type: 'directory', mode: 0o750 } },
      { header: { name: 'x', type: 'symlink', linkname: join(outside, 'victim') } },
      { header: { name: 'x', mode: 0o644 }, content: 'replaced the symlink' },
      { header: { name: 'd/', type: 'directory' } },
      { header: { name: 'd/child', mode: 0o644 }, content: 'gone with d' },
      { header: { name: 'd', mode: 0o644 }, content: 'a file where a directory was' },
      { header: { name: 'f', mode: 0o644 }, content: 'a file' },
      { header: { name: 'f/', type: 'directory', mode: 0o700 } },
    ]);
    await unpackLayer(Readable.from([tar]), 'none', target);
    assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'untouched');
    assert.equal(readFileSync(join(target, 'x'), 'utf8'), 'replaced the symlink');
    assert.equal(readFileSync(join(target, 'd'), 'utf8'), 'a file where a directory was');
    assert.ok(statSync(join(target, 'f')).isDirectory());
    assert.equal(modeOf(target), 0o750, 'a ./ entry gives the layer root its mode');
  });

  describe('refuses entries that would reach outside the layer', () => {
    it('a name with .. that leaves the layer', () => assertRefused([{ header: { name: '../outside/escape' }, content: 'x' }], /leaves the layer/));
    it('.. deeper in the name', () => assertRefused([{ header: { name: 'a/b/../../../outside/escape' }, content: 'x' }], /leaves the layer/));
    it('a file under a symlink to a directory outside', async () => {
      const outside = join(scratch, `case-${counter + 1}`, 'outside');
      await assertRefused(
        [
          { header: { name: 'evil', type: 'symlink', linkname: outside } },
          { header: { name: 'evil/passwd' }, content: 'owned' },
        ],
        /symlink in the layer: refusing to follow it/,
      );
    });
    it('a file under a relative symlink that climbs out', () =>
      assertRefused(
        [
          { header: { name: 'up', type: 'symlink', linkname: '../outside' } },
          { header: { name: 'up/escape' }, content: 'owned' },
        ],
        /refusing to follow it/,
      ));
    it('a directory under a symlink', () =>
      assertRefused(
        [
          { header: { name: 'up', type: 'symlink', linkname: '../outside' } },
          { header: { name: 'up/dir/', type: 'directory' } },
        ],
        /refusing to follow it/,
      ));
    it('a hardlink to /etc/passwd', async () => {
      const links = statSync('/etc/passwd').nlink;
      await assertRefused([{ header: { name: 'passwd', type: 'link', linkname: '/etc/passwd' } }], /not in the layer/);
      await assertRefused([{ header: { name: 'passwd', type: 'link', linkname: '../../../../../../etc/passwd' } }], /leaves the layer/);
      await assertRefused(
        [
          { header: { name: 'etc', type: 'symlink', linkname: '/etc' } },
          { header: { name: 'passwd', type: 'link', linkname: 'etc/passwd' } },
        ],
        /refusing to follow it/,
      );
      assert.equal(statSync('/etc/passwd').nlink, links, '/etc/passwd got no new link');
    });
    it('a hardlink to a directory', () =>
      assertRefused(
        [
          { header: { name: 'd/', type: 'directory' } },
          { header: { name: 'l', type: 'link', linkname: 'd' } },
        ],
        /is a directory/,
      ));
    it('a NUL in a name (PAX)', () => assertRefused([{ header: { name: 'x', pax: { path: 'a\u0000b' } }, content: 'x' }], /NUL|null byte/));
    it('a name over 255 bytes, a path over 4095', async () => {
      await assertRefused([{ header: { name: `${'n'.repeat(256)}` }, content: 'x' }], /over 255 bytes/);
      const deep = Array.from({ length: 20 }, () => 'p'.repeat(250)).join('/');
      await assertRefused([{ header: { name: deep }, content: 'x' }], /over 4095 bytes/);
    });
  });

  describe('fails cleanly', () => {
    it('on a truncated layer: no layer, no temporary directory', async () => {
      const { parent, target } = place();
      const gz = gzipSync(await tarOf(sample));
      await assert.rejects(unpackLayer(Readable.from([gz.subarray(0, gz.length - 2000)]), 'gzip', target));
      assert.deepEqual(readdirSync(parent), ['outside']);
    });

    it('on data that is not a tar', async () => {
      const { parent, target } = place();
      await assert.rejects(unpackLayer(Readable.from([Buffer.alloc(1024, 'garbage')]), 'none', target), /tar/i);
      assert.deepEqual(readdirSync(parent), ['outside']);
    });

    it('when the layer is not the one expected (diff id)', async () => {
      const { parent, target } = place();
      const tar = await tarOf(sample);
      await assert.rejects(unpackLayer(Readable.from([tar]), 'none', target, { expectedDiffId: sha256(Buffer.from('other')) }), /but sha256:[0-9a-f]{64} was expected/);
      assert.deepEqual(readdirSync(parent), ['outside']);
      assert.equal((await unpackLayer(Readable.from([tar]), 'none', target, { expectedDiffId: sha256(tar) })).diffId, sha256(tar));
    });

    it('when the target exists', async () => {
      const { target } = place();
      mkdirSync(target);
      writeFileSync(join(target, 'keep'), 'mine');
      await assert.rejects(unpackLayer(Readable.from([await tarOf(sample)]), 'none', target), /exists already/);
      assert.deepEqual(readdirSync(target), ['keep']);
    });

    it('when aborted halfway through a file', async () => {
      const { parent, target } = place();
      const tar = await tarOf(sample);
      const input = new PassThrough();
      input.write(tar.subarray(0, tar.length - 1024 * 1024)); // the rest never comes
      const controller = new AbortController();
      const unpacking = unpackLayer(input, 'none', target, { signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(unpacking, { name: 'AbortError' });
      assert.deepEqual(readdirSync(parent), ['outside']);
      assert.ok(input.destroyed, 'the input is destroyed');
    });

    it('when the layer needs whiteouts and there is no skiff-shim', () =>
      assertRefused([{ header: { name: 'etc/.wh.gone' } }], /whiteouts, device nodes or FIFOs, which only skiff-shim makes, and no skiff-shim binary was given/));
  });

  describe('whiteouts, devices, FIFOs and ownership (root)', { skip: rootSkip }, () => {
    const layer: TarEntry[] = [
      { header: { name: 'dir/', type: 'directory', mode: 0o755 } },
      { header: { name: 'dir/.wh.gone' } },
      { header: { name: '.wh.topfile' } },
      { header: { name: 'opq/', type: 'directory', mode: 0o711, mtime: new Date(1_400_000_000_000) } },
      { header: { name: 'opq/.wh..wh..opq' } },
      { header: { name: 'opq/new', mode: 0o644 }, content: 'new' },
      { header: { name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 } },
      { header: { name: 'dev/loop7', type: 'block-device', mode: 0o660, devmajor: 7, devminor: 7, gid: 6 } },
      { header: { name: 'run/fifo', type: 'fifo', mode: 0o640, uid: 12, gid: 34, mtime: new Date(1_300_000_000_000) } },
      { header: { name: 'owned', mode: 0o2755, uid: 4321, gid: 8765 }, content: 'setgid, owned' },
      { header: { name: 'owned-link', type: 'symlink', linkname: 'owned', uid: 55, gid: 66 } },
      { header: { name: '.wh..wh.plnk/123', mode: 0o644 }, content: 'aufs bookkeeping, dropped' },
    ];

    it('makes whiteouts 0/0 character devices, opaque directories, devices and FIFOs with their owners', async () => {
      const { target } = place();
      const tar = await tarOf(layer);
      assert.equal((await unpackLayer(Readable.from([tar]), 'none', target, { nodeHelper: helper! })).diffId, sha256(tar));
      for (const whiteout of ['dir/gone', 'topfile']) {
        const stat = lstatSync(join(target, whiteout));
        assert.ok(stat.isCharacterDevice(), `${whiteout} is a whiteout`);
        assert.equal(stat.rdev, 0);
      }
      assert.ok(!existsSync(join(target, 'dir/.wh.gone')) && !existsSync(join(target, 'opq/.wh..wh..opq')), 'no .wh. files');
      assert.ok(!existsSync(join(target, '.wh..wh.plnk')), 'aufs metadata dropped');
      const devNull = lstatSync(join(target, 'dev/null'));
      assert.ok(devNull.isCharacterDevice());
      assert.equal(devNull.rdev, (1 << 8) | 3);
      assert.equal(devNull.mode & 0o7777, 0o666);
      const loop = lstatSync(join(target, 'dev/loop7'));
      assert.ok(loop.isBlockDevice());
      assert.equal(loop.gid, 6);
      const fifo = lstatSync(join(target, 'run/fifo'));
      assert.ok(fifo.isFIFO());
      assert.equal(fifo.mode & 0o7777, 0o640);
      assert.deepEqual([fifo.uid, fifo.gid], [12, 34]);
      assert.equal(fifo.mtimeMs, 1_300_000_000_000);
      const owned = lstatSync(join(target, 'owned'));
      assert.deepEqual([owned.uid, owned.gid, owned.mode & 0o7777], [4321, 8765, 0o2755], 'setgid survives the chown');
      const link = lstatSync(join(target, 'owned-link'));
      assert.deepEqual([link.uid, link.gid], [55, 66], 'lchown, not the file it points at');
      assert.equal(modeOf(join(target, 'opq')), 0o711);
      assert.equal(mtimeOf(join(target, 'opq')), 1_400_000_000_000, 'the directory times are set after the helper made nodes in it');
      if (hasProgram('getfattr')) {
        const value = execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(target, 'opq')], { encoding: 'utf8' });
        assert.equal(value, 'y');
      }
    });

    it('hides what lower layers hold, mounted as an overlayfs lower layer', async (t) => {
      const { parent, target } = place();
      await unpackLayer(Readable.from([await tarOf(layer)]), 'none', target, { nodeHelper: helper! });
      const lower = join(parent, 'lower');
      for (const dir of ['dir', 'opq']) mkdirSync(join(lower, dir), { recursive: true });
      for (const file of ['dir/gone', 'dir/kept', 'topfile', 'opq/old']) writeFileSync(join(lower, file), file);
      const merged = join(parent, 'merged');
      mkdirSync(merged);
      try {
        execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${target}:${lower}`, merged], { stdio: 'pipe' });
      } catch (err) {
        t.skip(`cannot mount overlayfs here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`);
        return;
      }
      try {
        assert.ok(!existsSync(join(merged, 'dir/gone')), 'a whiteout hides the lower file');
        assert.equal(readFileSync(join(merged, 'dir/kept'), 'utf8'), 'dir/kept');
        assert.ok(!existsSync(join(merged, 'topfile')));
        assert.deepEqual(readdirSync(join(merged, 'opq')), ['new'], 'an opaque directory hides all the lower one held');
      } finally {
        execFileSync('umount', [merged]);
      }
    });

    it('refuses a whiteout or device under a symlink, and the helper itself refuses a path through one', async () => {
      const outside = join(scratch, `case-${counter + 1}`, 'outside');
      await assertRefused(
        [
          { header: { name: 'link', type: 'symlink', linkname: outside } },
          { header: { name: 'link/.wh.x' } },
        ],
        /refusing to follow it/,
        { nodeHelper: helper! },
      );
      // The helper's own check, for a list that names a path through a symlink.
      const { parent, outside: beside } = place();
      const root = join(parent, 'root');
      mkdirSync(root);
      symlinkSync(beside, join(root, 'link'));
      const list = join(parent, 'list');
      writeFileSync(join(root, 'file'), '');
      const refused = ['w\tlink/x', 'p\tlink/fifo\t644\t0\t0', 'o\tlink', 'w\t../x', 'c\t/abs\t644\t1\t3\t0\t0', 'x\tlink/x\tuser.a\t61', 'x\tfile\ttrusted.overlay.opaque\t79', 'x\tfile\tuser.overlay.redirect\t2f', 'x\tfile\tuser.a\t6'];
      for (const line of refused) {
        writeFileSync(list, `${line}\n`);
        assert.throws(
          () => execFileSync(helper!, ['layer-nodes', root, list], { stdio: 'pipe' }),
          (err: { status?: number; stderr?: Buffer }) => err.status === 1 && /^skiff-shim layer-nodes: .* line 1: /.test(String(err.stderr)),
          line,
        );
      }
      assert.deepEqual(readdirSync(beside), []);
      assert.deepEqual(readdirSync(parent).sort(), ['list', 'outside', 'root']);
      assert.equal(xattrOf(join(root, 'file'), 'trusted.overlay.opaque'), undefined);
    });

    it('sets file capabilities and user xattrs from PAX records, after the chown; drops trusted.* and user.overlay.*', async () => {
      const { target } = place();
      const xattrs = (values: Record<string, Buffer>) => Object.fromEntries(Object.entries(values).map(([name, value]) => [`SCHILY.xattr.${name}`, value]));
      const capability = Buffer.from('0100000280200000000000000000000000000000', 'hex');
      const file = (name: string, extra: Partial<TarRecord['header']> = {}): TarRecord => ({ header: { name, type: 'file', mode: 0o755, size: 1, mtime: new Date(0), ...extra }, body: Buffer.from('x') });
      const records: TarRecord[] = [
        { ...file('bin/ping', { uid: 1000, gid: 1000 }), xattrs: xattrs({ 'security.capability': capability, 'user.note': Buffer.from([0xff, 0x0a]) }) },
        { header: { name: 'etc/', type: 'directory', mode: 0o555, mtime: new Date(0) }, xattrs: xattrs({ 'user.dir': Buffer.from('d'), 'trusted.overlay.redirect': Buffer.from('/x'), 'user.overlay.opaque': Buffer.from('y') }) },
        { ...file('replaced'), xattrs: xattrs({ 'user.old': Buffer.from('o') }) },
        file('replaced'),
        { header: { name: 'link', type: 'link', linkname: 'target', mtime: new Date(0) }, xattrs: xattrs({ 'user.viaLink': Buffer.from('l') }) },
      ];
      records.splice(4, 0, file('target'));
      const tar = await packTar(records);
      assert.equal((await unpackLayer(Readable.from([tar]), 'none', target, { nodeHelper: helper! })).diffId, sha256(tar));
      assert.equal(xattrOf(join(target, 'bin/ping'), 'security.capability'), capability.toString('hex'), 'kept through the chown to 1000');
      assert.equal(xattrOf(join(target, 'bin/ping'), 'user.note'), 'ff0a');
      assert.deepEqual([statSync(join(target, 'bin/ping')).uid, modeOf(join(target, 'bin/ping'))], [1000, 0o755]);
      assert.equal(xattrOf(join(target, 'etc'), 'user.dir'), '64');
      assert.equal(modeOf(join(target, 'etc')), 0o555);
      assert.equal(xattrOf(join(target, 'etc'), 'trusted.overlay.redirect'), undefined, 'a layer may not steer the overlay');
      assert.equal(xattrOf(join(target, 'etc'), 'user.overlay.opaque'), undefined);
      assert.equal(xattrOf(join(target, 'replaced'), 'user.old'), undefined, 'a later entry of the path replaces the file and its xattrs');
      assert.equal(xattrOf(join(target, 'target'), 'user.viaLink'), '6c', 'a hardlink shares its target’s inode');
    });
  });
});

/** An xattr's value as hex, or undefined when the file has none of that name (read with python3's os.getxattr: Node.js has no call for it). */
function xattrOf(path: string, name: string): string | undefined {
  const script = 'import os, sys\ntry:\n  print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).hex())\nexcept OSError:\n  print("-")';
  const out = execFileSync('python3', ['-c', script, path, name], { encoding: 'utf8' }).trim();
  return out === '-' ? undefined : out;
}

function hasProgram(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
