/**
 * Unpacks one image layer — a tar, compressed with gzip or zstd or not at
 * all — into a directory that can be an overlayfs lower layer, and says the
 * layer's diff id (the sha256 of the uncompressed tar, what an image's
 * config lists in `rootfs.diff_ids`).
 *
 * A layer comes from a registry: it is hostile input. So every entry's name
 * is confined to the layer; no symlink is ever followed while an entry is
 * made (a layer with `a -> /etc` and then `a/passwd` must not write the
 * host's /etc); a hardlink may only point at an earlier entry of the layer;
 * and memory stays bounded whatever the input — file contents go to disk as
 * they arrive, zstd windows are capped, entries and path lengths limited.
 *
 * The layer is unpacked into a sibling directory of its own and renamed to
 * `target` only once complete, so a failure or a crash never leaves a
 * half-unpacked layer where a container would use it. Nothing but this code
 * writes into that directory while it works, which is what makes checking
 * each parent with lstat (rather than opening it race-free) enough.
 *
 * Whiteouts are converted to overlayfs's own form: `dir/.wh.name` becomes a
 * character device 0/0 `dir/name`, and `dir/.wh..wh..opq` the xattr
 * `trusted.overlay.opaque=y` on `dir`. Node.js can neither make device nodes
 * nor set xattrs, so these — and the layer's own devices and FIFOs, and the
 * extended attributes its files carry (tar-xattrs.ts) — are listed while
 * unpacking and made by one run of `skiff-shim layer-nodes`
 * (runtime/process/shim/layer.c) before the rename.
 *
 * Of a file's xattrs only those a container can use and a layer may set are
 * kept: `security.capability` (file capabilities; applied by root only, as
 * they need CAP_SETFCAP) and `user.*`. Others are dropped: `trusted.*` and
 * `user.overlay.*` would steer the overlay mounts themselves, and SELinux
 * labels and ACLs mean nothing on a skiff node.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  write,
} from 'node:fs';
import { chmod, lstat, lutimes, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { Duplex, PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { extract as tarExtract, type Header } from 'tar-stream';
import { measuringStream } from './content-store.js';
import { TarXattrTap, type Xattrs } from './tar-xattrs.js';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface UnpackResult {
  /** `sha256:` + hex of the uncompressed tar stream. */
  diffId: string;
  /** Bytes of the uncompressed tar stream. */
  size: number;
}

export interface UnpackOptions {
  /** The skiff-shim binary, needed (with root) for a layer with whiteouts, device nodes or FIFOs. */
  nodeHelper?: string;
  signal?: AbortSignal;
  /** The diff id the image's config names: a layer that hashes otherwise is discarded before it is ever at `target`. */
  expectedDiffId?: string;
}

/** More entries than any real image layer has; a bound on the memory the bookkeeping below takes. */
const MAX_ENTRIES = 1_000_000;
/** Linux's PATH_MAX and NAME_MAX, in bytes. */
const MAX_PATH_BYTES = 4095;
const MAX_NAME_BYTES = 255;
/** What the reference zstd decoder accepts by default (windowLog 27); fzstd would allocate whatever a frame asks, up to 2 GiB. */
const MAX_ZSTD_WINDOW = 1 << 27;
const MAX_ZSTD_BLOCK = 128 * 1024;

/** Linux's XATTR_SIZE_MAX and XATTR_NAME_MAX. */
const MAX_XATTR_VALUE_BYTES = 64 * 1024;
const MAX_XATTR_NAME_BYTES = 255;

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** aufs's own bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`), found at the root of layers docker made on aufs: not part of the image. */
const AUFS_METADATA_PREFIX = '.wh..wh.';

const layerMediaTypes: Record<string, LayerCompression> = {
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd': 'zstd',
  'application/vnd.docker.image.rootfs.foreign.diff.tar': 'none',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
};

/** How a layer of this media type is compressed; throws for a media type that is not a layer skiff can unpack (e.g. an encrypted one). */
export function layerCompression(mediaType: string): LayerCompression {
  const compression = layerMediaTypes[mediaType.split(';')[0].trim().toLowerCase()];
  if (!compression) throw new Error(`unsupported layer media type ${JSON.stringify(mediaType)}`);
  return compression;
}

/**
 * Unpacks the layer read from `input` into `target`, which must not exist
 * yet (its parent must). `input` is consumed, and destroyed on failure.
 */
export async function unpackLayer(input: Readable, compression: LayerCompression, target: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const { signal } = options;
  try {
    signal?.throwIfAborted();
    if (await exists(target)) throw new Error(`cannot unpack a layer into ${target}: it exists already`);
  } catch (err) {
    input.destroy();
    throw err;
  }
  const temporary = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  const nodeList = `${temporary}.nodes`;
  try {
    await mkdir(temporary);
    // Not left to the umask: a layer without a `./` entry keeps this, and it becomes the container's `/`.
    await chmod(temporary, 0o755);
    const writer = new LayerWriter(temporary, { nodeHelper: options.nodeHelper, asRoot: process.getuid?.() === 0 });
    const result = await unpackEntries(input, compression, writer, signal);
    if (options.expectedDiffId !== undefined && result.diffId !== options.expectedDiffId) {
      throw new Error(`the layer unpacks to ${result.diffId}, but ${options.expectedDiffId} was expected`);
    }
    await writer.makeNodes(nodeList, signal);
    await writer.applyDirectoryMetadata(signal);
    signal?.throwIfAborted();
    await rename(temporary, target);
    return result;
  } catch (err) {
    input.destroy();
    await rm(temporary, { recursive: true, force: true }).catch(() => {});
    throw err;
  } finally {
    await rm(nodeList, { force: true }).catch(() => {});
  }
}

/** Decompresses, hashes and parses the layer, handing each entry to the writer in order. */
async function unpackEntries(input: Readable, compression: LayerCompression, writer: LayerWriter, signal?: AbortSignal): Promise<UnpackResult> {
  const measure = measuringStream();
  const xattrTap = new TarXattrTap();
  const extract = tarExtract();
  // The entry being written: on an abort the pipeline ends at once, and the temporary directory
  // is removed only once this has stopped writing into it.
  let writing: Promise<void> = Promise.resolve();
  extract.on('entry', (header, stream, next) => {
    const xattrs = xattrTap.xattrsAt((header as Header & { byteOffset: number }).byteOffset);
    writing = writer.write(header, stream, xattrs).then(
      () => next(),
      (err: unknown) => {
        stream.resume();
        next(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
  try {
    await pipeline(input, decompressor(compression), measure.stream, xattrTap, extract, { signal });
  } finally {
    await writing.catch(() => {});
  }
  return { diffId: measure.digest(), size: measure.bytes() };
}

function decompressor(compression: LayerCompression): Duplex {
  switch (compression) {
    case 'gzip':
      return createGunzip();
    case 'zstd':
      return Duplex.from(decompressZstd);
    case 'none':
      return new PassThrough();
  }
}

/**
 * zstd with fzstd, fed one block at a time (ZstdFrames): one push then
 * decompresses at most 128 KiB, and the next is read only when that was
 * taken — a chunk of a few KiB of run-length blocks would otherwise become
 * gigabytes in memory at once.
 */
async function* decompressZstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const frames = new ZstdFrames();
  const output: Buffer[] = [];
  const decompress = new Decompress((chunk) => {
    if (chunk.length) output.push(Buffer.from(chunk));
  });
  for await (const chunk of source) {
    for (const unit of frames.split(chunk)) {
      decompress.push(unit);
      yield* output.splice(0);
    }
  }
  frames.end();
  decompress.push(new Uint8Array(0), true);
  yield* output.splice(0);
}

/**
 * Splits a zstd stream into its parts — frame headers, blocks, checksums —
 * checking the bounds a hostile stream could abuse (window size, block
 * size) before fzstd sees them, and drops skippable frames. A unit is at
 * most one block (128 KiB and a 3-byte header).
 */
class ZstdFrames {
  private state: 'magic' | 'frame-header' | 'skippable-header' | 'skipping' | 'block-header' | 'block' | 'checksum' = 'magic';
  private parts: Buffer[] = [];
  private gathered = 0;
  private needed = 4;
  private skipping = 0;
  private hasChecksum = false;
  private lastBlock = false;

  *split(chunk: Buffer): Generator<Buffer> {
    for (let offset = 0; offset < chunk.length; ) {
      if (this.state === 'skipping') {
        const skipped = Math.min(this.skipping, chunk.length - offset);
        offset += skipped;
        this.skipping -= skipped;
        if (this.skipping === 0) this.expect('magic', 4);
        continue;
      }
      const taken = Math.min(this.needed - this.gathered, chunk.length - offset);
      this.parts.push(chunk.subarray(offset, offset + taken));
      this.gathered += taken;
      offset += taken;
      // A step may ask for more bytes of the same unit (a frame header's length is in its first byte) or complete one.
      while (this.unitComplete()) {
        const unit = this.step(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts));
        if (unit) yield unit;
      }
    }
  }

  private unitComplete(): boolean {
    return this.state !== 'skipping' && this.gathered === this.needed;
  }

  /** Throws unless the stream ended between frames. */
  end(): void {
    if (this.state !== 'magic' || this.gathered !== 0) throw new Error('zstd: the stream ends in the middle of a frame');
  }

  private expect(state: ZstdFrames['state'], bytes: number): void {
    this.state = state;
    this.parts = [];
    this.gathered = 0;
    this.needed = bytes;
  }

  private more(bytes: number, unit: Buffer): void {
    this.parts = [unit];
    this.needed = bytes;
  }

  /** Interprets the bytes gathered for the current state; returns a unit when it is complete. */
  private step(unit: Buffer): Buffer | undefined {
    switch (this.state) {
      case 'magic': {
        const magic = unit.readUInt32LE(0);
        if (magic === 0xfd2fb528) this.state = 'frame-header';
        else if ((magic & 0xfffffff0) === 0x184d2a50) this.state = 'skippable-header';
        else throw new Error('zstd: not a zstd frame (bad magic number)');
        this.more(this.state === 'frame-header' ? 5 : 8, unit);
        return undefined;
      }
      case 'skippable-header':
        this.skipping = unit.readUInt32LE(4);
        if (this.skipping === 0) this.expect('magic', 4);
        else this.expect('skipping', 0);
        return undefined;
      case 'frame-header': {
        const descriptor = unit[4];
        const contentSizeFlag = descriptor >> 6;
        const singleSegment = (descriptor >> 5) & 1;
        if (descriptor & 0x08) throw new Error('zstd: reserved bit set in a frame header');
        const dictionaryBytes = [0, 1, 2, 4][descriptor & 3];
        const contentSizeBytes = contentSizeFlag === 0 ? singleSegment : [0, 2, 4, 8][contentSizeFlag];
        const headerBytes = 5 + (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes;
        if (unit.length < headerBytes) {
          this.more(headerBytes, unit);
          return undefined;
        }
        let window: number;
        if (singleSegment) {
          const at = 5 + dictionaryBytes;
          // The frame's whole content is its window: what fzstd allocates.
          window = contentSizeBytes === 8 ? Number(unit.readBigUInt64LE(at)) : unit.readUIntLE(at, contentSizeBytes) + (contentSizeBytes === 2 ? 256 : 0);
        } else {
          const exponent = unit[5] >> 3;
          const base = 2 ** (10 + exponent);
          window = base + (base / 8) * (unit[5] & 7);
        }
        if (window > MAX_ZSTD_WINDOW) throw new Error(`zstd: a frame needs a ${Math.round(window / 2 ** 20)} MiB window, over the ${MAX_ZSTD_WINDOW / 2 ** 20} MiB limit`);
        this.hasChecksum = ((descriptor >> 2) & 1) === 1;
        this.expect('block-header', 3);
        return unit;
      }
      case 'block-header': {
        const header = unit[0] | (unit[1] << 8) | (unit[2] << 16);
        const type = (header >> 1) & 3;
        const blockSize = header >>> 3;
        this.lastBlock = (header & 1) === 1;
        if (type === 3) throw new Error('zstd: reserved block type');
        if (blockSize > MAX_ZSTD_BLOCK) throw new Error('zstd: a block over 128 KiB');
        // A run-length block is one byte repeated blockSize times.
        const contentBytes = type === 1 ? 1 : blockSize;
        this.state = 'block';
        this.more(3 + contentBytes, unit);
        return undefined;
      }
      case 'block':
        if (!this.lastBlock) this.expect('block-header', 3);
        else if (this.hasChecksum) this.expect('checksum', 4);
        else this.expect('magic', 4);
        return unit;
      case 'checksum':
        this.expect('magic', 4);
        return unit;
      case 'skipping':
        throw new Error('zstd: internal error (skipping)');
    }
  }
}

/** An entry's contents as tar-stream hands them over (a streamx stream, not a Node.js one). */
type EntryData = AsyncIterable<unknown> & { resume(): unknown };

/** An entry's metadata, with what a PAX header says over the ustar fields (tar-stream applies only path, linkpath and size). */
interface EntryMetadata {
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, fractional. */
  atime: number;
  mtime: number;
}

/** A device, FIFO, whiteout or opaque marker for skiff-shim layer-nodes, with the times to give it afterwards. */
interface PendingNode {
  path: string;
  line: string;
  times?: { atime: number; mtime: number };
}

/**
 * Writes a layer's entries into a directory, one after the other, and
 * remembers what has to wait for the end: directories' modes and mtimes
 * (adding a child changes a directory's mtime, and a read-only directory
 * would refuse children when not root) and the nodes only skiff-shim makes.
 *
 * The small metadata calls (lstat, mkdir, open, fchown, fchmod, futimes,
 * close …) are synchronous: each takes microseconds, where a round trip
 * through libuv's thread pool takes tens, and a layer has tens of thousands
 * of entries (a 400 MB tree of 15,000 files unpacks about twice as fast like
 * this, within 2–3 times GNU tar's time). The event loop still runs between
 * entries. File contents are written asynchronously: a large write can wait
 * on the kernel's dirty-page throttling.
 */
class LayerWriter {
  private entries = 0;
  /** Paths (relative to the root) known to be real directories, made or checked by this writer: no lstat for each entry's parents. */
  private readonly directories = new Set<string>(['']);
  private readonly directoryMetadata = new Map<string, EntryMetadata>();
  private readonly nodes = new Map<string, PendingNode>();
  /** Extended attributes to set on files and directories of the layer, by path (set last, after every chown: a chown clears file capabilities). */
  private readonly xattrs = new Map<string, Xattrs>();

  constructor(
    private readonly root: string,
    private readonly host: { nodeHelper?: string; asRoot: boolean },
  ) {}

  async write(header: Header, stream: EntryData, xattrs?: Xattrs): Promise<void> {
    if (++this.entries > MAX_ENTRIES) throw new Error(`layer has over ${MAX_ENTRIES} entries`);
    const components = entryPath(header.name, 'entry');
    try {
      await this.writeEntry(header, components, stream);
      if (xattrs) this.keepXattrs(header, components, xattrs);
    } catch (err) {
      throw prefixed(`layer entry ${JSON.stringify(header.name)}`, err);
    }
    await drain(stream);
  }

  private async writeEntry(header: Header, components: string[], stream: EntryData): Promise<void> {
    const name = components.at(-1) ?? '';
    const parent = components.slice(0, -1);
    if (name === OPAQUE_MARKER) {
      this.ensureDirectory(parent);
      return this.addNode({ path: parent.join('/'), line: `o\t${parent.join('/') || '.'}` }, 'opaque');
    }
    if (components[0]?.startsWith(AUFS_METADATA_PREFIX)) return;
    if (name.startsWith(WHITEOUT_PREFIX)) {
      const hidden = name.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..') throw new Error('not a valid whiteout');
      const path = [...parent, hidden];
      this.ensureParents(path);
      this.replace(path);
      return this.addNode({ path: path.join('/'), line: `w\t${path.join('/')}` });
    }
    const metadata = entryMetadata(header);
    if (header.type === 'directory') return this.writeDirectory(components, metadata);
    if (components.length === 0) throw new Error('only a directory can be the layer root');
    this.ensureParents(components);
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
        return this.writeFile(components, metadata, stream);
      case 'symlink':
        return this.writeSymlink(components, header.linkname ?? '', metadata);
      case 'link':
        return this.writeHardlink(components, header.linkname ?? '');
      case 'character-device':
      case 'block-device': {
        this.replace(components);
        const kind = header.type === 'character-device' ? 'c' : 'b';
        const fields = [kind, components.join('/'), metadata.mode.toString(8), header.devmajor ?? 0, header.devminor ?? 0, metadata.uid, metadata.gid];
        return this.addNode({ path: components.join('/'), line: fields.join('\t'), times: metadata });
      }
      case 'fifo': {
        this.replace(components);
        const fields = ['p', components.join('/'), metadata.mode.toString(8), metadata.uid, metadata.gid];
        return this.addNode({ path: components.join('/'), line: fields.join('\t'), times: metadata });
      }
      default:
        throw new Error(`unsupported entry type ${header.type ?? '(unknown: a GNU sparse file or other extension)'}`);
    }
  }

  private writeDirectory(components: string[], metadata: EntryMetadata): void {
    this.ensureParents(components);
    const path = this.absolute(components);
    if (!lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      this.replace(components);
      this.makeDirectory(components);
    }
    if (this.host.asRoot) lchownSync(path, metadata.uid, metadata.gid);
    this.directoryMetadata.set(components.join('/'), metadata);
  }

  private async writeFile(components: string[], metadata: EntryMetadata, stream: EntryData): Promise<void> {
    const fd = this.createFile(components);
    try {
      for await (const chunk of stream) await writeFully(fd, chunk as Buffer);
      if (this.host.asRoot) fchownSync(fd, metadata.uid, metadata.gid);
      // After the chown, which would clear setuid and setgid.
      fchmodSync(fd, metadata.mode);
      futimesSync(fd, metadata.atime, metadata.mtime);
    } finally {
      closeSync(fd);
    }
  }

  /** O_EXCL and O_NOFOLLOW: whatever is at the path, it is never opened through; an earlier entry there is replaced. */
  private createFile(components: string[]): number {
    const path = this.absolute(components);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    this.nodes.delete(components.join('/'));
    this.xattrs.delete(components.join('/'));
    try {
      return openSync(path, flags, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.replace(components);
    return openSync(path, flags, 0o600);
  }

  private writeSymlink(components: string[], target: string, metadata: EntryMetadata): void {
    // The target is kept as it is, absolute or not: it is only ever resolved inside the container's root.
    if (target === '' || target.includes('\0')) throw new Error('a symlink needs a target without NUL');
    this.replace(components);
    const path = this.absolute(components);
    symlinkSync(target, path);
    if (this.host.asRoot) lchownSync(path, metadata.uid, metadata.gid);
    lutimesSync(path, metadata.atime, metadata.mtime);
  }

  /** A hardlink's target is an entry of this layer, named from the layer's root and found without following a symlink. */
  private writeHardlink(components: string[], linkname: string): void {
    const target = entryPath(linkname, 'hardlink target');
    const shown = JSON.stringify(linkname);
    if (target.length === 0) throw new Error('a hardlink cannot point at the layer root');
    if (target.join('/') === components.join('/')) return;
    this.checkParents(target, `hardlink target ${shown}`);
    const existing = lstatSync(this.absolute(target), { throwIfNoEntry: false });
    if (!existing) {
      const pending = this.nodes.has(target.join('/'));
      throw new Error(`hardlink target ${shown} ${pending ? 'is a device, FIFO or whiteout, which cannot be hardlinked here' : 'is not in the layer (a hardlink must point at an earlier entry)'}`);
    }
    if (existing.isDirectory()) throw new Error(`hardlink target ${shown} is a directory`);
    this.replace(components);
    // link(2) does not follow a symlink as the target: it links the symlink itself.
    linkSync(this.absolute(target), this.absolute(components));
  }

  /**
   * Remembers the xattrs of a file or directory that a container may use
   * (see the top of this file); those of other entries (a symlink, a
   * device, a whiteout) are dropped, as Linux keeps user.* on files and
   * directories only.
   */
  private keepXattrs(header: Header, components: string[], xattrs: Xattrs): void {
    const kind = header.type;
    if (kind !== 'file' && kind !== 'contiguous-file' && kind !== 'directory' && kind !== 'link') return;
    // A hardlink shares its target's inode: the attributes go to the target's path, which is the same file.
    const path = (kind === 'link' ? entryPath(header.linkname ?? '', 'hardlink target') : components).join('/');
    const kept: Xattrs = new Map();
    for (const [name, value] of xattrs) {
      const usable = (name === 'security.capability' && this.host.asRoot) || (name.startsWith('user.') && !name.startsWith('user.overlay.'));
      if (!usable) continue;
      if (Buffer.byteLength(name) > MAX_XATTR_NAME_BYTES || /[\t\n\0]/.test(name)) throw new Error(`xattr name ${JSON.stringify(name)} is not valid`);
      if (value.length > MAX_XATTR_VALUE_BYTES) throw new Error(`xattr ${name} has a value over ${MAX_XATTR_VALUE_BYTES} bytes`);
      kept.set(name, value);
    }
    if (kept.size === 0) return;
    if (!this.host.nodeHelper) throw new Error('the layer has file capabilities or user xattrs, which only skiff-shim sets, and no skiff-shim binary was given');
    if (/[\t\n]/.test(path)) throw new Error('a tab or newline in the name of a file with xattrs is not supported');
    this.xattrs.set(path, new Map([...(this.xattrs.get(path) ?? []), ...kept]));
  }

  /** Makes the nodes Node.js cannot and sets the xattrs it cannot, in one run of skiff-shim layer-nodes, and gives the nodes their times. */
  async makeNodes(listFile: string, signal?: AbortSignal): Promise<void> {
    if (this.nodes.size === 0 && this.xattrs.size === 0) return;
    const nodes = [...this.nodes.values()];
    const xattrLines = [...this.xattrs].flatMap(([path, xattrs]) => [...xattrs].map(([name, value]) => `x\t${path || '.'}\t${name}\t${value.toString('hex')}`));
    await writeFile(listFile, [...nodes.map((node) => node.line), ...xattrLines].map((line) => `${line}\n`).join(''), { mode: 0o600 });
    await runNodeHelper(this.host.nodeHelper!, this.root, listFile, signal);
    for (const node of nodes) {
      if (node.times) await lutimes(join(this.root, node.path), node.times.atime, node.times.mtime);
    }
  }

  /** Directories' modes and times, last: deepest first, so a parent made read-only does not stop a child's update. */
  async applyDirectoryMetadata(signal?: AbortSignal): Promise<void> {
    const depth = (path: string) => (path === '' ? 0 : path.split('/').length);
    const paths = [...this.directoryMetadata.keys()].sort((a, b) => depth(b) - depth(a));
    for (const [index, path] of paths.entries()) {
      // Synchronous calls again; the event loop gets a turn now and then.
      if (index % 1000 === 999) {
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
      }
      const metadata = this.directoryMetadata.get(path)!;
      const fd = openSync(join(this.root, path), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        fchmodSync(fd, metadata.mode);
        futimesSync(fd, metadata.atime, metadata.mtime);
      } finally {
        closeSync(fd);
      }
    }
  }

  private addNode(node: PendingNode, kind?: 'opaque'): void {
    // As an ordinary user (a rootless node) the helper makes whiteouts, FIFOs and opaque markers
    // (user.overlay.opaque) too, and leaves device nodes out.
    if (!this.host.nodeHelper) throw new Error('the layer needs whiteouts, device nodes or FIFOs, which only skiff-shim makes, and no skiff-shim binary was given');
    if (/[\t\n]/.test(node.path)) throw new Error('a tab or newline in the name of a whiteout, device node or FIFO is not supported');
    this.nodes.set(kind === 'opaque' ? `${node.path}\0opaque` : node.path, node);
  }

  /** Makes each missing parent of an entry a directory, from the root down; refuses a parent that is a symlink or not a directory. */
  private ensureParents(components: string[]): void {
    for (let i = 1; i < components.length; i++) this.ensureDirectoryItself(components.slice(0, i));
  }

  private ensureDirectory(components: string[]): void {
    this.ensureParents(components);
    this.ensureDirectoryItself(components);
  }

  /** For a path whose parents are ensured already. */
  private ensureDirectoryItself(components: string[]): void {
    const relative = components.join('/');
    if (this.directories.has(relative)) return;
    const existing = lstatSync(this.absolute(components), { throwIfNoEntry: false });
    if (!existing) this.makeDirectory(components);
    else if (existing.isSymbolicLink()) throw new Error(`${relative} is a symlink in the layer: refusing to follow it`);
    else if (!existing.isDirectory()) throw new Error(`${relative} is not a directory`);
    this.directories.add(relative);
  }

  /** Like ensureParents, for a path that must exist already (a hardlink's target). */
  private checkParents(components: string[], what: string): void {
    for (let i = 1; i < components.length; i++) {
      const relative = components.slice(0, i).join('/');
      if (this.directories.has(relative)) continue;
      const existing = lstatSync(this.absolute(components.slice(0, i)), { throwIfNoEntry: false });
      if (!existing) throw new Error(`${what} is not in the layer`);
      if (existing.isSymbolicLink()) throw new Error(`${what}: ${relative} is a symlink in the layer: refusing to follow it`);
      if (!existing.isDirectory()) throw new Error(`${what}: ${relative} is not a directory`);
      this.directories.add(relative);
    }
  }

  private makeDirectory(components: string[]): void {
    const path = this.absolute(components);
    mkdirSync(path);
    // Owner-writable whatever the umask (the entry's own mode comes at the end); 0755 for a parent the layer never names.
    chmodSync(path, 0o755);
    this.nodes.delete(components.join('/'));
    this.xattrs.delete(components.join('/'));
    this.directories.add(components.join('/'));
  }

  /** Clears a path for a new entry: a later entry of a path wins, as when tar extracts. */
  private replace(components: string[]): void {
    const relative = components.join('/');
    const path = this.absolute(components);
    this.nodes.delete(relative);
    this.xattrs.delete(relative);
    const existing = lstatSync(path, { throwIfNoEntry: false });
    if (!existing) return;
    if (!existing.isDirectory()) return unlinkSync(path);
    rmSync(path, { recursive: true, force: true });
    this.forgetBelow(relative);
  }

  /** Drops what this writer remembered of a directory that was removed, and of everything in it. */
  private forgetBelow(relative: string): void {
    const gone = (path: string) => path === relative || path.startsWith(`${relative}/`);
    for (const path of this.directories) if (gone(path)) this.directories.delete(path);
    for (const path of this.directoryMetadata.keys()) if (gone(path)) this.directoryMetadata.delete(path);
    for (const [key, node] of this.nodes) if (gone(node.path)) this.nodes.delete(key);
    for (const path of this.xattrs.keys()) if (gone(path)) this.xattrs.delete(path);
  }

  private absolute(components: string[]): string {
    return join(this.root, ...components);
  }
}

/**
 * An entry's name as components inside the layer: a leading `/` or `./` is
 * dropped (names are relative to the layer's root), `..` is resolved as far
 * as it stays inside, and a name that would leave the layer is refused.
 */
function entryPath(name: string, what: string): string[] {
  const shown = JSON.stringify(name);
  if (name.includes('\0')) throw new Error(`${what} ${shown}: a NUL in the name`);
  const components: string[] = [];
  for (const component of name.split('/')) {
    if (component === '' || component === '.') continue;
    if (component === '..') {
      if (components.length === 0) throw new Error(`${what} ${shown} leaves the layer`);
      components.pop();
    } else {
      if (Buffer.byteLength(component) > MAX_NAME_BYTES) throw new Error(`${what} ${shown}: a name over ${MAX_NAME_BYTES} bytes`);
      components.push(component);
    }
  }
  if (Buffer.byteLength(components.join('/')) > MAX_PATH_BYTES) throw new Error(`${what} ${shown}: a path over ${MAX_PATH_BYTES} bytes`);
  return components;
}

function entryMetadata(header: Header): EntryMetadata {
  const pax = (header as Header & { pax?: Record<string, string> | null }).pax ?? {};
  const id = (value: string | undefined, fallback: number | undefined, what: string): number => {
    const parsed = value === undefined ? (fallback ?? 0) : Number(value);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > 0xfffffffe) throw new Error(`invalid ${what} ${value ?? fallback}`);
    return parsed;
  };
  const time = (value: string | undefined, fallback: number): number => {
    const parsed = value === undefined ? NaN : Number(value);
    return Number.isFinite(parsed) ? parsed : fallback;
  };
  const headerSeconds = (header.mtime?.getTime() ?? 0) / 1000;
  const mtime = time(pax.mtime, Number.isFinite(headerSeconds) ? headerSeconds : 0);
  return {
    // The ustar field may carry the file type's bits too (some writers put 0100644 there).
    mode: (header.mode ?? 0) & 0o7777,
    uid: id(pax.uid, header.uid, 'uid'),
    gid: id(pax.gid, header.gid, 'gid'),
    atime: time(pax.atime, mtime),
    mtime,
  };
}

async function runNodeHelper(helper: string, root: string, listFile: string, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(helper, ['layer-nodes', root, listFile], { stdio: ['ignore', 'ignore', 'pipe'], signal });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      if (stderr.length < 64 * 1024) stderr += text;
    });
    child.on('error', reject);
    child.on('close', (code, killedBy) => {
      if (code === 0) resolve();
      else reject(new Error(`${helper} layer-nodes failed (${killedBy ?? `exit ${code}`}): ${stderr.trim() || 'no message'}`));
    });
  });
}

const writeAt = promisify(write);

async function writeFully(fd: number, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    const { bytesWritten } = await writeAt(fd, chunk, offset, chunk.length - offset);
    if (bytesWritten === 0) throw new Error('write wrote nothing');
    offset += bytesWritten;
  }
}

/** Reads what is left of an entry's data (none, for all but files), so the tar parser goes on to the next. */
async function drain(stream: EntryData): Promise<void> {
  for await (const _ of stream) {
    // discarded
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function prefixed(where: string, err: unknown): Error {
  if (!(err instanceof Error)) return new Error(`${where}: ${String(err)}`);
  err.message = `${where}: ${err.message}`;
  return err;
}
