/**
 * The image test support itself: layers hold what they claim (parents first,
 * whiteouts, modes), a real registry accepts pushed OCI and Docker images and
 * an index (anonymously and behind htpasswd) and serves them back with the
 * same digests, and both archive kinds have the expected structure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { extract, type Header } from 'tar-stream';
import { MediaTypes, buildImage, buildIndex, buildLayer, busyboxLayer, sha256Digest, type BuiltImage, type BuiltIndex, type BuiltLayer } from './build-image.js';
import { pushImage } from './push.js';
import { registrySkipReason, startRegistry, type TestRegistry } from './registry.js';
import { writeDockerArchive, writeOciArchive } from './archive.js';

interface TarEntry {
  header: Header;
  body: Buffer;
}

async function readTar(tar: Buffer): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for await (const entry of Readable.from([tar]).pipe(extract())) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.push({ header: entry.header, body: Buffer.concat(chunks) });
  }
  return entries;
}

function byName(entries: TarEntry[]): Map<string, TarEntry> {
  return new Map(entries.map((entry) => [entry.header.name, entry]));
}

function assertParentsFirst(entries: TarEntry[]): void {
  const seenDirs = new Set<string>();
  for (const { header } of entries) {
    const name = header.name.replace(/\/$/, '');
    const parent = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
    if (parent) assert.ok(seenDirs.has(parent), `${name} comes before its parent directory ${parent}`);
    if (header.type === 'directory') seenDirs.add(name);
  }
}

function json<T>(bytes: Buffer): T {
  return JSON.parse(bytes.toString('utf8')) as T;
}

interface ManifestJson {
  mediaType: string;
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number }[];
}

describe('image test support', () => {
  let busybox: BuiltLayer;
  let changes: BuiltLayer;
  let ociImage: BuiltImage;
  let dockerImage: BuiltImage;
  let index: BuiltIndex;

  before(async () => {
    busybox = await buildLayer(busyboxLayer(), 'gzip');
    changes = await buildLayer(
      [
        { path: '/etc/motd', type: 'whiteout' },
        { path: '/var/cache/app', type: 'opaque' },
        { path: '/var/cache/app/fresh', content: 'fresh\n' },
        { path: '/usr/local/bin/hello', content: '#!/bin/sh\necho hello\n', mode: 0o755 },
        { path: '/usr/local/bin/hi', type: 'hardlink', target: '/usr/local/bin/hello' },
      ],
      'zstd',
    );
    ociImage = await buildImage({
      layers: [busybox, changes],
      config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo hello'], Env: ['PATH=/bin'], WorkingDir: '/tmp', User: 'app', ExposedPorts: { '8080/tcp': {} }, Labels: { purpose: 'test' } },
    });
    dockerImage = await buildImage({ layers: [busybox, { entries: [{ path: 'hello.txt', content: 'hi\n' }] }], format: 'docker', config: { Cmd: ['/bin/cat', '/hello.txt'] } });
    index = buildIndex([{ image: ociImage, platform: { architecture: ociImage.platform.architecture, os: 'linux' } }], 'oci');
  });

  describe('layers', () => {
    it('puts the busybox root filesystem in one layer, parents first', async () => {
      const entries = await readTar(gunzipSync(busybox.blob));
      assertParentsFirst(entries);
      const files = byName(entries);
      assert.deepEqual(files.get('bin/busybox')?.body, readFileSync('/bin/busybox'));
      assert.equal(files.get('bin/busybox')?.header.mode, 0o755);
      assert.equal(files.get('bin/sh')?.header.type, 'symlink');
      assert.equal(files.get('bin/sh')?.header.linkname, 'busybox');
      assert.equal(files.get('tmp/')?.header.mode, 0o1777);
      assert.equal(files.get('home/app/')?.header.uid, 1000);
      assert.equal(files.get('home/')?.header.mode, 0o755);
      assert.match(files.get('etc/passwd')?.body.toString() ?? '', /^app:x:1000:1000::\/home\/app:\/bin\/sh$/m);
      assert.equal(busybox.digest, sha256Digest(busybox.blob));
      assert.equal(busybox.diffId, sha256Digest(gunzipSync(busybox.blob)));
      assert.equal(busybox.mediaType, MediaTypes.ociLayerGzip);
    });

    it('writes whiteouts, opaque markers and hard links into a zstd layer', async () => {
      const tar = Buffer.from(zstdDecompress(changes.blob));
      assert.equal(changes.diffId, sha256Digest(tar));
      assert.equal(changes.mediaType, MediaTypes.ociLayerZstd);
      const entries = await readTar(tar);
      assertParentsFirst(entries);
      const files = byName(entries);
      assert.ok(files.has('etc/.wh.motd'));
      assert.ok(files.has('var/cache/app/.wh..wh..opq'));
      assert.equal(files.get('usr/local/bin/hi')?.header.type, 'link');
      assert.equal(files.get('usr/local/bin/hi')?.header.linkname, 'usr/local/bin/hello');
    });

    it('builds byte-identical layers from the same entries', async () => {
      const again = await buildLayer(busyboxLayer(), 'gzip');
      assert.equal(again.digest, busybox.digest);
    });
  });

  describe('images', () => {
    it('describes an OCI image with OCI media types and diff IDs', () => {
      const manifest = json<ManifestJson>(ociImage.manifest);
      assert.equal(manifest.mediaType, MediaTypes.ociManifest);
      assert.deepEqual(manifest.config, { mediaType: MediaTypes.ociConfig, digest: ociImage.configDigest, size: ociImage.config.length });
      assert.deepEqual(manifest.layers.map((layer) => layer.mediaType), [MediaTypes.ociLayerGzip, MediaTypes.ociLayerZstd]);
      const config = json<{ architecture: string; os: string; rootfs: { type: string; diff_ids: string[] }; config: { User: string } }>(ociImage.config);
      assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [busybox.diffId, changes.diffId] });
      assert.equal(config.os, 'linux');
      assert.equal(config.config.User, 'app');
      assert.equal(ociImage.manifestDigest, sha256Digest(ociImage.manifest));
    });

    it('describes a Docker image with schema2 media types and refuses non-gzip layers', async () => {
      const manifest = json<ManifestJson>(dockerImage.manifest);
      assert.equal(manifest.mediaType, MediaTypes.dockerManifest);
      assert.equal(manifest.config.mediaType, MediaTypes.dockerConfig);
      assert.deepEqual(manifest.layers.map((layer) => layer.mediaType), [MediaTypes.dockerLayerGzip, MediaTypes.dockerLayerGzip]);
      await assert.rejects(buildImage({ layers: [changes], format: 'docker' }), /only gzip/);
    });

    it('builds an index and a manifest list', () => {
      const ociIndex = json<{ mediaType: string; manifests: { digest: string; platform: { os: string } }[] }>(index.manifest);
      assert.equal(ociIndex.mediaType, MediaTypes.ociIndex);
      assert.equal(ociIndex.manifests[0]?.digest, ociImage.manifestDigest);
      const list = buildIndex([{ image: dockerImage, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } }], 'docker');
      assert.equal(list.manifestMediaType, MediaTypes.dockerManifestList);
      assert.equal(json<{ manifests: { platform: { variant: string } }[] }>(list.manifest).manifests[0]?.platform.variant, 'v7');
    });
  });

  describe('registry', { skip: registrySkipReason() }, () => {
    const credentials = { username: 'skiff', password: 'p@ss:word' };
    let open: TestRegistry;
    let guarded: TestRegistry;

    before(async () => {
      [open, guarded] = await Promise.all([startRegistry(), startRegistry({ htpasswd: credentials })]);
    });

    after(async () => {
      await Promise.all([open?.stop(), guarded?.stop()]);
    });

    async function getManifest(registry: TestRegistry, repository: string, reference: string, accept: string, auth?: typeof credentials) {
      const headers: Record<string, string> = { Accept: accept };
      if (auth) headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      const response = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, { headers });
      return { response, body: Buffer.from(await response.arrayBuffer()) };
    }

    it('serves a pushed OCI image back by tag, with the same digests', async () => {
      assert.match(open.host, /^127\.0\.0\.1:\d+$/);
      assert.equal(await pushImage(open.url, 'skiff/oci', 'v1', ociImage), ociImage.manifestDigest);
      const { response, body } = await getManifest(open, 'skiff/oci', 'v1', MediaTypes.ociManifest);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('docker-content-digest'), ociImage.manifestDigest);
      assert.equal(response.headers.get('content-type'), MediaTypes.ociManifest);
      assert.deepEqual(body, ociImage.manifest);

      const blob = await fetch(`${open.url}/v2/skiff/oci/blobs/${changes.digest}`);
      assert.equal(blob.status, 200);
      const bytes = Buffer.from(await blob.arrayBuffer());
      assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, changes.digest);
    });

    it('pushes an index after the images it lists, and a blob only once', async () => {
      await pushImage(open.url, 'skiff/multi', 'latest', index);
      const { response } = await getManifest(open, 'skiff/multi', 'latest', MediaTypes.ociIndex);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('docker-content-digest'), index.manifestDigest);
      const child = await getManifest(open, 'skiff/multi', ociImage.manifestDigest, MediaTypes.ociManifest);
      assert.equal(child.response.status, 200);
      // Pushing again finds every blob present and only re-puts the manifest.
      await pushImage(open.url, 'skiff/multi', index.manifestDigest, index);
    });

    it('requires credentials on the htpasswd registry and accepts a Docker image with them', async () => {
      const anonymous = await fetch(`${guarded.url}/v2/`);
      await anonymous.arrayBuffer();
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);
      await assert.rejects(pushImage(guarded.url, 'skiff/docker', 'v1', dockerImage), /401/);
      await assert.rejects(pushImage(guarded.url, 'skiff/docker', 'v1', dockerImage, { ...credentials, password: 'wrong' }), /401/);

      await pushImage(guarded.url, 'skiff/docker', 'v1', dockerImage, credentials);
      const { response, body } = await getManifest(guarded, 'skiff/docker', 'v1', MediaTypes.dockerManifest, credentials);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('docker-content-digest'), dockerImage.manifestDigest);
      assert.deepEqual(body, dockerImage.manifest);
      const withoutAuth = await getManifest(guarded, 'skiff/docker', 'v1', MediaTypes.dockerManifest);
      assert.equal(withoutAuth.response.status, 401);
    });
  });

  describe('archives', () => {
    let dir: string;

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'skiff-archives-'));
    });

    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('writes a docker save archive with manifest.json and an OCI layout of uncompressed layers', async () => {
      const path = join(dir, 'images.tar');
      await writeDockerArchive(path, [
        { image: ociImage, repoTags: ['skiff/oci:v1', '127.0.0.1:5000/skiff/oci:v2'] },
        { image: dockerImage, repoTags: ['hello:latest'] },
      ]);
      const files = byName(await readTar(readFileSync(path)));
      assert.ok(files.has('oci-layout'));
      const manifests = json<{ Config: string; RepoTags: string[]; Layers: string[] }[]>(files.get('manifest.json')!.body);
      assert.deepEqual(manifests.map((entry) => entry.RepoTags), [['skiff/oci:v1', '127.0.0.1:5000/skiff/oci:v2'], ['hello:latest']]);
      const [first] = manifests;
      assert.ok(first);
      assert.deepEqual(files.get(first.Config)?.body, ociImage.config);
      // Layers are stored uncompressed, named by diff ID, shared between the two images.
      assert.deepEqual(first.Layers, [busybox.diffId, changes.diffId].map((digest) => `blobs/sha256/${digest.slice('sha256:'.length)}`));
      for (const layerPath of first.Layers) assert.equal(`sha256:${layerPath.split('/').pop()}`, sha256Digest(files.get(layerPath)!.body));

      const index = json<{ manifests: { digest: string; annotations: Record<string, string> }[] }>(files.get('index.json')!.body);
      assert.deepEqual(
        index.manifests.map((entry) => entry.annotations['io.containerd.image.name']),
        ['docker.io/skiff/oci:v1', '127.0.0.1:5000/skiff/oci:v2', 'docker.io/library/hello:latest'],
      );
      assert.equal(index.manifests[1]?.annotations['org.opencontainers.image.ref.name'], 'v2');
      const layoutManifest = json<ManifestJson>(files.get(`blobs/sha256/${index.manifests[0]!.digest.slice('sha256:'.length)}`)!.body);
      assert.deepEqual(layoutManifest.layers.map((layer) => [layer.mediaType, layer.digest]), [
        [MediaTypes.ociLayer, busybox.diffId],
        [MediaTypes.ociLayer, changes.diffId],
      ]);
    });

    it('writes gzip- and zstd-compressed OCI layout archives with the blobs as built', async () => {
      const gzPath = join(dir, 'oci.tar.gz');
      const zstPath = join(dir, 'index.tar.zst');
      await writeOciArchive(gzPath, ociImage, 'v1');
      await writeOciArchive(zstPath, index, 'multi');

      const files = byName(await readTar(gunzipSync(readFileSync(gzPath))));
      assert.deepEqual(json(files.get('oci-layout')!.body), { imageLayoutVersion: '1.0.0' });
      const layout = json<{ manifests: { digest: string; mediaType: string; annotations: Record<string, string> }[] }>(files.get('index.json')!.body);
      assert.deepEqual(layout.manifests.map((entry) => [entry.digest, entry.mediaType, entry.annotations['org.opencontainers.image.ref.name']]), [
        [ociImage.manifestDigest, MediaTypes.ociManifest, 'v1'],
      ]);
      for (const digest of [ociImage.manifestDigest, ociImage.configDigest, busybox.digest, changes.digest]) {
        const blob = files.get(`blobs/sha256/${digest.slice('sha256:'.length)}`);
        assert.ok(blob, `blob ${digest} missing`);
        assert.equal(sha256Digest(blob.body), digest);
      }

      const indexFiles = byName(await readTar(Buffer.from(zstdDecompress(readFileSync(zstPath)))));
      const indexLayout = json<{ manifests: { digest: string; mediaType: string }[] }>(indexFiles.get('index.json')!.body);
      assert.deepEqual(indexLayout.manifests.map((entry) => [entry.digest, entry.mediaType]), [[index.manifestDigest, MediaTypes.ociIndex]]);
      assert.ok(indexFiles.has(`blobs/sha256/${ociImage.manifestDigest.slice('sha256:'.length)}`));
      assert.ok(existsSync(zstPath));
    });
  });
});
