/**
 * The sandbox ("pause") image, built on the node from a program it already
 * has, so containerd never fetches registry.k8s.io/pause:
 *
 *   /usr/bin/catatonit (static) ─► one layer: /catatonit ─► config: Entrypoint ["/catatonit", "-P"]
 *   ─► OCI image layout archive (oci-layout, index.json naming the image, blobs/sha256/…)
 *   ─► ctr -n k8s.io images import (unpacked for the CRI's snapshotter)
 *
 * catatonit -P is the pause mode podman's infra containers use: it holds the
 * namespaces, reaps zombies and ends on SIGTERM. A pause program must run
 * alone in an empty root, so it must be statically linked; when catatonit is
 * missing or is not, busybox-static's `sleep infinity` holds the pod instead
 * (it reaps nothing, but the pod's namespaces live as long as it does).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { pack } from 'tar-stream';
import { writeFileAtomic } from '../../../../util/files.js';
import { CRI_NAMESPACE, ctr, imageNames, type CtrOptions } from './ctr.js';

/** The sandbox_image containerd is given: a name no registry serves, so nothing tries to pull it. */
export const SANDBOX_IMAGE = 'skiff.local/pause:3.10';

/** A pause program larger than this is not one: it is refused rather than read whole. */
const MAX_PROGRAM_BYTES = 64 * 1024 * 1024;
const EPOCH = new Date(0);

const MediaTypes = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
};

export interface PauseProgram {
  /** The program on this machine. */
  source: string;
  /** Its path in the image. */
  path: string;
  entrypoint: string[];
  /** Which one and why, for the log. */
  note: string;
}

const CANDIDATES: { source: string; path: string; entrypoint: string[]; what: string }[] = [
  { source: '/usr/bin/catatonit', path: '/catatonit', entrypoint: ['/catatonit', '-P'], what: 'catatonit -P' },
  { source: '/bin/busybox', path: '/busybox', entrypoint: ['/busybox', 'sleep', 'infinity'], what: "busybox-static's sleep infinity" },
];

/**
 * Whether an ELF executable runs without a dynamic loader: it has no
 * PT_INTERP program header (a static-pie binary has none either).
 */
export function isStaticElf(bytes: Buffer): boolean {
  if (bytes.length < 52 || bytes.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = bytes[4] === 2;
  const little = bytes[5] === 1;
  const u16 = (offset: number) => (little ? bytes.readUInt16LE(offset) : bytes.readUInt16BE(offset));
  const u32 = (offset: number) => (little ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset));
  const phoff = is64 ? Number(little ? bytes.readBigUInt64LE(32) : bytes.readBigUInt64BE(32)) : u32(28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  if (phentsize === 0 || phoff + phnum * phentsize > bytes.length) return false;
  const PT_INTERP = 3;
  for (let index = 0; index < phnum; index++) {
    if (u32(phoff + index * phentsize) === PT_INTERP) return false;
  }
  return true;
}

/** The program the pause image runs: catatonit when static, else busybox-static. */
export function choosePauseProgram(candidates = CANDIDATES): PauseProgram {
  const passed: string[] = [];
  for (const candidate of candidates) {
    if (!existsSync(candidate.source)) {
      passed.push(`${candidate.source} is missing`);
      continue;
    }
    const size = statSync(candidate.source).size;
    if (size > MAX_PROGRAM_BYTES || !isStaticElf(readFileSync(candidate.source))) {
      passed.push(`${candidate.source} is not a statically linked program`);
      continue;
    }
    const note = passed.length > 0 ? `${candidate.what} (${passed.join('; ')})` : `${candidate.what} (statically linked)`;
    return { source: candidate.source, path: candidate.path, entrypoint: candidate.entrypoint, note };
  }
  throw new Error(`no program for the pause image: ${passed.join('; ')} — install catatonit or busybox-static`);
}

/** The image's platform in OCI's words. */
export function ociArchitecture(arch: string = process.arch): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return names[arch] ?? arch;
}

/** `host:5000/pause:3.10` → repository `host:5000/pause`, tag `3.10` (a port is not a tag). */
export function splitImageName(name: string): { repository: string; tag: string } {
  const colon = name.lastIndexOf(':');
  if (colon <= name.lastIndexOf('/')) throw new Error(`image name ${name}: expected repository:tag`);
  return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A tar of files (with a body) and directories (without). */
function tarOf(entries: { name: string; body?: Buffer; mode: number }[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    archive.on('data', (chunk) => chunks.push(chunk as Buffer));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
  });
  for (const entry of entries) {
    const header = { name: entry.name, mode: entry.mode, uid: 0, gid: 0, mtime: EPOCH };
    if (entry.body) archive.entry({ ...header, type: 'file', size: entry.body.length }, entry.body);
    else archive.entry({ ...header, type: 'directory' });
  }
  archive.finalize();
  return done;
}

/**
 * The image as an OCI image layout archive, named `name` in index.json.
 * Fixed times and ordered JSON: the same program gives the same digests.
 */
export async function buildPauseImageArchive(program: PauseProgram, name: string = SANDBOX_IMAGE, arch: string = ociArchitecture()): Promise<Buffer> {
  const layer = await tarOf([{ name: program.path.replace(/^\/+/, ''), body: readFileSync(program.source), mode: 0o755 }]);
  const layerDigest = digestOf(layer);
  const config = Buffer.from(
    JSON.stringify({
      created: EPOCH.toISOString(),
      architecture: arch,
      os: 'linux',
      // As upstream's pause image: an unprivileged user, nothing else.
      config: { User: '65535:65535', Entrypoint: program.entrypoint, WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
      history: [{ created: EPOCH.toISOString(), created_by: `skiff: ${program.entrypoint.join(' ')} from ${program.source}` }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.manifest,
      config: { mediaType: MediaTypes.config, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: MediaTypes.layer, digest: layerDigest, size: layer.length }],
    }),
  );
  const { tag } = splitImageName(name);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.index,
      manifests: [
        {
          mediaType: MediaTypes.manifest,
          digest: digestOf(manifest),
          size: manifest.length,
          platform: { architecture: arch, os: 'linux' },
          annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  const blob = (bytes: Buffer) => ({ name: `blobs/sha256/${digestOf(bytes).slice('sha256:'.length)}`, body: bytes, mode: 0o644 });
  return tarOf([
    { name: 'oci-layout', body: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })), mode: 0o644 },
    { name: 'index.json', body: index, mode: 0o644 },
    { name: 'blobs/', mode: 0o755 },
    { name: 'blobs/sha256/', mode: 0o755 },
    blob(layer),
    blob(config),
    blob(manifest),
  ]);
}

export interface EnsurePauseImageOptions extends Omit<CtrOptions, 'namespace'> {
  /** Where the archive is written before import. */
  archivePath: string;
  /** The CRI's snapshotter: the image is unpacked for it, as the sandbox's root needs. */
  snapshotter: string;
  name?: string;
  log?: (event: { msg: string } & Record<string, unknown>) => void;
}

/** Imports the pause image into the CRI's namespace unless an image of that name is there. */
export async function ensurePauseImage(options: EnsurePauseImageOptions): Promise<'present' | 'imported'> {
  const name = options.name ?? SANDBOX_IMAGE;
  const target = { ...options, namespace: CRI_NAMESPACE };
  if ((await imageNames(target)).includes(name)) return 'present';
  const program = choosePauseProgram();
  writeFileAtomic(options.archivePath, await buildPauseImageArchive(program, name), 0o644);
  const { repository: baseName } = splitImageName(name);
  // --base-name: only this name is taken from the archive; the import unpacks for the CRI's snapshotter.
  await ctr(target, ['images', 'import', '--base-name', baseName, '--snapshotter', options.snapshotter, options.archivePath]);
  if (!(await imageNames(target)).includes(name)) throw new Error(`the pause image ${name} is not listed after its import from ${options.archivePath}`);
  options.log?.({ msg: 'pause image imported', image: name, program: program.note });
  return 'imported';
}
