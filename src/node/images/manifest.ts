/**
 * Reading what a registry sends: OCI image indexes and Docker manifest
 * lists (one manifest per platform), OCI and Docker schema2 image
 * manifests, and image configs. Everything here is hostile input: shapes
 * are checked before they are used, and what skiff cannot run (schema1, a
 * foreign media type) is refused with a message that says so.
 */
import type { ImageConfig } from './types.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string; variant?: string };
}

export interface ImageManifest {
  config: Descriptor;
  layers: Descriptor[];
}

export interface ParsedConfig {
  config: ImageConfig;
  diffIds: string[];
  architecture?: string;
  os?: string;
}

export const indexMediaTypes = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
export const imageManifestMediaTypes = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];
const maxLayers = 256;

export class ManifestError extends Error {}

function parseJson(body: Buffer, what: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    /* said below */
  }
  throw new ManifestError(`the ${what} is not a JSON object`);
}

function descriptor(value: unknown, what: string): Descriptor {
  const d = value as Partial<Descriptor> | undefined;
  if (!d || typeof d.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d.digest) || typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new ManifestError(`${what}: a descriptor needs a sha256 digest and a size`);
  }
  return { mediaType: typeof d.mediaType === 'string' ? d.mediaType : '', digest: d.digest, size: d.size, ...(d.platform ? { platform: d.platform } : {}) };
}

/** The media type of a manifest: the answer's Content-Type, or the body's own `mediaType`. */
export function manifestKind(mediaType: string, body: Buffer): 'index' | 'image' {
  const own = parseJson(body, 'manifest');
  const type = (typeof own.mediaType === 'string' && own.mediaType) || mediaType;
  if (indexMediaTypes.includes(type) || (!type && Array.isArray(own.manifests))) return 'index';
  if (imageManifestMediaTypes.includes(type) || (!type && own.config)) return 'image';
  if (own.schemaVersion === 1 || type.includes('manifest.v1+')) throw new ManifestError('Docker schema 1 manifests are not supported (the registry should convert; push the image again with a current client)');
  throw new ManifestError(`unsupported manifest media type ${JSON.stringify(type)}`);
}

/** The Go names of Node's architectures, as image platforms spell them. */
export function nodePlatform(): { os: string; architecture: string; variant?: string } {
  const architecture = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
  return { os: 'linux', architecture, ...(architecture === 'arm64' ? { variant: 'v8' } : architecture === 'arm' ? { variant: 'v7' } : {}) };
}

/** The manifest of an index for this platform (a variant is preferred when it matches, not required). */
export function selectPlatform(body: Buffer, platform = nodePlatform()): Descriptor {
  const index = parseJson(body, 'image index');
  if (!Array.isArray(index.manifests)) throw new ManifestError('the image index has no manifests');
  const candidates = index.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)).filter((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture);
  const chosen = candidates.find((m) => !platform.variant || !m.platform?.variant || m.platform.variant === platform.variant) ?? candidates[0];
  if (!chosen) {
    const offered = index.manifests.map((m) => (m as Descriptor).platform).filter(Boolean).map((p) => `${p!.os}/${p!.architecture}${p!.variant ? `/${p!.variant}` : ''}`);
    throw new ManifestError(`no match for platform in manifest: not found (the image is for ${offered.join(', ') || 'no platform'}; this node is ${platform.os}/${platform.architecture})`);
  }
  return chosen;
}

export function parseImageManifest(body: Buffer): ImageManifest {
  const manifest = parseJson(body, 'image manifest');
  if (!Array.isArray(manifest.layers)) throw new ManifestError('the image manifest has no layers');
  if (manifest.layers.length > maxLayers) throw new ManifestError(`the image has ${manifest.layers.length} layers, more than the ${maxLayers} skiff accepts`);
  return { config: descriptor(manifest.config, 'config'), layers: manifest.layers.map((l, i) => descriptor(l, `layers[${i}]`)) };
}

const strings = (value: unknown): string[] | undefined => (Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The image config's parts a container start uses, and the layers' diff ids. */
export function parseImageConfig(body: Buffer): ParsedConfig {
  const raw = parseJson(body, 'image config');
  const rootfs = raw.rootfs as { diff_ids?: unknown } | undefined;
  const diffIds = strings(rootfs?.diff_ids);
  if (!diffIds || !diffIds.every((d) => /^sha256:[a-f0-9]{64}$/.test(d))) throw new ManifestError('the image config has no valid rootfs.diff_ids');
  const c = (raw.config ?? {}) as Record<string, unknown>;
  const config: ImageConfig = {};
  if (text(c.User)) config.user = c.User as string;
  if (strings(c.Env)) config.env = c.Env as string[];
  if (strings(c.Entrypoint)) config.entrypoint = c.Entrypoint as string[];
  if (strings(c.Cmd)) config.cmd = c.Cmd as string[];
  if (text(c.WorkingDir)) config.workingDir = c.WorkingDir as string;
  if (c.ExposedPorts && typeof c.ExposedPorts === 'object') config.exposedPorts = Object.keys(c.ExposedPorts);
  if (c.Labels && typeof c.Labels === 'object') config.labels = Object.fromEntries(Object.entries(c.Labels).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  if (text(c.StopSignal)) config.stopSignal = c.StopSignal as string;
  return { config, diffIds, architecture: text(raw.architecture), os: text(raw.os) };
}
