/**
 * Images from archives, for machines without a registry (air-gapped): what
 * `docker save` writes (a `manifest.json` listing each image's config and
 * layer files, and since docker 25 also an OCI layout) and OCI image layout
 * archives (`index.json` + `blobs/sha256/…`), as .tar, .tar.gz or .tar.zst
 * (told by their first bytes, not their names).
 *
 * The archive is read once, as a stream: every file becomes a blob of the
 * content store (a file under `blobs/sha256/` must hash to its name), the
 * small JSON files are kept in memory, and the images are put together at
 * the end — so an archive of gigabytes needs no more memory than its index.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompressed } from './uncompressed.js';
import { extract } from 'tar-stream';
import type { LocalImageService } from './image-service.js';
import type { ImageRecord } from './image-records.js';
import { manifestKind, parseImageConfig, parseImageManifest, selectPlatform, type Descriptor } from './manifest.js';
import { formatReference, parseReference, repositoryName } from './reference.js';
import type { ImageInfo } from './types.js';
import type { LayerCompression } from './unpack.js';

export class ArchiveError extends Error {}

const maxJsonBytes = 4 * 1024 * 1024;

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Imports every image of an archive file; what it imported, with their names. */
export async function importArchiveFile(images: LocalImageService, path: string): Promise<ImageInfo[]> {
  return importArchive(images, createReadStream(path));
}

export async function importArchive(images: LocalImageService, input: Readable): Promise<ImageInfo[]> {
  const digestOf = new Map<string, string>();
  const json = new Map<string, Buffer>();
  const tar = extract();
  const reading = (async () => {
    for await (const entry of tar) {
      const name = entry.header.name.replace(/^\.\//, '');
      const content = Readable.from(entry as AsyncIterable<Buffer>);
      if (entry.header.type !== 'file' && entry.header.type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      if (name === 'index.json' || name === 'manifest.json' || name === 'oci-layout' || name === 'repositories') {
        json.set(name, await readSmall(content, name));
        continue;
      }
      const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
      if (blob) {
        const digest = `sha256:${blob[1]}`;
        if (images.content.has(digest)) {
          entry.resume();
        } else {
          const ingest = await images.content.ingest(digest);
          await ingest.write(content, entry.header.size ?? undefined, 0);
        }
        digestOf.set(name, digest);
      } else {
        // Older `docker save` files: `<id>/layer.tar`, `<id>.json`, named by path only.
        digestOf.set(name, (await images.content.ingestUnknown(content)).digest);
      }
    }
  })();
  try {
    await Promise.all([pipeline(await decompressed(input), tar), reading]);
  } catch (err) {
    throw new ArchiveError(`not a readable image archive: ${(err as Error).message}`);
  }

  if (json.has('manifest.json')) return importDockerSave(images, json.get('manifest.json')!, digestOf);
  if (json.has('index.json')) return importOciLayout(images, json.get('index.json')!);
  throw new ArchiveError('not an image archive: it has neither manifest.json (docker save) nor index.json (OCI layout)');
}

async function importDockerSave(images: LocalImageService, body: Buffer, digestOf: Map<string, string>): Promise<ImageInfo[]> {
  let entries: DockerManifestEntry[];
  try {
    entries = JSON.parse(body.toString('utf8')) as DockerManifestEntry[];
    if (!Array.isArray(entries)) throw new Error('not a list');
  } catch (err) {
    throw new ArchiveError(`manifest.json: ${(err as Error).message}`);
  }
  const imported: ImageInfo[] = [];
  for (const [i, entry] of entries.entries()) {
    const file = (path: unknown) => {
      const digest = typeof path === 'string' ? digestOf.get(path.replace(/^\.\//, '')) : undefined;
      if (!digest) throw new ArchiveError(`manifest.json[${i}]: ${JSON.stringify(path)} is not in the archive`);
      return digest;
    };
    const configDigest = file(entry.Config);
    if (!Array.isArray(entry.Layers)) throw new ArchiveError(`manifest.json[${i}]: Layers must be a list`);
    const layers = entry.Layers.map(file);
    const config = parseImageConfig(images.content.read(configDigest));
    if (config.diffIds.length !== layers.length) throw new ArchiveError(`manifest.json[${i}]: ${layers.length} layers, but its config lists ${config.diffIds.length}`);
    for (const [j, digest] of layers.entries()) {
      await images.unpack({ mediaType: '', digest, size: images.content.size(digest) ?? 0 }, config.diffIds[j], undefined, sniffCompression(images, digest));
    }
    imported.push(
      images.addImage(
        record(
          configDigest,
          config,
          (entry.RepoTags ?? []).map(normalizeName).filter((n): n is string => !!n),
          [],
          [configDigest, ...layers],
          layers.reduce((sum, d) => sum + (images.content.size(d) ?? 0), images.content.size(configDigest) ?? 0),
        ),
      ),
    );
  }
  return imported;
}

async function importOciLayout(images: LocalImageService, body: Buffer): Promise<ImageInfo[]> {
  let index: { manifests?: (Descriptor & { annotations?: Record<string, string> })[] };
  try {
    index = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ArchiveError(`index.json: ${(err as Error).message}`);
  }
  const imported: ImageInfo[] = [];
  for (const top of index.manifests ?? []) {
    const blob = (digest: string) => {
      if (!images.content.has(digest)) throw new ArchiveError(`blob ${digest} is not in the archive`);
      return images.content.read(digest);
    };
    let manifestBody = blob(top.digest);
    const blobs = [top.digest];
    if (manifestKind(top.mediaType, manifestBody) === 'index') {
      const chosen = selectPlatform(manifestBody);
      manifestBody = blob(chosen.digest);
      blobs.push(chosen.digest);
    }
    const manifest = parseImageManifest(manifestBody);
    const config = parseImageConfig(blob(manifest.config.digest));
    if (config.diffIds.length !== manifest.layers.length) throw new ArchiveError(`image ${top.digest}: ${manifest.layers.length} layers, but its config lists ${config.diffIds.length}`);
    for (const [i, layer] of manifest.layers.entries()) {
      blob(layer.digest);
      await images.unpack(layer, config.diffIds[i]);
    }
    // containerd and docker name the image in full; a plain OCI layout may give only a tag, which names no repository.
    const name = normalizeName(top.annotations?.['io.containerd.image.name'] ?? qualifiedRefName(top.annotations?.['org.opencontainers.image.ref.name']));
    const repoDigests = name ? [`${repositoryName(parseReference(name))}@${top.digest}`] : [];
    imported.push(
      images.addImage(
        record(manifest.config.digest, config, name ? [name] : [], repoDigests, [...blobs, manifest.config.digest, ...manifest.layers.map((l) => l.digest)], manifest.config.size + manifest.layers.reduce((sum, l) => sum + l.size, 0)),
      ),
    );
  }
  return imported;
}

function record(id: string, config: ReturnType<typeof parseImageConfig>, repoTags: string[], repoDigests: string[], blobs: string[], size: number): ImageRecord {
  return { id, repoTags, repoDigests, size, config: config.config, layers: config.diffIds, lastUsed: Date.now(), blobs };
}

/** `busybox:1.36` → `docker.io/library/busybox:1.36`; undefined for what names no image. */
function normalizeName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  try {
    const ref = parseReference(name);
    return ref.tag ? formatReference({ ...ref, digest: undefined }) : undefined;
  } catch {
    return undefined;
  }
}

/** An OCI `ref.name` that is a whole reference (has a repository), not only a tag. */
function qualifiedRefName(name: string | undefined): string | undefined {
  return name && (name.includes('/') || name.includes(':')) ? name : undefined;
}

/** How a layer file of a `docker save` archive is compressed, from its first bytes (docker writes them plain; others may not). */
function sniffCompression(images: LocalImageService, digest: string): LayerCompression {
  const head = Buffer.alloc(4);
  const fd = openSync(images.content.blobPath(digest), 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

async function readSmall(entry: Readable, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxJsonBytes) throw new ArchiveError(`${name} is over ${maxJsonBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
