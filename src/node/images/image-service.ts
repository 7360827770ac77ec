/**
 * skiff's own image service: pulls images from registries into the node's
 * content store and unpacks their layers, ready to be stacked as a
 * container's root file system.
 *
 *   reference ─► manifest (an index picks this node's platform) ─► config
 *             ─► each layer: blob (verified, resumable) ─► unpacked under its diff id
 *             ─► image record (names, blobs, config) in images.json
 *
 * Layout of `DIR` (the agent's `DIR/images`): `blobs/sha256/…` and
 * `ingest/` (content-store.ts), `layers/sha256/<diff id hex>/` (unpacked
 * layers, shared by every image that has them), `images.json`.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ContentStore, digestHex } from './content-store.js';
import { ImageRecords, type ImageRecord } from './image-records.js';
import { manifestKind, parseImageConfig, parseImageManifest, selectPlatform, type Descriptor } from './manifest.js';
import { formatReference, InvalidReferenceError, manifestReference, parseReference, repositoryName, type ImageReference } from './reference.js';
import { defaultEndpoint, RegistryClient, RegistryError, type RegistryEndpoint } from './registry-client.js';
import { ImageError, type ImageFsUsage, type ImageInfo, type ImageService, type PullOptions, type PullResult } from './types.js';
import { layerCompression, unpackLayer, type LayerCompression } from './unpack.js';

export interface LocalImageServiceOptions {
  /** Where the images live (the agent's `DIR/images`). */
  root: string;
  /** Where a registry's content is fetched from, in order (registries.yaml's mirrors); the registry itself by default. */
  endpoints?: (registry: string) => RegistryEndpoint[];
  /** The native helper that makes whiteouts and device nodes in unpacked layers. */
  nodeHelper?: string;
  /** Whether a container uses the image (such an image is never removed). */
  inUse?: (imageId: string) => boolean;
  client?: RegistryClient;
  now?: () => number;
  /**
   * Unreferenced content younger than this stays when an image is removed:
   * another process (the agent, or `skiff images` beside it) may be pulling
   * it and not have recorded it yet. Default 10 minutes.
   */
  contentGraceMs?: number;
}

export class LocalImageService implements ImageService {
  readonly content: ContentStore;
  private readonly records: ImageRecords;
  private readonly layerDir: string;
  private readonly client: RegistryClient;
  private readonly pulls = new Map<string, Promise<PullResult>>();
  private readonly unpacking = new Map<string, Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly options: LocalImageServiceOptions) {
    this.content = new ContentStore(options.root);
    // Partial downloads stay (the next pull of their blob continues them) unless abandoned long ago.
    this.content.removeAbandoned(Date.now());
    this.records = new ImageRecords(options.root);
    this.layerDir = join(options.root, 'layers', 'sha256');
    // Layers hold setuid programs and device nodes: only root may look in.
    mkdirSync(options.root, { recursive: true, mode: 0o700 });
    chmodSync(options.root, 0o700);
    mkdirSync(this.layerDir, { recursive: true });
    // Unpacks a crash cut short (their temporary directories) are never used: removed once surely abandoned
    // (a young one may be another process's unpack under way).
    for (const name of readdirSync(this.layerDir).filter((n) => n.includes('.tmp-'))) {
      const path = join(this.layerDir, name);
      if (Date.now() - statSync(path).mtimeMs > 60 * 60_000) rmSync(path, { recursive: true, force: true });
    }
    this.client = options.client ?? new RegistryClient();
    this.now = options.now ?? Date.now;
  }

  /** The unpacked directory of a layer (by diff id): the lower dirs of a container's overlay, bottom first. */
  layerPath(diffId: string): string {
    return join(this.layerDir, digestHex(diffId));
  }

  async pullImage(reference: string, options: PullOptions = {}): Promise<PullResult> {
    const ref = parse(reference);
    const key = formatReference(ref);
    // Pods starting together share one pull of their image.
    let pull = this.pulls.get(key);
    if (!pull) {
      pull = this.pull(ref, options).finally(() => this.pulls.delete(key));
      this.pulls.set(key, pull);
    }
    return pull;
  }

  async imageStatus(reference: string): Promise<ImageInfo | undefined> {
    return this.find(reference);
  }

  async listImages(): Promise<ImageInfo[]> {
    return this.records.all();
  }

  /** Records an image whose blobs and layers are in place (an archive import). */
  addImage(record: ImageRecord): ImageRecord {
    this.records.put(record);
    return this.records.get(record.id)!;
  }

  /** Marks an image as used by a container now (garbage collection removes the least recently used first). */
  markUsed(imageId: string): void {
    this.records.touch(imageId, this.now());
  }

  async removeImage(referenceOrId: string): Promise<void> {
    const record = this.find(referenceOrId);
    if (!record) throw new ImageError('ImageInspectError', `image "${referenceOrId}" not found`);
    if (this.options.inUse?.(record.id)) throw new ImageError('ImageInspectError', `image "${referenceOrId}" is in use by a container`);
    this.records.remove(record.id);
    this.removeUnreferenced();
  }

  async imageFsUsage(): Promise<ImageFsUsage> {
    const fs = statfsSync(this.options.root);
    const capacityBytes = fs.blocks * fs.bsize;
    const availableBytes = fs.bavail * fs.bsize;
    const imageBytes = this.content.list().reduce((sum, blob) => sum + blob.size, 0);
    return { capacityBytes, availableBytes, usedBytes: capacityBytes - fs.bfree * fs.bsize, imageBytes };
  }

  /** An image by id (`sha256:…`, as `crictl rmi` takes it) or by any reference that names it. */
  private find(referenceOrId: string): ImageRecord | undefined {
    if (/^sha256:[a-f0-9]{64}$/.test(referenceOrId)) return this.records.get(referenceOrId);
    let ref: ImageReference;
    try {
      ref = parseReference(referenceOrId);
    } catch {
      return undefined;
    }
    if (ref.digest) return this.records.byName(`${repositoryName(ref)}@${ref.digest}`);
    return this.records.byName(`${repositoryName(ref)}:${ref.tag}`);
  }

  private async pull(ref: ImageReference, options: PullOptions): Promise<PullResult> {
    const endpoints = this.options.endpoints?.(ref.registry) ?? [defaultEndpoint(ref.registry)];
    const credentials = options.credentials ?? [];
    const name = formatReference(ref);
    let lastError: Error | undefined;
    // Mirrors first, in order; the next one is tried when one cannot give the image. What a
    // registry answered (not found, denied) says more than a later endpoint that could not be reached.
    for (const endpoint of endpoints) {
      try {
        return await this.pullFrom(endpoint, ref, credentials, options.signal);
      } catch (err) {
        if (err instanceof ImageError) throw err;
        const answered = (e: Error | undefined) => e instanceof RegistryError && e.status !== undefined;
        if (!answered(lastError) || answered(err as Error)) lastError = err as Error;
      }
    }
    const why = lastError?.message ?? 'no endpoint';
    const resolving = why === 'not found' || /pull access denied|authorize/.test(why);
    throw new ImageError('ErrImagePull', resolving ? `failed to pull and unpack image "${name}": failed to resolve reference "${name}": ${why === 'not found' ? `${name}: not found` : why}` : `failed to pull and unpack image "${name}": ${why}`);
  }

  private async pullFrom(endpoint: RegistryEndpoint, ref: ImageReference, credentials: PullOptions['credentials'] & object, signal?: AbortSignal): Promise<PullResult> {
    const top = await this.client.manifest(endpoint, ref, manifestReference(ref), credentials, signal);
    const blobs = [top.digest];
    let manifestBody = top.body;
    if (manifestKind(top.mediaType, top.body) === 'index') {
      const chosen = selectPlatform(top.body);
      const platformManifest = await this.client.manifest(endpoint, ref, chosen.digest, credentials, signal);
      if (manifestKind(platformManifest.mediaType, platformManifest.body) !== 'image') throw new Error('an image index points at another index');
      this.content.put(platformManifest.digest, platformManifest.body);
      blobs.push(platformManifest.digest);
      manifestBody = platformManifest.body;
    }
    this.content.put(top.digest, top.body);
    const manifest = parseImageManifest(manifestBody);
    if (!this.content.has(manifest.config.digest)) {
      this.content.put(manifest.config.digest, await this.client.smallBlob(endpoint, ref, manifest.config.digest, credentials, signal));
    }
    blobs.push(manifest.config.digest);
    const config = parseImageConfig(this.content.read(manifest.config.digest));
    if (config.diffIds.length !== manifest.layers.length) throw new Error(`the image config lists ${config.diffIds.length} layers, its manifest ${manifest.layers.length}`);

    let downloadedBytes = 0;
    for (const [i, layer] of manifest.layers.entries()) {
      downloadedBytes += await this.fetchBlob(endpoint, ref, layer, credentials, signal);
      await this.unpack(layer, config.diffIds[i], signal);
      blobs.push(layer.digest);
    }
    const repository = repositoryName(ref);
    const record: ImageRecord = {
      id: manifest.config.digest,
      repoTags: ref.tag ? [`${repository}:${ref.tag}`] : [],
      repoDigests: [`${repository}@${top.digest}`],
      size: manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0),
      config: config.config,
      layers: config.diffIds,
      lastUsed: this.records.get(manifest.config.digest)?.lastUsed ?? this.now(),
      blobs,
    };
    this.records.put(record);
    return { image: this.records.get(record.id)!, downloadedBytes };
  }

  /** Downloads a layer blob unless it is here (continuing a partial download); the bytes fetched. */
  private async fetchBlob(endpoint: RegistryEndpoint, ref: ImageReference, layer: Descriptor, credentials: PullOptions['credentials'] & object, signal?: AbortSignal): Promise<number> {
    if (this.content.has(layer.digest)) return 0;
    const ingest = await this.content.ingest(layer.digest);
    const { stream, offset } = await this.client.blob(endpoint, ref, layer.digest, ingest.offset, credentials, signal);
    await ingest.write(stream, layer.size, offset);
    return layer.size - offset;
  }

  /**
   * Unpacks a layer blob unless an image before had it; its content must
   * hash to the config's diff id. `compression` defaults to what the media
   * type says (archives may not say: then the blob's first bytes tell).
   */
  async unpack(layer: Descriptor, diffId: string, signal?: AbortSignal, compression?: LayerCompression): Promise<void> {
    const target = this.layerPath(diffId);
    if (existsSync(target)) return;
    // Two images sharing a layer may unpack it at once: the first one done puts it in place.
    let unpacking = this.unpacking.get(diffId);
    if (!unpacking) {
      // A layer whose content is not what the config says never reaches `target` (the unpack checks it first).
      unpacking = unpackLayer(this.content.open(layer.digest), compression ?? layerCompression(layer.mediaType), target, { nodeHelper: this.options.nodeHelper, signal, expectedDiffId: diffId })
        .then(() => undefined)
        .finally(() => this.unpacking.delete(diffId));
      this.unpacking.set(diffId, unpacking);
    }
    await unpacking;
  }

  /** Blobs and unpacked layers no image record names any more (and no pull may be about to). */
  private removeUnreferenced(): void {
    if (this.pulls.size > 0) return;
    const records = this.records.all();
    const blobs = new Set(records.flatMap((r) => r.blobs));
    const layers = new Set(records.flatMap((r) => r.layers.map(digestHex)));
    const settled = (path: string) => this.now() - statSync(path).mtimeMs >= (this.options.contentGraceMs ?? 10 * 60_000);
    for (const blob of this.content.list()) if (!blobs.has(blob.digest) && settled(this.content.blobPath(blob.digest))) this.content.remove(blob.digest);
    for (const layer of existsSync(this.layerDir) ? readdir(this.layerDir) : []) {
      const path = join(this.layerDir, layer);
      if (!layers.has(layer) && settled(path)) rmSync(path, { recursive: true, force: true });
    }
  }
}

function readdir(dir: string): string[] {
  return readdirSync(dir).filter((name) => /^[a-f0-9]{64}$/.test(name));
}

function parse(reference: string): ImageReference {
  try {
    return parseReference(reference);
  } catch (err) {
    if (err instanceof InvalidReferenceError) throw new ImageError('InvalidImageName', `Failed to apply default image tag "${reference}": couldn't parse image name "${reference}": ${err.message}`);
    throw err;
  }
}
