import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, ImagePuller, type PullRequest } from './image-puller.js';
import { credentialsFor } from './pull-secrets.js';
import { parseReference } from './images/reference.js';
import { ImageError, type ImageInfo, type ImageService, type PullOptions, type PullResult } from './images/types.js';

/** An image service that holds some images and pulls others (or fails, as told). */
class FakeImages implements ImageService {
  held = new Map<string, ImageInfo>();
  pulls: { image: string; options?: PullOptions }[] = [];
  failWith?: Error;
  constructor(private readonly clock: { now: number }) {}
  async pullImage(image: string, options?: PullOptions): Promise<PullResult> {
    this.pulls.push({ image, options });
    this.clock.now += 1234;
    if (this.failWith) throw this.failWith;
    const info: ImageInfo = { id: `sha256:${'1'.repeat(64)}`, repoTags: [image], repoDigests: [], size: 4096, config: {}, layers: [], lastUsed: 0 };
    this.held.set(image, info);
    return { image: info, downloadedBytes: 4096 };
  }
  async imageStatus(image: string) {
    return this.held.get(image);
  }
  async listImages() {
    return [...this.held.values()];
  }
  async removeImage() {}
  async imageFsUsage() {
    return { usedBytes: 0, capacityBytes: 0, availableBytes: 0, imageBytes: 0 };
  }
}

function setup() {
  const clock = { now: 1_000_000 };
  const images = new FakeImages(clock);
  const puller = new ImagePuller(images, () => clock.now);
  const events: string[] = [];
  const request = (image: string, pullPolicy?: string): PullRequest => ({ podUid: 'u1', image, pullPolicy, credentials: async () => [], event: (type, reason, message) => events.push(`${type} ${reason} ${message}`) });
  return { clock, images, puller, events, request };
}

describe('image puller (the kubelet image manager)', () => {
  it('pulls an absent image and says so as upstream does', async () => {
    const { puller, events, request } = setup();
    assert.deepEqual(await puller.ensureImage(request('app:v1')), { ok: true, imageId: `sha256:${'1'.repeat(64)}` });
    assert.deepEqual(events, ['Normal Pulling Pulling image "app:v1"', 'Normal Pulled Successfully pulled image "app:v1" in 1.234s (1.234s including waiting). Image size: 4096 bytes.']);
  });

  it('uses a present image unless the policy is Always', async () => {
    const { puller, images, events, request } = setup();
    await puller.ensureImage(request('app:v1'));
    events.length = 0;
    await puller.ensureImage(request('app:v1', 'IfNotPresent'));
    assert.deepEqual(events, ['Normal Pulled Container image "app:v1" already present on machine']);
    await puller.ensureImage(request('app:v1', 'Always'));
    assert.equal(images.pulls.length, 2);
  });

  it('never pulls with policy Never', async () => {
    const { puller, images, events, request } = setup();
    assert.deepEqual(await puller.ensureImage(request('app:v1', 'Never')), { ok: false, reason: 'ErrImageNeverPull', message: 'Container image "app:v1" is not present with pull policy of Never' });
    assert.equal(images.pulls.length, 0);
    assert.deepEqual(events, ['Warning ErrImageNeverPull Container image "app:v1" is not present with pull policy of Never']);
  });

  it('backs off after a failed pull: 10 s, doubling, per pod and image', async () => {
    const { clock, puller, images, events, request } = setup();
    images.failWith = new ImageError('ErrImagePull', 'failed to pull and unpack image "docker.io/library/app:nope": failed to resolve reference "docker.io/library/app:nope": docker.io/library/app:nope: not found');
    const first = await puller.ensureImage(request('app:nope'));
    assert.equal(first.ok, false);
    assert.equal(!first.ok && first.reason, 'ErrImagePull');
    assert.equal(events.at(-1), `Warning Failed Failed to pull image "app:nope": ${images.failWith.message}`);
    const second = await puller.ensureImage(request('app:nope'));
    assert.equal(!second.ok && second.reason, 'ImagePullBackOff');
    assert.equal(!second.ok && second.message, 'Back-off pulling image "app:nope"');
    assert.equal(images.pulls.length, 1, 'no pull while backing off');
    clock.now += 10_000;
    const third = await puller.ensureImage(request('app:nope'));
    assert.equal(!third.ok && third.reason, 'ErrImagePull');
    assert.equal(!third.ok && third.retryAt! - clock.now, 20_000, 'the wait doubles');
    // Another pod is not held back by this one's failures.
    assert.equal((await puller.ensureImage({ ...request('app:nope'), podUid: 'u2' })).ok, false);
    assert.equal(images.pulls.length, 3);
  });

  it('refuses a name that is not a reference', async () => {
    const { puller, events, request } = setup();
    const outcome = await puller.ensureImage(request('Bad Name'));
    assert.equal(!outcome.ok && outcome.reason, 'InvalidImageName');
    assert.match(events[0], /^Warning InspectFailed Failed to apply default image tag "Bad Name": couldn't parse image name "Bad Name": invalid reference format/);
  });

  it('formats durations as Go does', () => {
    assert.equal(goDuration(512), '512ms');
    assert.equal(goDuration(1234), '1.234s');
    assert.equal(goDuration(62_500), '1m2.5s');
  });
});

describe('pull secrets', () => {
  const secret = (type: string, key: string, value: unknown) => ({ type, data: { [key]: Buffer.from(JSON.stringify(value)).toString('base64') } });
  const auth = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString('base64');

  it('reads dockerconfigjson and dockercfg, matching registries loosely, most specific first', () => {
    const secrets = [
      secret('kubernetes.io/dockerconfigjson', '.dockerconfigjson', { auths: { 'https://index.docker.io/v1/': { auth: auth('hub', 'p1') }, 'registry.example.com:5000/team': { username: 'team', password: 'p2' } } }),
      secret('kubernetes.io/dockercfg', '.dockercfg', { 'registry.example.com:5000': { auth: auth('any', 'p3') } }),
      secret('Opaque', 'x', {}),
    ];
    assert.deepEqual(credentialsFor(secrets, parseReference('nginx')), [{ username: 'hub', password: 'p1' }]);
    assert.deepEqual(credentialsFor(secrets, parseReference('registry.example.com:5000/team/app:v1')), [
      { username: 'team', password: 'p2' },
      { username: 'any', password: 'p3' },
    ]);
    assert.deepEqual(credentialsFor(secrets, parseReference('registry.example.com:5000/other/app')), [{ username: 'any', password: 'p3' }]);
    assert.deepEqual(credentialsFor(secrets, parseReference('quay.io/x/y')), []);
  });

  it('matches one level of subdomain with a wildcard, and ignores broken secrets', () => {
    const secrets = [secret('kubernetes.io/dockerconfigjson', '.dockerconfigjson', { auths: { '*.example.com': { username: 'w', password: 'p' } } }), { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': 'bm90IGpzb24=' } }];
    assert.equal(credentialsFor(secrets, parseReference('eu.example.com/app')).length, 1);
    assert.equal(credentialsFor(secrets, parseReference('a.eu.example.com/app')).length, 0);
  });
});
