/**
 * Where `skiff images` finds a node's images: skiff's own store in the data
 * dir (the process runtime's), or containerd's through the CRI — the
 * containerd skiff runs for that data dir (`--runtime containerd`), or
 * another one named with `--container-runtime-endpoint`. Both sit behind
 * one interface, so the command does not know which it has.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importArchiveFile, nodeImageService, type ImageInfo, type ImageService } from '../node/images/index.js';
import { formatReference, parseReference } from '../node/images/reference.js';
import { runtimeStateCandidates } from '../node/runtime/process/state-dir.js';
import { UsageError } from './usage-error.js';

export interface ImageBackend {
  /** What holds the images, for messages: `skiff's image store (DIR/image-store)`, `containerd at unix:///…`. */
  readonly description: string;
  readonly images: ImageService;
  /** Whether a container of the node was made from this image. */
  inUse(image: ImageInfo): Promise<boolean>;
  /** Imports a docker save or OCI layout archive (.tar, .tar.gz, .tar.zst); the names imported. */
  importArchive(file: string): Promise<string[]>;
  close(): void;
}

export interface ImageBackendOptions {
  dataDir: string;
  /** A CRI socket (`unix:///run/containerd/containerd.sock`): that runtime's images. */
  endpoint?: string;
  /** registries.yaml for pulls into skiff's own store (containerd reads its own configuration). */
  registries?: string;
}

/**
 * The CRI endpoint when one is named, else the managed containerd's socket
 * when that data dir has one running, else skiff's own store.
 */
export async function openImageBackend(options: ImageBackendOptions): Promise<ImageBackend> {
  if (options.endpoint) return criBackend(options, options.endpoint, undefined);
  const { containerdPaths } = await import('../node/runtime/cri/containerd/paths.js');
  const paths = existsSync(join(options.dataDir, 'containerd', 'config.toml')) ? containerdPaths(options.dataDir) : undefined;
  if (paths) {
    if (!existsSync(paths.socket)) {
      throw new UsageError(`the node of ${options.dataDir} runs containerd, which is not running now: start skiff (skiff up or skiff agent), or name a containerd with --container-runtime-endpoint`);
    }
    return criBackend(options, `unix://${paths.socket}`, paths.configFile);
  }
  return localBackend(options);
}

function localBackend(options: ImageBackendOptions): ImageBackend {
  const images = nodeImageService(options.dataDir, options.registries);
  return {
    description: `skiff's image store (${join(options.dataDir, 'image-store')})`,
    images,
    inUse: async (image) => {
      const used = imagesUsedByRecords(options.dataDir);
      return image.repoTags.some((tag) => used.has(tag)) || image.repoDigests.some((digest) => used.has(digest));
    },
    importArchive: async (file) => (await importArchiveFile(images, file)).map((image) => `${image.repoTags.join(', ') || '<none>'} ${image.id}`),
    close: () => {},
  };
}

/** The images the process runtime's containers use, by normalized name (from its container records, wherever it keeps them). */
function imagesUsedByRecords(dataDir: string): Set<string> {
  const used = new Set<string>();
  for (const containers of runtimeStateCandidates(dataDir).map((stateDir) => join(stateDir, 'containers'))) {
    for (const id of existsSync(containers) ? readdirSync(containers) : []) {
      try {
        const record = JSON.parse(readFileSync(join(containers, id, 'container.json'), 'utf8')) as { image?: string };
        if (record.image) used.add(formatReference(parseReference(record.image)));
      } catch {
        /* not a container record, or a name that is no reference */
      }
    }
  }
  return used;
}

/** The snapshotter skiff's containerd config chose (imports are unpacked for it), if it says. */
function configuredSnapshotter(configFile: string | undefined): string | undefined {
  if (!configFile) return undefined;
  try {
    return /^\s*snapshotter\s*=\s*"([a-z0-9_.-]+)"/m.exec(readFileSync(configFile, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

async function criBackend(options: ImageBackendOptions, endpoint: string, managedConfig: string | undefined): Promise<ImageBackend> {
  if (options.registries) {
    throw new UsageError('--registries is for skiff\'s own image store: containerd pulls with its own registry configuration (skiff writes it from DIR/registries.yaml when it starts containerd)');
  }
  if (!/^unix:\/\/\/./.test(endpoint)) throw new UsageError(`--container-runtime-endpoint ${endpoint}: expected unix:///path/to/containerd.sock`);
  const [{ CriClient }, { CriImageService }, { importImages }, { uncompressedFile }, { SANDBOX_IMAGE }] = await Promise.all([
    import('../node/runtime/cri/client.js'),
    import('../node/runtime/cri/image-service.js'),
    import('../node/runtime/cri/containerd/ctr.js'),
    import('../node/images/uncompressed.js'),
    import('../node/runtime/cri/containerd/pause-image.js'),
  ]);
  const client = new CriClient(endpoint);
  // skiff's containerd runs its pods with skiff's pause image: never removed from there.
  const images = new CriImageService(client, managedConfig ? { sandboxImage: SANDBOX_IMAGE } : {});
  const snapshotter = configuredSnapshotter(managedConfig);
  return {
    description: `containerd at ${endpoint}`,
    images,
    inUse: async (image) => (await client.listContainers()).some((container) => container.imageRef === image.id),
    // ctr speaks to the same socket (the CRI is a plugin of containerd's own API), in the CRI's namespace.
    importArchive: async (file) => importImages({ address: endpoint.slice('unix://'.length) }, await uncompressedFile(file), snapshotter),
    close: () => client.close(),
  };
}
