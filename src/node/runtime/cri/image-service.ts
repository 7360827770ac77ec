/**
 * The node's images when containerd holds them: images/types.ts's
 * ImageService over the CRI's ImageService. containerd pulls, stores and
 * unpacks; this maps its answers to ours — the image config from
 * ImageStatus's verbose info (containerd puts the OCI image there as JSON),
 * when a container last used an image from what the relist sees, and the
 * image file system's size from the disk under containerd's mountpoint.
 */
import { statfs } from 'node:fs/promises';
import { ImageError, type ImageConfig, type ImageFsUsage, type ImageInfo, type ImageService, type PullOptions, type PullResult, type RegistryCredentials } from '../../images/types.js';
import { CriError, type CriClient } from './client.js';
import type { AuthConfig, CriImage } from './cri-types.js';

export interface CriImageServiceOptions {
  /** The sandbox (pause) image containerd runs pods with: never removed (containerd 1.6 does not pin it). */
  sandboxImage?: string;
}

/** The OCI image config as containerd's verbose ImageStatus gives it (`info.info` → imageSpec). */
interface VerboseImageInfo {
  imageSpec?: {
    config?: { User?: string; Env?: string[]; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; ExposedPorts?: Record<string, unknown>; Labels?: Record<string, string>; StopSignal?: string };
    rootfs?: { diff_ids?: string[] };
  };
}

export function authConfigOf(credentials: RegistryCredentials | undefined): AuthConfig | undefined {
  if (!credentials) return undefined;
  const auth: AuthConfig = {
    ...(credentials.username ? { username: credentials.username } : {}),
    ...(credentials.password ? { password: credentials.password } : {}),
    ...(credentials.identityToken ? { identityToken: credentials.identityToken } : {}),
    ...(credentials.registryToken ? { registryToken: credentials.registryToken } : {}),
  };
  return Object.keys(auth).length ? auth : undefined;
}

function configOf(image: CriImage, info: Record<string, string> | undefined): { config: ImageConfig; layers: string[] } {
  let verbose: VerboseImageInfo = {};
  try {
    if (info?.info) verbose = JSON.parse(info.info) as VerboseImageInfo;
  } catch {
    // Not containerd's format: what the plain status says is all we know.
  }
  const spec = verbose.imageSpec?.config;
  const user = spec?.User ?? (image.uid ? String(image.uid.value) : image.username || undefined);
  const config: ImageConfig = {
    ...(user ? { user } : {}),
    ...(spec?.Env ? { env: spec.Env } : {}),
    ...(spec?.Entrypoint ? { entrypoint: spec.Entrypoint } : {}),
    ...(spec?.Cmd ? { cmd: spec.Cmd } : {}),
    ...(spec?.WorkingDir ? { workingDir: spec.WorkingDir } : {}),
    ...(spec?.ExposedPorts ? { exposedPorts: Object.keys(spec.ExposedPorts) } : {}),
    ...(spec?.Labels ? { labels: spec.Labels } : {}),
    ...(spec?.StopSignal ? { stopSignal: spec.StopSignal } : {}),
  };
  return { config, layers: verbose.imageSpec?.rootfs?.diff_ids ?? [] };
}

/** What a failed pull is called, as the kubelet calls it; containerd's own words say which image and why. */
function pullError(reference: string, err: unknown): ImageError {
  // An unreachable or silent runtime is said as such; otherwise containerd's message ("failed to pull and unpack image …").
  const quiet = err instanceof CriError && (err.codeName === 'Unavailable' || err.codeName === 'DeadlineExceeded' || err.codeName === 'Cancelled');
  const message = err instanceof CriError && !quiet ? err.details : (err as Error).message;
  if (/invalid reference format/i.test(message)) return new ImageError('InvalidImageName', `Failed to apply default image tag "${reference}": ${message}`);
  return new ImageError('ErrImagePull', message);
}

export class CriImageService implements ImageService {
  /** When a container was last seen using each image (by id), for garbage collection's least-recently-used order. */
  private readonly lastUsed = new Map<string, number>();

  constructor(
    private readonly client: CriClient,
    private readonly options: CriImageServiceOptions = {},
  ) {}

  /** The relist saw a container of this image (its id). */
  noteInUse(imageId: string, now = Date.now()): void {
    if (imageId) this.lastUsed.set(imageId, now);
  }

  private infoOf(image: CriImage, info?: Record<string, string>): ImageInfo {
    return { id: image.id, repoTags: image.repoTags, repoDigests: image.repoDigests, size: image.size, ...configOf(image, info), lastUsed: this.lastUsed.get(image.id) ?? 0 };
  }

  async pullImage(reference: string, options: PullOptions = {}): Promise<PullResult> {
    const before = await this.imageStatus(reference).catch(() => undefined);
    // The kubelet tries each matching credential in turn; with none, the pull is anonymous.
    const attempts = options.credentials?.length ? options.credentials.map(authConfigOf) : [undefined];
    let lastError: unknown;
    let imageRef: string | undefined;
    for (const auth of attempts) {
      try {
        imageRef = await this.client.pullImage(reference, auth, undefined, { signal: options.signal });
        break;
      } catch (err) {
        lastError = err;
        if (options.signal?.aborted) break;
      }
    }
    if (imageRef === undefined) throw pullError(reference, lastError);
    const image = (await this.imageStatus(imageRef)) ?? (await this.imageStatus(reference));
    if (!image) throw new ImageError('ErrImagePull', `the runtime pulled "${reference}" as ${imageRef} but does not know that image`);
    // The CRI does not say what a pull downloaded: nothing when the image was there, else about its (compressed) size.
    return { image, downloadedBytes: before?.id === image.id ? 0 : image.size };
  }

  async imageStatus(reference: string): Promise<ImageInfo | undefined> {
    const { image, info } = await this.client.imageStatus(reference, true);
    return image?.id ? this.infoOf(image, info) : undefined;
  }

  async listImages(): Promise<ImageInfo[]> {
    const images = await this.client.listImages();
    return images.map((image) => this.infoOf(image));
  }

  /** Refused for an image a container (any, of any owner) was made from, and for the sandbox image. */
  async removeImage(referenceOrId: string): Promise<void> {
    const image = await this.imageStatus(referenceOrId);
    if (!image) return;
    if (this.options.sandboxImage && (image.repoTags.includes(this.options.sandboxImage) || (await this.imageStatus(this.options.sandboxImage))?.id === image.id)) {
      throw new Error(`image ${referenceOrId} is the sandbox image: not removed`);
    }
    const users = (await this.client.listContainers()).filter((container) => container.imageRef === image.id);
    if (users.length) throw new Error(`image ${referenceOrId} is in use by container ${users[0].id}`);
    await this.client.removeImage(image.id);
    this.lastUsed.delete(image.id);
  }

  async imageFsUsage(): Promise<ImageFsUsage> {
    const filesystems = await this.client.imageFsInfo();
    const imageBytes = filesystems.reduce((sum, fs) => sum + (fs.usedBytes?.value ?? 0), 0);
    const mountpoint = filesystems.find((fs) => fs.fsId?.mountpoint)?.fsId?.mountpoint;
    if (!mountpoint) return { usedBytes: imageBytes, capacityBytes: 0, availableBytes: 0, imageBytes };
    try {
      const disk = await statfs(mountpoint);
      const capacityBytes = disk.blocks * disk.bsize;
      return { usedBytes: capacityBytes - disk.bfree * disk.bsize, capacityBytes, availableBytes: disk.bavail * disk.bsize, imageBytes };
    } catch {
      // containerd's disk is not ours to see (another mount namespace): no capacity, so no garbage collection.
      return { usedBytes: imageBytes, capacityBytes: 0, availableBytes: 0, imageBytes };
    }
  }
}
