/**
 * The image service's shapes, after the CRI's ImageService: what the node
 * agent (and later a CRI client for containerd) asks of whoever holds the
 * node's images. Digests are `sha256:<hex>` strings throughout.
 */

/** The parts of an image's config (OCI image-spec `config`) a container start uses. */
export interface ImageConfig {
  user?: string;
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  exposedPorts?: string[];
  labels?: Record<string, string>;
  stopSignal?: string;
}

/** An image the node holds. */
export interface ImageInfo {
  /** The image's id: its config's digest (what CRI and `crictl images` call the image id). */
  id: string;
  /** `registry/repository:tag` names that point at it (normalized, e.g. `docker.io/library/busybox:latest`). */
  repoTags: string[];
  /** `registry/repository@sha256:…` of the manifest each name was pulled by. */
  repoDigests: string[];
  /** Bytes of its compressed layers (what upstream reports as the image's size). */
  size: number;
  config: ImageConfig;
  /** Layer diff ids (digests of the uncompressed layers), bottom first. */
  layers: string[];
  /** When a container last used it (ms since the epoch), for garbage collection, least recently used first. */
  lastUsed: number;
}

/** Credentials for one registry (from imagePullSecrets, the ServiceAccount's, or registries.yaml). */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** A registry identity token (OAuth2 refresh token), as `docker login` stores for some registries. */
  identityToken?: string;
  /** A bearer token to send as is. */
  registryToken?: string;
}

export interface PullOptions {
  /** Credentials to try, in order (the kubelet tries each matching pull secret until one works). */
  credentials?: RegistryCredentials[];
  signal?: AbortSignal;
}

export interface PullResult {
  image: ImageInfo;
  /** Bytes downloaded for this pull (0 when every blob was there already). */
  downloadedBytes: number;
}

/** Disk use of the file system holding the images, for image garbage collection. */
export interface ImageFsUsage {
  usedBytes: number;
  capacityBytes: number;
  availableBytes: number;
  /** Bytes the image store itself holds. */
  imageBytes: number;
}

export interface ImageService {
  /** Pulls an image (a reference as a pod spec names it) and unpacks its layers; concurrent pulls of one image share one download. */
  pullImage(reference: string, options?: PullOptions): Promise<PullResult>;
  /** The image a reference names, if the node holds it. */
  imageStatus(reference: string): Promise<ImageInfo | undefined>;
  listImages(): Promise<ImageInfo[]>;
  /** Removes an image by reference or id (its blobs and layers once no other image uses them); fails for an image in use. */
  removeImage(referenceOrId: string): Promise<void>;
  imageFsUsage(): Promise<ImageFsUsage>;
}

/** Why an image operation failed, with the reason upstream's kubelet reports (ErrImagePull, InvalidImageName …). */
export class ImageError extends Error {
  constructor(
    readonly reason: 'InvalidImageName' | 'ErrImagePull' | 'ErrImageNeverPull' | 'ImageInspectError',
    message: string,
  ) {
    super(message);
  }
}
