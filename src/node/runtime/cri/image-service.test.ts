import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImageError } from '../../images/types.js';
import { CriClient } from './client.js';
import { FakeCriServer } from './fake-cri-server.js';
import { authConfigOf, CriImageService } from './image-service.js';

describe('CriImageService', () => {
  let server: FakeCriServer;
  let client: CriClient;
  let images: CriImageService;

  before(async () => {
    server = new FakeCriServer();
    await server.start();
    client = new CriClient(server.endpoint);
    images = new CriImageService(client, { sandboxImage: 'registry.k8s.io/pause:3.6' });
  });

  after(async () => {
    client.close();
    await server.stop();
  });

  it('maps registry credentials to the CRI AuthConfig', () => {
    assert.deepEqual(authConfigOf({ username: 'u', password: 'p' }), { username: 'u', password: 'p' });
    assert.deepEqual(authConfigOf({ identityToken: 'id', registryToken: 'bearer' }), { identityToken: 'id', registryToken: 'bearer' });
    assert.equal(authConfigOf({}), undefined);
    assert.equal(authConfigOf(undefined), undefined);
  });

  it('pulls with each credential in turn until one works, then reports the image with its config', async () => {
    server.registry.set('example.com/private:1', {
      id: 'sha256:' + 'b'.repeat(64),
      repoTags: ['example.com/private:1'],
      size: 5000,
      config: { User: '1000', Env: ['PATH=/bin'], Entrypoint: ['/app'], Cmd: ['--serve'], WorkingDir: '/srv', ExposedPorts: { '80/tcp': {} }, Labels: { a: 'b' }, StopSignal: 'SIGINT' },
      auth: { username: 'right', password: 'secret' },
    });
    const result = await images.pullImage('example.com/private:1', {
      credentials: [
        { username: 'wrong', password: 'nope' },
        { username: 'right', password: 'secret' },
      ],
    });
    const pulls = server.calls.filter((call) => call.rpc === 'PullImage');
    assert.deepEqual(pulls.map((call) => call.request.auth?.username), ['wrong', 'right']);
    assert.equal(result.downloadedBytes, 5000);
    assert.deepEqual(result.image.config, { user: '1000', env: ['PATH=/bin'], entrypoint: ['/app'], cmd: ['--serve'], workingDir: '/srv', exposedPorts: ['80/tcp'], labels: { a: 'b' }, stopSignal: 'SIGINT' });
    assert.deepEqual(result.image.layers, ['sha256:' + 'b'.repeat(64)]);
    // Pulled again: nothing to download.
    assert.equal((await images.pullImage('example.com/private:1', { credentials: [{ username: 'right', password: 'secret' }] })).downloadedBytes, 0);
  });

  it('says why a pull failed, in the kubelet’s reasons', async () => {
    const anonymous = await images.pullImage('example.com/private:1').catch((e: unknown) => e);
    assert.ok(anonymous instanceof ImageError);
    assert.equal(anonymous.reason, 'ErrImagePull');
    assert.match(anonymous.message, /^failed to pull and unpack image "example.com\/private:1": .*401 Unauthorized$/);
    const invalid = await images.pullImage('Bad Name!').catch((e: unknown) => e);
    assert.ok(invalid instanceof ImageError);
    assert.equal(invalid.reason, 'InvalidImageName');
  });

  it('lists images and answers no status for an absent one', async () => {
    server.addImage('docker.io/library/busybox:1', { Cmd: ['sh'] }, 1234);
    const list = await images.listImages();
    const busybox = list.find((image) => image.repoTags.includes('docker.io/library/busybox:1'));
    assert.deepEqual([busybox?.size, busybox?.repoDigests, busybox?.lastUsed], [1234, [], 0]);
    assert.equal(await images.imageStatus('example.com/none:1'), undefined);
  });

  it('keeps images in use and the sandbox image, and removes the others', async () => {
    const pause = server.addImage('registry.k8s.io/pause:3.6');
    await assert.rejects(images.removeImage(pause.id), /is the sandbox image/);
    const used = server.addImage('example.com/used:1');
    const sandboxId = await client.runPodSandbox({ metadata: { name: 'p', uid: 'u', namespace: 'n', attempt: 0 } });
    await client.createContainer(sandboxId, { metadata: { name: 'c', attempt: 0 }, image: { image: 'example.com/used:1' } }, { metadata: { name: 'p', uid: 'u', namespace: 'n', attempt: 0 } });
    await assert.rejects(images.removeImage('example.com/used:1'), /is in use by container/);
    assert.ok(server.images.has(used.id));
    const unused = server.addImage('example.com/unused:1');
    await images.removeImage('example.com/unused:1');
    assert.equal(server.images.has(unused.id), false);
    // Gone already: nothing to do.
    await images.removeImage('example.com/unused:1');
  });

  it('remembers when a container last used an image', async () => {
    const image = server.addImage('example.com/lru:1');
    images.noteInUse(image.id, 42_000);
    assert.equal((await images.imageStatus('example.com/lru:1'))?.lastUsed, 42_000);
  });

  it('measures the disk under the runtime’s image mountpoint', async () => {
    const usage = await images.imageFsUsage();
    assert.ok(usage.capacityBytes > 0);
    assert.ok(usage.availableBytes <= usage.capacityBytes);
    assert.ok(usage.usedBytes > 0);
    assert.equal(usage.imageBytes, [...server.images.values()].reduce((sum, i) => sum + i.size, 0));
  });
});
