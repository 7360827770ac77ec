/**
 * Test support: writes images built by build-image.ts as the archives users
 * load by hand — `docker save` tarballs (docker 25+ layout, which is also an
 * OCI image layout) and OCI image-layout tarballs — optionally gzip- or
 * zstd-compressed, chosen by the file name's extension.
 */
import { writeFileSync } from 'node:fs';
import { MediaTypes, compress, packTar, sha256Digest, type BuiltImage, type BuiltIndex, type Compression, type TarRecord } from './build-image.js';

export interface DockerArchiveImage {
  image: BuiltImage;
  /** Such as `busybox:latest` or `127.0.0.1:5000/app:v1`; may be empty for an untagged image. */
  repoTags: string[];
}

const EPOCH = new Date(0);
const OCI_LAYOUT = JSON.stringify({ imageLayoutVersion: '1.0.0' });

/** Blobs keyed by digest, so content shared between images is stored once. */
type BlobSet = Map<string, Buffer>;

function blobPath(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return `blobs/${algorithm}/${hex}`;
}

function compressionForPath(path: string): Compression {
  if (/\.(gz|tgz)$/.test(path)) return 'gzip';
  if (/\.(zst|zstd)$/.test(path)) return 'zstd';
  return 'none';
}

async function writeLayoutArchive(path: string, files: { name: string; body: Buffer }[], blobs: BlobSet): Promise<void> {
  const file = (name: string, body: Buffer): TarRecord => ({ header: { name, type: 'file', mode: 0o644, size: body.length, mtime: EPOCH }, body });
  const dir = (name: string): TarRecord => ({ header: { name: `${name}/`, type: 'directory', mode: 0o755, mtime: EPOCH } });
  const algorithms = [...new Set([...blobs.keys()].map((digest) => digest.split(':')[0]))];
  const records: TarRecord[] = [
    dir('blobs'),
    ...algorithms.map((algorithm) => dir(`blobs/${algorithm}`)),
    ...[...blobs].map(([digest, body]) => file(blobPath(digest), body)),
    ...files.map(({ name, body }) => file(name, body)),
  ];
  writeFileSync(path, compress(await packTar(records), compressionForPath(path)));
}

function addBlob(blobs: BlobSet, bytes: Buffer, digest = sha256Digest(bytes)): string {
  blobs.set(digest, bytes);
  return digest;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** The tag part of `name:tag`, ignoring a registry port such as `host:5000/name`. */
function tagOf(repoTag: string): string {
  const lastColon = repoTag.lastIndexOf(':');
  return lastColon > repoTag.lastIndexOf('/') ? repoTag.slice(lastColon + 1) : 'latest';
}

/** `busybox:1` → `docker.io/library/busybox:1`, as containerd names images in docker's index.json. */
function fullyQualified(repoTag: string): string {
  const slash = repoTag.indexOf('/');
  const first = slash === -1 ? '' : repoTag.slice(0, slash);
  const hasRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return repoTag;
  return slash === -1 ? `docker.io/library/${repoTag}` : `docker.io/${repoTag}`;
}

/**
 * The `docker save` format as docker 25+ writes it: `manifest.json` for
 * older loaders plus an OCI layout (`oci-layout`, `index.json`, blobs), with
 * layers stored uncompressed under their diff IDs and an OCI manifest per
 * image that describes exactly those blobs.
 */
export async function writeDockerArchive(path: string, images: DockerArchiveImage[]): Promise<void> {
  const blobs: BlobSet = new Map();
  const manifestJson: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const indexEntries: unknown[] = [];
  for (const { image, repoTags } of images) {
    const configDigest = addBlob(blobs, image.config, image.configDigest);
    const layerDigests = image.layers.map((layer) => addBlob(blobs, layer.tar, layer.diffId));
    const manifest = json({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: configDigest, size: image.config.length },
      layers: image.layers.map((layer) => ({ mediaType: MediaTypes.ociLayer, digest: layer.diffId, size: layer.tar.length })),
    });
    const manifestDescriptor = { mediaType: MediaTypes.ociManifest, digest: addBlob(blobs, manifest), size: manifest.length };
    manifestJson.push({ Config: blobPath(configDigest), RepoTags: repoTags, Layers: layerDigests.map(blobPath) });
    if (repoTags.length === 0) indexEntries.push(manifestDescriptor);
    for (const repoTag of repoTags) {
      indexEntries.push({
        ...manifestDescriptor,
        annotations: { 'io.containerd.image.name': fullyQualified(repoTag), 'org.opencontainers.image.ref.name': tagOf(repoTag) },
      });
    }
  }
  await writeLayoutArchive(
    path,
    [
      { name: 'index.json', body: json({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: indexEntries }) },
      { name: 'manifest.json', body: json(manifestJson) },
      { name: 'oci-layout', body: Buffer.from(OCI_LAYOUT) },
    ],
    blobs,
  );
}

function addImageBlobs(blobs: BlobSet, image: BuiltImage): void {
  for (const layer of image.layers) addBlob(blobs, layer.blob, layer.digest);
  addBlob(blobs, image.config, image.configDigest);
  addBlob(blobs, image.manifest, image.manifestDigest);
}

/**
 * An OCI image layout with the image (or index and its images) exactly as
 * built — compressed layers included — named `refName` in index.json.
 */
export async function writeOciArchive(path: string, image: BuiltImage | BuiltIndex, refName: string): Promise<void> {
  const blobs: BlobSet = new Map();
  if (image.kind === 'index') {
    for (const child of image.images) addImageBlobs(blobs, child);
    addBlob(blobs, image.manifest, image.manifestDigest);
  } else {
    addImageBlobs(blobs, image);
  }
  const index = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      {
        mediaType: image.manifestMediaType,
        digest: image.manifestDigest,
        size: image.manifest.length,
        annotations: { 'org.opencontainers.image.ref.name': refName },
      },
    ],
  };
  await writeLayoutArchive(
    path,
    [
      { name: 'index.json', body: json(index) },
      { name: 'oci-layout', body: Buffer.from(OCI_LAYOUT) },
    ],
    blobs,
  );
}
