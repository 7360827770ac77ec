/**
 * The node's image service against a real registry on loopback (Debian's
 * docker-registry): pulls of OCI and Docker images and of an index, auth,
 * mirrors from registries.yaml, shared concurrent pulls, errors as the
 * kubelet reports them, and removal. Images are built here from local files.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { importArchiveFile } from '../../src/node/images/archive-import.js';
import { LocalImageService } from '../../src/node/images/image-service.js';
import { RegistryClient } from '../../src/node/images/registry-client.js';
import { parseRegistries, registryEndpoints } from '../../src/node/images/registries.js';
import { shimBinary } from '../../src/node/runtime/process/shim-client.js';
import { buildImage, buildIndex, busyboxLayer, type BuiltImage } from './build-image.js';
import { writeDockerArchive, writeOciArchive } from './archive.js';
import { pushImage } from './push.js';
import { registrySkipReason, startRegistry, type TestRegistry } from './registry.js';

const skip = registrySkipReason();
const root = mkdtempSync(join(tmpdir(), 'skiff-image-service-'));
let open: TestRegistry;
let locked: TestRegistry;
let app: BuiltImage;
let docker: BuiltImage;
let counter = 0;

/** A fresh service over its own directory, with a fetch that counts blob downloads. */
function service(options: { registries?: string } = {}) {
  const blobGets: string[] = [];
  const counting: typeof fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.includes('/blobs/')) blobGets.push(url);
    return fetch(input, init);
  };
  const config = parseRegistries(options.registries ?? '');
  const images = new LocalImageService({
    root: join(root, `service-${counter++}`),
    client: new RegistryClient(counting),
    // Loopback registries speak plain HTTP; everything else keeps the default (https).
    endpoints: (registry) => registryEndpoints(config, registry).map((e) => (e.url.startsWith('https://127.0.0.1') ? { ...e, url: e.url.replace('https://', 'http://') } : e)),
    nodeHelper: shimBinary(),
  });
  return { images, blobGets };
}

before(async () => {
  if (skip) return;
  [open, locked] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { username: 'alice', password: 'secret' } })]);
  app = await buildImage({
    layers: [{ entries: busyboxLayer() }, { entries: [{ path: 'srv/index.html', content: 'hello' }], compression: 'zstd' }],
    config: { Entrypoint: ['/bin/httpd'], Cmd: ['-f'], Env: ['PATH=/bin', 'GREETING=hi'], WorkingDir: '/srv', User: 'app' },
  });
  docker = await buildImage({ layers: [{ entries: busyboxLayer() }], format: 'docker', config: { Cmd: ['sh'] } });
  await pushImage(open.url, 'team/app', 'v1', app);
  await pushImage(open.url, 'team/multi', 'v1', buildIndex([{ image: await buildImage({ layers: [{ entries: busyboxLayer() }], architecture: 'riscv64' }) }, { image: app }]));
  await pushImage(locked.url, 'private/app', 'v1', docker, { username: 'alice', password: 'secret' });
});

after(async () => {
  await Promise.all([open?.stop(), locked?.stop()]);
  rmSync(root, { recursive: true, force: true });
});

describe('image service (a real registry on loopback)', { skip }, () => {
  it('pulls an OCI image: config, layers unpacked, names; a second pull downloads nothing', async () => {
    const { images, blobGets } = service();
    const name = `${open.host}/team/app:v1`;
    const { image, downloadedBytes } = await images.pullImage(name);
    assert.equal(image.id, app.configDigest);
    assert.deepEqual(image.repoTags, [name]);
    assert.deepEqual(image.repoDigests, [`${open.host}/team/app@${app.manifestDigest}`]);
    assert.deepEqual(image.config, { entrypoint: ['/bin/httpd'], cmd: ['-f'], env: ['PATH=/bin', 'GREETING=hi'], workingDir: '/srv', user: 'app' });
    assert.deepEqual(image.layers, app.layers.map((l) => l.diffId));
    assert.equal(downloadedBytes, app.layers.reduce((sum, l) => sum + l.size, 0));
    assert.ok(existsSync(join(images.layerPath(app.layers[0].diffId), 'bin', 'busybox')));
    assert.ok(existsSync(join(images.layerPath(app.layers[1].diffId), 'srv', 'index.html')));
    const gets = blobGets.length;
    assert.equal((await images.pullImage(name)).downloadedBytes, 0);
    assert.equal(blobGets.length - gets, 0, 'no blob fetched again');
    assert.equal((await images.imageStatus(name))?.id, app.configDigest);
    assert.equal((await images.imageStatus(`${open.host}/team/app@${app.manifestDigest}`))?.id, app.configDigest);
  });

  it("picks this node's platform from an index", async () => {
    const { images } = service();
    const { image } = await images.pullImage(`${open.host}/team/multi:v1`);
    assert.equal(image.id, app.configDigest);
  });

  it('shares one download among concurrent pulls of an image', async () => {
    const { images, blobGets } = service();
    const name = `${open.host}/team/app:v1`;
    const results = await Promise.all([images.pullImage(name), images.pullImage(name), images.pullImage(name)]);
    assert.equal(new Set(results.map((r) => r.image.id)).size, 1);
    assert.equal(blobGets.length, 3, 'config and two layers, once');
  });

  it('pulls with credentials from a registry that requires them, and says why without', async () => {
    const { images } = service();
    const name = `${locked.host}/private/app:v1`;
    await assert.rejects(images.pullImage(name), (err: Error & { reason?: string }) => err.reason === 'ErrImagePull' && /pull access denied/.test(err.message));
    const { image } = await images.pullImage(name, { credentials: [{ username: 'alice', password: 'wrong' }, { username: 'alice', password: 'secret' }] });
    assert.equal(image.id, docker.configDigest);
  });

  it('reports a missing tag and a bad name as the kubelet does', async () => {
    const { images } = service();
    const name = `${open.host}/team/app:nope`;
    await assert.rejects(images.pullImage(name), {
      reason: 'ErrImagePull',
      message: `failed to pull and unpack image "${name}": failed to resolve reference "${name}": ${name}: not found`,
    });
    await assert.rejects(images.pullImage('app/Web'), { reason: 'InvalidImageName', message: `Failed to apply default image tag "app/Web": couldn't parse image name "app/Web": invalid reference format: repository name (app/Web) must be lowercase` });
  });

  it('pulls through a mirror from registries.yaml, rewriting the repository', async () => {
    const { images } = service({ registries: `mirrors:\n  mirror.test:\n    endpoint: ["http://${open.host}"]\n    rewrite:\n      "^apps/(.*)": "team/$1"\n` });
    const { image } = await images.pullImage('mirror.test/apps/app:v1');
    assert.equal(image.id, app.configDigest);
    assert.deepEqual(image.repoTags, ['mirror.test/apps/app:v1'], 'named as the pod asked');
  });

  it('removes an image and the content only it used; an image in use stays', async () => {
    let inUse = true;
    const dir = join(root, 'removal');
    const images = new LocalImageService({ root: dir, endpoints: () => [{ url: open.url }], nodeHelper: shimBinary(), inUse: () => inUse, contentGraceMs: 0 });
    const name = `${open.host}/team/app:v1`;
    await images.pullImage(name);
    await assert.rejects(images.removeImage(name), /in use/);
    inUse = false;
    await images.removeImage(name);
    assert.deepEqual(await images.listImages(), []);
    assert.deepEqual(readdirSync(join(dir, 'blobs', 'sha256')), []);
    assert.deepEqual(readdirSync(join(dir, 'layers', 'sha256')), []);
    await assert.rejects(images.removeImage(name), /not found/);
  });

  it('imports docker save and OCI layout archives (gzip, zstd), named as their tags say', async () => {
    const { images } = service();
    const dockerArchive = join(root, 'saved.tar.gz');
    await writeDockerArchive(dockerArchive, [{ image: app, repoTags: ['app:v1', 'registry.local:5000/team/app:v1'] }, { image: docker, repoTags: ['busybox:1.36'] }]);
    const fromDocker = await importArchiveFile(images, dockerArchive);
    assert.deepEqual(fromDocker.map((i) => i.id), [app.configDigest, docker.configDigest]);
    assert.equal((await images.imageStatus('app:v1'))?.id, app.configDigest);
    assert.equal((await images.imageStatus('registry.local:5000/team/app:v1'))?.id, app.configDigest);
    assert.equal((await images.imageStatus('docker.io/library/busybox:1.36'))?.id, docker.configDigest);
    assert.ok(existsSync(join(images.layerPath(app.layers[1].diffId), 'srv', 'index.html')));

    const { images: other } = service();
    const ociArchive = join(root, 'layout.tar.zst');
    await writeOciArchive(ociArchive, buildIndex([{ image: app }]), 'example.com/apps/web:2');
    const [fromOci] = await importArchiveFile(other, ociArchive);
    assert.equal(fromOci.id, app.configDigest);
    assert.deepEqual(fromOci.repoTags, ['example.com/apps/web:2']);
  });

  it('refuses what is not an image archive', async () => {
    const { images } = service();
    const junk = join(root, 'junk.tar');
    writeFileSync(junk, Buffer.alloc(1024, 1));
    await assert.rejects(importArchiveFile(images, junk), /not a readable image archive|not an image archive/);
  });
});
