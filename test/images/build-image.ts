/**
 * Test support: builds OCI and Docker schema2 images (layers, config,
 * manifest, index) in memory from local files and literal content, so image
 * tests never need the internet or a docker daemon. Output is deterministic
 * (fixed mtimes, stable JSON) so digests are stable across runs on one host.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

export type Compression = 'gzip' | 'zstd' | 'none';
export type ImageFormat = 'oci' | 'docker';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface LayerEntry {
  /** Path inside the image; a leading `/` or `./` is ignored. */
  path: string;
  /** Copy this local file's bytes (and, when `mode` is unset, its permission bits). */
  file?: string;
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  /** `whiteout` deletes `path` from lower layers; `opaque` hides everything lower layers put under the directory `path`. */
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'whiteout' | 'opaque';
  /** Symlink target (kept verbatim) or hardlink target (a path in this layer). */
  target?: string;
  /** Extended attributes (`security.capability`, `user.*`), written as PAX `SCHILY.xattr.` records, as docker and GNU tar write them. */
  xattrs?: Record<string, Buffer>;
}

export interface BuiltLayer {
  /** The blob as stored in a registry (compressed unless `compression` is `none`). */
  blob: Buffer;
  /** sha256 of `blob`. */
  digest: string;
  /** sha256 of the uncompressed tar, as listed in the config's `rootfs.diff_ids`. */
  diffId: string;
  mediaType: string;
  size: number;
  compression: Compression;
  /** The uncompressed tar, kept because `docker save` archives store layers uncompressed. */
  tar: Buffer;
}

/** A layer already built, or entries to build one from (gzip unless told otherwise). */
export type LayerSpec = BuiltLayer | { entries: LayerEntry[]; compression?: Compression };

export interface ImageRuntimeConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Labels?: Record<string, string>;
  Volumes?: Record<string, Record<string, never>>;
  StopSignal?: string;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface BuiltImage {
  kind: 'image';
  format: ImageFormat;
  platform: Platform;
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  config: Buffer;
  configDigest: string;
  configMediaType: string;
  /** Layers in manifest order, with the media types the manifest lists. */
  layers: BuiltLayer[];
}

export interface BuiltIndex {
  kind: 'index';
  format: ImageFormat;
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  images: BuiltImage[];
}

export interface BuildImageOptions {
  layers: LayerSpec[];
  config?: ImageRuntimeConfig;
  format?: ImageFormat;
  /** Go architecture name; defaults to the host's, so busybox from this host runs in the image. */
  architecture?: string;
  os?: string;
  variant?: string;
}

/** A fixed timestamp keeps tar headers and config JSON byte-identical between runs. */
const EPOCH = new Date(0);
const EPOCH_ISO = '1970-01-01T00:00:00Z';

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The Go (GOARCH) name of this host's architecture, which image platforms use. */
export function hostArchitecture(): string {
  const goNames: Partial<Record<NodeJS.Architecture, string>> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loong64',
  };
  return goNames[process.arch] ?? 'amd64';
}

function normalizeImagePath(path: string): string {
  const normalized = posix.normalize(`/${path}`).replace(/^\/+/, '').replace(/\/+$/, '');
  if (normalized === '' || normalized === '.' || normalized.startsWith('..')) {
    throw new Error(`layer entry path ${JSON.stringify(path)} does not name anything inside the image`);
  }
  return normalized;
}

/** One tar record: the header plus file bytes for regular files. */
export interface TarRecord {
  header: Partial<Header> & { name: string };
  body?: Buffer;
  xattrs?: Record<string, Buffer>;
}

/** One PAX record, `LENGTH KEY=VALUE\n`, LENGTH counting the whole record (its own digits too) in bytes. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

/**
 * A PAX extended header (typeflag `x`, or `g` for a global one) carrying binary values byte for
 * byte, padded to whole blocks: tar-stream's own PAX writer encodes values
 * as UTF-8 text, which would mangle a file capability's bytes.
 */
export function paxHeader(name: string, records: Record<string, Buffer>, type: 'x' | 'g' = 'x'): Buffer {
  const data = Buffer.concat(Object.entries(records).map(([key, value]) => paxRecord(key, value)));
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, text: string) => header.write(text.slice(0, length), offset, 'latin1');
  const octal = (value: number, digits: number) => value.toString(8).padStart(digits, '0');
  field(0, 99, `PaxHeaders/${name}`);
  field(100, 7, octal(0o644, 7));
  field(108, 7, octal(0, 7));
  field(116, 7, octal(0, 7));
  field(124, 11, octal(data.length, 11));
  field(136, 11, octal(0, 11));
  field(148, 8, ' '.repeat(8));
  field(156, 1, type);
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let checksum = 0;
  for (const byte of header) checksum += byte;
  field(148, 7, `${octal(checksum, 6)}\0`);
  return Buffer.concat([header, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

function recordFor(entry: LayerEntry, path: string): TarRecord {
  const record = plainRecordFor(entry, path);
  if (!entry.xattrs) return record;
  return { ...record, xattrs: Object.fromEntries(Object.entries(entry.xattrs).map(([name, value]) => [`SCHILY.xattr.${name}`, value])) };
}

function plainRecordFor(entry: LayerEntry, path: string): TarRecord {
  const owner = { uid: entry.uid ?? 0, gid: entry.gid ?? 0, mtime: EPOCH };
  const type = entry.type ?? (entry.target !== undefined ? 'symlink' : 'file');
  switch (type) {
    case 'dir':
      // A trailing slash marks directories the way docker and GNU tar write them.
      return { header: { name: `${path}/`, type: 'directory', mode: entry.mode ?? 0o755, ...owner } };
    case 'symlink':
    case 'hardlink': {
      if (entry.target === undefined) throw new Error(`${type} ${path} needs a target`);
      const linkname = type === 'hardlink' ? normalizeImagePath(entry.target) : entry.target;
      return { header: { name: path, type: type === 'hardlink' ? 'link' : 'symlink', linkname, mode: entry.mode ?? 0o777, ...owner } };
    }
    case 'whiteout': {
      const whiteoutName = posix.join(posix.dirname(path), `.wh.${posix.basename(path)}`);
      return { header: { name: normalizeImagePath(whiteoutName), type: 'file', mode: 0o644, ...owner }, body: Buffer.alloc(0) };
    }
    case 'opaque':
      return { header: { name: `${path}/.wh..wh..opq`, type: 'file', mode: 0o644, ...owner }, body: Buffer.alloc(0) };
    case 'file': {
      let body: Buffer;
      let mode = entry.mode;
      if (entry.file !== undefined) {
        body = readFileSync(entry.file);
        mode ??= statSync(entry.file).mode & 0o7777;
      } else {
        body = typeof entry.content === 'string' ? Buffer.from(entry.content) : (entry.content ?? Buffer.alloc(0));
      }
      return { header: { name: path, type: 'file', mode: mode ?? 0o644, size: body.length, ...owner }, body };
    }
  }
}

/**
 * Orders entries so every directory appears before what it contains, as
 * runtimes extracting with strict parent checks expect. A directory listed
 * explicitly later is hoisted to where its first child needs it, keeping its
 * own mode and owner; missing directories get 0755 root:root.
 */
function orderedRecords(entries: LayerEntry[]): TarRecord[] {
  const explicitDirs = new Map<string, LayerEntry>();
  for (const entry of entries) {
    if (entry.type === 'dir') explicitDirs.set(normalizeImagePath(entry.path), entry);
  }
  const emittedDirs = new Set<string>();
  const records: TarRecord[] = [];
  const emitDir = (dir: string) => {
    if (emittedDirs.has(dir)) return;
    emitParentsOf(dir);
    emittedDirs.add(dir);
    records.push(recordFor(explicitDirs.get(dir) ?? { path: dir, type: 'dir' }, dir));
  };
  const emitParentsOf = (path: string) => {
    const parent = posix.dirname(path);
    if (parent !== '.' && parent !== '/') emitDir(parent);
  };
  for (const entry of entries) {
    const path = normalizeImagePath(entry.path);
    if (entry.type === 'dir') {
      emitDir(path);
    } else if (entry.type === 'opaque') {
      // The marker lives inside the directory, so the directory itself must exist first.
      emitDir(path);
      records.push(recordFor(entry, path));
    } else {
      emitParentsOf(path);
      records.push(recordFor(entry, path));
    }
  }
  return records;
}

/** Packs records into an uncompressed tar, in the order given. */
export async function packTar(records: TarRecord[]): Promise<Buffer> {
  if (!records.some((record) => record.xattrs)) return packWithTarStream(records);
  // A tar is a sequence of entries: each record with xattrs gets its own PAX header, written here, before it.
  const endOfArchive = 1024;
  const parts: Buffer[] = [];
  for (const record of records) {
    if (record.xattrs) parts.push(paxHeader(record.header.name, record.xattrs));
    const single = await packWithTarStream([record]);
    parts.push(single.subarray(0, single.length - endOfArchive));
  }
  parts.push(Buffer.alloc(endOfArchive));
  return Buffer.concat(parts);
}

async function packWithTarStream(records: TarRecord[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const record of records) {
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve());
      if (record.body) archive.entry(record.header, record.body, done);
      else archive.entry(record.header, done);
    });
  }
  archive.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** Compresses with the zstd CLI: no zstd encoder is among the project's npm dependencies. */
export function zstdCompress(bytes: Buffer): Buffer {
  try {
    return execFileSync('zstd', ['-q', '-c'], { input: bytes, maxBuffer: 1 << 30 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error('zstd compression needs the zstd CLI on PATH (apt-get install zstd)');
    throw error;
  }
}

export function compress(bytes: Buffer, compression: Compression): Buffer {
  switch (compression) {
    case 'gzip':
      return gzipSync(bytes);
    case 'zstd':
      return zstdCompress(bytes);
    case 'none':
      return bytes;
  }
}

const ociLayerMediaTypes: Record<Compression, string> = {
  gzip: MediaTypes.ociLayerGzip,
  zstd: MediaTypes.ociLayerZstd,
  none: MediaTypes.ociLayer,
};

export async function buildLayer(entries: LayerEntry[], compression: Compression = 'gzip'): Promise<BuiltLayer> {
  const tar = await packTar(orderedRecords(entries));
  const blob = compress(tar, compression);
  return {
    blob,
    digest: sha256Digest(blob),
    diffId: sha256Digest(tar),
    mediaType: ociLayerMediaTypes[compression],
    size: blob.length,
    compression,
    tar,
  };
}

function layerMediaType(layer: BuiltLayer, format: ImageFormat): string {
  if (format === 'oci') return ociLayerMediaTypes[layer.compression];
  // Schema2 has no registered media type for zstd or uncompressed layers that runtimes agree on.
  if (layer.compression !== 'gzip') throw new Error(`docker-format images support only gzip layers, not ${layer.compression}`);
  return MediaTypes.dockerLayerGzip;
}

function descriptorOf(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length };
}

export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const format = options.format ?? 'oci';
  const platform: Platform = {
    architecture: options.architecture ?? hostArchitecture(),
    os: options.os ?? 'linux',
    ...(options.variant ? { variant: options.variant } : {}),
  };
  const builtLayers: BuiltLayer[] = [];
  for (const spec of options.layers) {
    builtLayers.push('blob' in spec ? spec : await buildLayer(spec.entries, spec.compression ?? 'gzip'));
  }
  const layers = builtLayers.map((layer) => ({ ...layer, mediaType: layerMediaType(layer, format) }));

  const config = Buffer.from(
    JSON.stringify({
      created: EPOCH_ISO,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: options.config ?? {},
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
      history: layers.map((_, index) => ({ created: EPOCH_ISO, created_by: `skiff test image layer ${index + 1}` })),
    }),
  );
  const configMediaType = format === 'oci' ? MediaTypes.ociConfig : MediaTypes.dockerConfig;
  const manifestMediaType = format === 'oci' ? MediaTypes.ociManifest : MediaTypes.dockerManifest;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestMediaType,
      config: descriptorOf(configMediaType, config),
      layers: layers.map((layer) => ({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size })),
    }),
  );
  return {
    kind: 'image',
    format,
    platform,
    manifest,
    manifestDigest: sha256Digest(manifest),
    manifestMediaType,
    config,
    configDigest: sha256Digest(config),
    configMediaType,
    layers,
  };
}

/** A multi-platform image: an OCI index or a Docker manifest list. `platform` defaults to the image's own. */
export function buildIndex(images: { image: BuiltImage; platform?: Platform }[], format: ImageFormat = 'oci'): BuiltIndex {
  const manifestMediaType = format === 'oci' ? MediaTypes.ociIndex : MediaTypes.dockerManifestList;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestMediaType,
      manifests: images.map(({ image, platform }) => ({
        ...descriptorOf(image.manifestMediaType, image.manifest),
        platform: platform ?? image.platform,
      })),
    }),
  );
  return {
    kind: 'index',
    format,
    manifest,
    manifestDigest: sha256Digest(manifest),
    manifestMediaType,
    images: images.map(({ image }) => image),
  };
}

/** Users and groups of the busybox layer; `app` (1000) is there to test `User` and runAsUser. */
const PASSWD = ['root:x:0:0:root:/root:/bin/sh', 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false', 'app:x:1000:1000::/home/app:/bin/sh', ''].join('\n');
const GROUP = ['root:x:0:', 'nobody:x:65534:', 'app:x:1000:', ''].join('\n');
const BUSYBOX_APPLETS = ['sh', 'echo', 'cat', 'ls', 'id', 'sleep', 'wget', 'touch', 'mkdir', 'env', 'pwd', 'httpd', 'grep', 'stty', 'test', 'tar', 'rm', 'true', 'hostname'];

/**
 * A minimal runnable root filesystem from the host's static busybox: enough
 * for a shell, files, users and a tiny web server. Needs `/bin/busybox` to be
 * a static binary (Debian's busybox-static), since the image has no libc.
 */
export function busyboxLayer(busyboxPath = '/bin/busybox'): LayerEntry[] {
  return [
    { path: 'bin/busybox', file: busyboxPath, mode: 0o755 },
    ...BUSYBOX_APPLETS.map((applet): LayerEntry => ({ path: `bin/${applet}`, type: 'symlink', target: 'busybox' })),
    { path: 'etc/passwd', content: PASSWD, mode: 0o644 },
    { path: 'etc/group', content: GROUP, mode: 0o644 },
    { path: 'root', type: 'dir', mode: 0o700 },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
    { path: 'home/app', type: 'dir', mode: 0o755, uid: 1000, gid: 1000 },
  ];
}
