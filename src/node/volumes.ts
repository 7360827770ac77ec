/**
 * A pod's volumes on the node: each one a directory under
 * `DIR/pods/<uid>/volumes/<kind>/<name>` (or a path of the machine, for
 * hostPath and local persistent volumes), shown to containers at their
 * volumeMounts by the runtime's bind mounts.
 *
 *   emptyDir            an empty directory (a tmpfs for medium: Memory, as root)
 *   configMap, secret,  files written from the API objects; rewritten when
 *   downwardAPI,        they change, atomically as upstream does: the files
 *   projected           are symlinks into `..data`, which points at a
 *                       timestamped directory that an update replaces in one
 *                       rename — a reader never sees half an update
 *   hostPath            the machine's path, checked or created by its type
 *   persistentVolumeClaim  the bound PersistentVolume's hostPath/local path
 *
 * A volume that cannot be set up (a missing ConfigMap, an unbound claim)
 * is a VolumeError: the pod waits in ContainerCreating and says why in a
 * FailedMount event, and is tried again.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import type { KubeObject } from '../machinery/object.js';
import { quantityValue, tryParseQuantity } from '../machinery/quantity.js';
import { fieldValue, resourceValue, type EnvContainer, type EnvPod, type EnvSources } from './env.js';
import type { Mount } from './runtime/runtime.js';
import { SharedReads } from './shared-reads.js';
import { applyFsGroup } from './volume-ownership.js';

const run = promisify(execFile);

export class VolumeError extends Error {}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

interface DownwardItem {
  path: string;
  fieldRef?: { fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string; divisor?: string };
  mode?: number;
}

interface ProjectionSource {
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[] };
  serviceAccountToken?: { path: string; audience?: string; expirationSeconds?: number };
}

export interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[]; defaultMode?: number };
  projected?: { sources?: ProjectionSource[]; defaultMode?: number };
  hostPath?: { path: string; type?: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export interface VolumeSources extends EnvSources {
  persistentVolumeClaim(namespace: string, name: string): Promise<(KubeObject & { spec?: { volumeName?: string }; status?: { phase?: string } }) | undefined>;
  persistentVolume(name: string): Promise<(KubeObject & { spec?: { hostPath?: { path: string }; local?: { path: string } } }) | undefined>;
  /** A service account token for the pod (TokenRequest); rejects when the cluster cannot issue one. */
  serviceAccountToken(namespace: string, serviceAccount: string, audience: string | undefined, expirationSeconds: number, pod: KubeObject): Promise<string>;
}

type Files = Map<string, { content: Buffer; mode: number }>;

/** A relative path inside a volume: no `..`, not absolute. */
function safePath(path: string): string {
  const clean = normalize(path);
  if (clean.startsWith('/') || clean === '..' || clean.startsWith('../')) throw new VolumeError(`invalid path ${JSON.stringify(path)} in volume`);
  return clean;
}

function keyFiles(data: Record<string, Buffer>, items: KeyToPath[] | undefined, mode: number, what: string): Files {
  const files: Files = new Map();
  if (!items?.length) {
    for (const [key, content] of Object.entries(data)) files.set(safePath(key), { content, mode });
    return files;
  }
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) throw new VolumeError(`configured to use key ${item.key} which does not exist in ${what}`);
    files.set(safePath(item.path), { content, mode: item.mode ?? mode });
  }
  return files;
}

/**
 * Writes a set of files into a directory the way upstream's AtomicWriter
 * does: into a fresh `..<time>` directory, published by renaming the
 * `..data` symlink; the visible names are symlinks through `..data`.
 */
export function writeAtomically(dir: string, files: Files): void {
  mkdirSync(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.hrtime.bigint()}`;
  const target = join(dir, stamp);
  mkdirSync(target);
  for (const [path, { content, mode }] of files) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    writeFileSync(join(target, path), content, { mode });
  }
  const previous = existsSync(join(dir, '..data')) ? readlinkSync(join(dir, '..data')) : undefined;
  symlinkSync(stamp, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  const top = new Set([...files.keys()].map((p) => p.split('/')[0]));
  for (const name of top) {
    if (!existsSync(join(dir, name)) && !isLink(join(dir, name))) symlinkSync(join('..data', name), join(dir, name));
  }
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('..') && !top.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
  if (previous && previous !== stamp) rmSync(join(dir, previous), { recursive: true, force: true });
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function decodeSecret(data: Record<string, string> | undefined): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}

function encodeText(data: Record<string, string> | undefined, binary?: Record<string, string>): Record<string, Buffer> {
  return {
    ...Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'utf8')])),
    ...Object.fromEntries(Object.entries(binary ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  };
}

/** `key="value"` lines, sorted, as the downward API writes labels and annotations. */
function mapLines(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join('\n');
}

function downwardFiles(pod: EnvPod, items: DownwardItem[] | undefined, mode: number, ips: { podIP?: string; hostIP?: string }): Files {
  const files: Files = new Map();
  for (const item of items ?? []) {
    let text: string;
    if (item.fieldRef) {
      const path = item.fieldRef.fieldPath;
      if (path === 'metadata.labels') text = mapLines(pod.metadata.labels);
      else if (path === 'metadata.annotations') text = mapLines(pod.metadata.annotations);
      else {
        try {
          text = fieldValue(pod, path, ips);
        } catch (err) {
          throw new VolumeError((err as Error).message);
        }
      }
    } else if (item.resourceFieldRef) {
      const container = (pod.spec?.containers ?? []).find((c) => c.name === item.resourceFieldRef!.containerName) ?? pod.spec?.containers?.[0];
      text = resourceValue(pod, container as EnvContainer, item.resourceFieldRef);
    } else continue;
    files.set(safePath(item.path), { content: Buffer.from(text), mode: item.mode ?? mode });
  }
  return files;
}

export interface PodVolumesOptions {
  /** `DIR/pods/<uid>/volumes`. */
  dir: string;
  /** On a tmpfs: where secret and projected volumes go (credentials never reach the disk, as the kubelet's tmpfs for each); default `dir`. */
  memoryDir?: string;
  /** Whether the runtime mounts volumes (isolated) and may mount tmpfs. */
  canMount: boolean;
  ips: () => { podIP?: string; hostIP?: string };
}

/** How long a ConfigMap or Secret read for a pod's volumes is used again (see PodVolumes.fetched). */
const objectReuseMs = 5000;

/** The volumes of one pod: set up before its containers start, refreshed while it runs, torn down with it. */
export class PodVolumes {
  /** Where each volume is on the node, once set up. */
  private readonly paths = new Map<string, string>();
  /** The last content written to each generated volume, to write only changes. */
  private readonly written = new Map<string, string>();
  private readonly tmpfs: string[] = [];

  constructor(
    private readonly pod: () => EnvPod & { spec?: { volumes?: Volume[] } },
    private readonly sources: VolumeSources,
    private readonly options: PodVolumesOptions,
  ) {}

  private get volumes(): Volume[] {
    return (this.pod().spec?.volumes as Volume[] | undefined) ?? [];
  }

  /** Sets up every volume not yet set up, and rewrites generated ones whose content changed. */
  async sync(): Promise<void> {
    for (const volume of this.volumes) {
      try {
        await this.syncVolume(volume);
      } catch (err) {
        if (err instanceof VolumeError) throw new VolumeError(`MountVolume.SetUp failed for volume "${volume.name}" : ${err.message}`);
        throw err;
      }
    }
  }

  /** The pod's fsGroup on a volume (volume-ownership.ts): only where the node may change owners (root). */
  private applyFsGroup(dir: string, readOnly: boolean): void {
    const context = (this.pod().spec as { securityContext?: { fsGroup?: number; fsGroupChangePolicy?: string } } | undefined)?.securityContext;
    if (context?.fsGroup === undefined || !this.options.canMount) return;
    try {
      applyFsGroup(dir, { fsGroup: context.fsGroup, changePolicy: context.fsGroupChangePolicy }, readOnly);
    } catch (err) {
      throw new VolumeError(`applying fsGroup ${context.fsGroup}: ${(err as Error).message}`);
    }
  }

  private localDir(kind: string, name: string): string {
    const inMemory = kind === 'secret' || kind === 'projected';
    return join((inMemory && this.options.memoryDir) || this.options.dir, kind, name);
  }

  private async syncVolume(volume: Volume): Promise<void> {
    const pod = this.pod();
    const namespace = pod.metadata.namespace ?? 'default';
    if (volume.emptyDir) {
      if (this.paths.has(volume.name)) return;
      const dir = this.localDir('empty-dir', volume.name);
      mkdirSync(dir, { recursive: true });
      if (volume.emptyDir.medium === 'Memory' && this.options.canMount) {
        const size = volume.emptyDir.sizeLimit ? tryParseQuantity(volume.emptyDir.sizeLimit) : undefined;
        await run('mount', ['-t', 'tmpfs', '-o', size ? `size=${quantityValue(size)}` : 'size=50%', 'tmpfs', dir]).catch((err: Error) => {
          throw new VolumeError(`mounting a tmpfs: ${err.message}`);
        });
        this.tmpfs.push(dir);
      }
      this.applyFsGroup(dir, false);
      this.paths.set(volume.name, dir);
      return;
    }
    if (volume.hostPath) {
      if (!this.paths.has(volume.name)) this.paths.set(volume.name, checkHostPath(volume.hostPath.path, volume.hostPath.type ?? ''));
      return;
    }
    if (volume.persistentVolumeClaim) {
      if (this.paths.has(volume.name)) return;
      const claim = await this.sources.persistentVolumeClaim(namespace, volume.persistentVolumeClaim.claimName);
      if (!claim) throw new VolumeError(`persistentvolumeclaim "${volume.persistentVolumeClaim.claimName}" not found`);
      const pvName = claim.spec?.volumeName;
      if (!pvName || claim.status?.phase !== 'Bound') throw new VolumeError(`persistentvolumeclaim "${volume.persistentVolumeClaim.claimName}" is not bound`);
      const pv = await this.sources.persistentVolume(pvName);
      const path = pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path;
      if (!path) throw new VolumeError(`persistentvolume "${pvName}" is not a hostPath or local volume, which is what this node can mount`);
      mkdirSync(path, { recursive: true });
      // A local volume is the pod's storage; a hostPath one is the machine's, never changed (as upstream).
      if (pv?.spec?.local?.path) this.applyFsGroup(path, volume.persistentVolumeClaim.readOnly ?? false);
      this.paths.set(volume.name, path);
      return;
    }
    // Generated volumes: compute the files, write them when they changed.
    const files = await this.generatedFiles(volume, namespace);
    if (!files) return;
    const dir = this.localDir(volume.configMap ? 'configmap' : volume.secret ? 'secret' : volume.downwardAPI ? 'downward-api' : 'projected', volume.name);
    const fingerprint = JSON.stringify([...files].map(([p, f]) => [p, f.mode, f.content.toString('base64')]));
    if (this.written.get(volume.name) !== fingerprint) {
      writeAtomically(dir, files);
      this.applyFsGroup(dir, true);
      this.written.set(volume.name, fingerprint);
    }
    this.paths.set(volume.name, dir);
  }

  private async generatedFiles(volume: Volume, namespace: string): Promise<Files | undefined> {
    const pod = this.pod();
    if (volume.configMap) {
      const source = volume.configMap;
      const object = (await this.fetched('configmap', namespace, source.name, () => this.sources.configMap(namespace, source.name))) as { data?: Record<string, string>; binaryData?: Record<string, string> } | undefined;
      if (!object) {
        if (source.optional) return new Map();
        throw new VolumeError(`configmap "${source.name}" not found`);
      }
      return keyFiles(encodeText(object.data, object.binaryData), source.items, source.defaultMode ?? 0o644, `ConfigMap ${namespace}/${source.name}`);
    }
    if (volume.secret) {
      const source = volume.secret;
      const object = await this.fetched('secret', namespace, source.secretName, () => this.sources.secret(namespace, source.secretName));
      if (!object) {
        if (source.optional) return new Map();
        throw new VolumeError(`secret "${source.secretName}" not found`);
      }
      return keyFiles(decodeSecret(object.data), source.items, source.defaultMode ?? 0o644, `Secret ${namespace}/${source.secretName}`);
    }
    if (volume.downwardAPI) return downwardFiles(pod, volume.downwardAPI.items, volume.downwardAPI.defaultMode ?? 0o644, this.options.ips());
    if (volume.projected) {
      const mode = volume.projected.defaultMode ?? 0o644;
      const files: Files = new Map();
      for (const source of volume.projected.sources ?? []) {
        if (source.configMap) {
          const object = (await this.fetched('configmap', namespace, source.configMap.name, () => this.sources.configMap(namespace, source.configMap!.name))) as { data?: Record<string, string>; binaryData?: Record<string, string> } | undefined;
          if (!object && !source.configMap.optional) throw new VolumeError(`configmap "${source.configMap.name}" not found`);
          if (object) for (const [p, f] of keyFiles(encodeText(object.data, object.binaryData), source.configMap.items, mode, `ConfigMap ${namespace}/${source.configMap.name}`)) files.set(p, f);
        } else if (source.secret) {
          const object = await this.fetched('secret', namespace, source.secret.name, () => this.sources.secret(namespace, source.secret!.name));
          if (!object && !source.secret.optional) throw new VolumeError(`secret "${source.secret.name}" not found`);
          if (object) for (const [p, f] of keyFiles(decodeSecret(object.data), source.secret.items, mode, `Secret ${namespace}/${source.secret.name}`)) files.set(p, f);
        } else if (source.downwardAPI) {
          for (const [p, f] of downwardFiles(pod, source.downwardAPI.items, mode, this.options.ips())) files.set(p, f);
        } else if (source.serviceAccountToken) {
          const token = this.tokens.get(source.serviceAccountToken.path);
          const expiration = source.serviceAccountToken.expirationSeconds ?? 3600;
          // Refreshed at 80% of its life, as the kubelet does.
          if (!token || Date.now() > token.refreshAt) {
            let value: string;
            try {
              value = await this.sources.serviceAccountToken(namespace, (pod.spec?.serviceAccountName as string | undefined) ?? 'default', source.serviceAccountToken.audience, expiration, pod);
            } catch (err) {
              throw new VolumeError(`failed to fetch token: ${(err as Error).message}`);
            }
            this.tokens.set(source.serviceAccountToken.path, { value, refreshAt: Date.now() + expiration * 800 });
          }
          files.set(safePath(source.serviceAccountToken.path), { content: Buffer.from(this.tokens.get(source.serviceAccountToken.path)!.value), mode });
        }
      }
      return files;
    }
    return undefined;
  }

  private readonly tokens = new Map<string, { value: string; refreshAt: number }>();

  /**
   * ConfigMaps and Secrets read for this pod's volumes, each read again only
   * when the last answer is over 5 s old: a starting pod syncs several times
   * within a second (its sandbox, each container's start), and the object is
   * the same each time — as with the kubelet's object cache, whose updates
   * also reach volumes only within a sync period.
   */
  private readonly recentObjects = new SharedReads<{ data?: Record<string, string> } | undefined>(objectReuseMs);

  private fetched(kind: string, namespace: string, name: string, read: () => Promise<{ data?: Record<string, string> } | undefined>): Promise<{ data?: Record<string, string> } | undefined> {
    return this.recentObjects.read(`${kind}/${namespace}/${name}`, read);
  }

  /** The bind mounts a container gets for its volumeMounts (after sync). */
  mountsFor(container: { volumeMounts?: VolumeMount[] }): Mount[] {
    const mounts: Mount[] = [];
    for (const mount of container.volumeMounts ?? []) {
      const base = this.paths.get(mount.name);
      if (!base) throw new VolumeError(`volume "${mount.name}" is not set up`);
      const volume = this.volumes.find((v) => v.name === mount.name);
      let hostPath = base;
      if (mount.subPath) {
        hostPath = join(base, safePath(mount.subPath));
        if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true });
      }
      // ConfigMaps, Secrets, the downward API and projected volumes are always read-only, as upstream mounts them.
      const generated = !!(volume?.configMap || volume?.secret || volume?.downwardAPI || volume?.projected);
      mounts.push({ hostPath, containerPath: mount.mountPath, readOnly: mount.readOnly || generated || volume?.persistentVolumeClaim?.readOnly });
    }
    return mounts;
  }

  /**
   * The first disk-backed emptyDir whose contents have grown past its
   * sizeLimit (a Memory emptyDir is held to its limit by its tmpfs).
   */
  overLimit(): { volume: string; sizeLimit: string } | undefined {
    for (const volume of this.volumes) {
      const limitText = volume.emptyDir?.sizeLimit;
      if (!limitText || volume.emptyDir?.medium === 'Memory') continue;
      const limit = tryParseQuantity(limitText);
      const path = this.paths.get(volume.name);
      if (!limit || !path) continue;
      if (directorySize(path) > quantityValue(limit)) return { volume: volume.name, sizeLimit: limitText };
    }
    return undefined;
  }

  /** Where a volume is on the node (for messages to users without isolation). */
  pathOf(name: string): string | undefined {
    return this.paths.get(name);
  }

  /** Unmounts and removes the pod's own volume directories (never hostPath or persistent volumes). */
  async tearDown(): Promise<void> {
    for (const dir of this.tmpfs.splice(0)) await run('umount', ['-l', dir]).catch(() => {});
    rmSync(this.options.dir, { recursive: true, force: true });
    // And `DIR/pods/<uid>` itself once nothing else is in it.
    try {
      rmdirSync(dirname(this.options.dir));
    } catch {
      /* not empty, or gone */
    }
    // The pod's own dir in memory (`<memory>/<uid>`), not left behind empty for every pod.
    if (this.options.memoryDir) rmSync(dirname(this.options.memoryDir), { recursive: true, force: true });
  }
}

/** Bytes used by the files under a directory (what `du` would count, roughly: sizes, not blocks). */
function directorySize(dir: string): number {
  let total = 0;
  const pending = [dir];
  while (pending.length) {
    const current = pending.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) {
        try {
          total += statSync(path).size;
        } catch {
          /* gone meanwhile */
        }
      }
    }
  }
  return total;
}

/** A hostPath volume's path, checked (or created) by its type as upstream does. */
function checkHostPath(path: string, type: string): string {
  const stat = (() => {
    try {
      return statSync(path);
    } catch {
      return undefined;
    }
  })();
  switch (type) {
    case 'DirectoryOrCreate':
      if (!stat) mkdirSync(path, { recursive: true, mode: 0o755 });
      else if (!stat.isDirectory()) throw new VolumeError(`hostPath type check failed: ${path} is not a directory`);
      break;
    case 'Directory':
      if (!stat?.isDirectory()) throw new VolumeError(`hostPath type check failed: ${path} is not a directory`);
      break;
    case 'FileOrCreate':
      if (!stat) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, '', { mode: 0o644 });
      } else if (!stat.isFile()) throw new VolumeError(`hostPath type check failed: ${path} is not a file`);
      break;
    case 'File':
      if (!stat?.isFile()) throw new VolumeError(`hostPath type check failed: ${path} is not a file`);
      break;
    case 'Socket':
      if (!stat?.isSocket()) throw new VolumeError(`hostPath type check failed: ${path} is not a socket file`);
      break;
    case 'CharDevice':
      if (!stat?.isCharacterDevice()) throw new VolumeError(`hostPath type check failed: ${path} is not a character device`);
      break;
    case 'BlockDevice':
      if (!stat?.isBlockDevice()) throw new VolumeError(`hostPath type check failed: ${path} is not a block device`);
      break;
    default:
      break;
  }
  return path;
}
