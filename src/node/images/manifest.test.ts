import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { manifestKind, parseImageConfig, parseImageManifest, selectPlatform } from './manifest.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('manifests', () => {
  it('tells an index from an image manifest, by Content-Type or by the body', () => {
    assert.equal(manifestKind('application/vnd.oci.image.index.v1+json', json({ manifests: [] })), 'index');
    assert.equal(manifestKind('', json({ mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [] })), 'index');
    assert.equal(manifestKind('application/vnd.docker.distribution.manifest.v2+json', json({ config: {} })), 'image');
    assert.equal(manifestKind('', json({ config: {}, layers: [] })), 'image');
    assert.throws(() => manifestKind('application/vnd.docker.distribution.manifest.v1+prettyjws', json({ schemaVersion: 1 })), /schema 1 manifests are not supported/);
    assert.throws(() => manifestKind('text/html', json({ x: 1 })), /unsupported manifest media type/);
    assert.throws(() => manifestKind('', Buffer.from('<html>')), /not a JSON object/);
  });

  it("picks this node's platform from an index", () => {
    const index = json({
      manifests: [
        { mediaType: 'x', digest: digest('a'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
        { mediaType: 'x', digest: digest('b'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: 'x', digest: digest('c'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: 'x', digest: digest('d'), size: 1, platform: { os: 'windows', architecture: 'amd64' } },
      ],
    });
    assert.equal(selectPlatform(index, { os: 'linux', architecture: 'amd64' }).digest, digest('c'));
    assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest, digest('b'));
    assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, digest('a'), 'the architecture matters, the variant is a preference');
    assert.throws(() => selectPlatform(index, { os: 'linux', architecture: 's390x' }), /no match for platform in manifest.*linux\/amd64.*this node is linux\/s390x/);
  });

  it('checks the descriptors of an image manifest', () => {
    const good = { config: { mediaType: 'c', digest: digest('1'), size: 10 }, layers: [{ mediaType: 'l', digest: digest('2'), size: 20 }] };
    assert.deepEqual(parseImageManifest(json(good)).layers, [{ mediaType: 'l', digest: digest('2'), size: 20 }]);
    assert.throws(() => parseImageManifest(json({ ...good, layers: [{ digest: 'sha256:../x', size: 1 }] })), /layers\[0\]: a descriptor needs a sha256 digest/);
    assert.throws(() => parseImageManifest(json({ ...good, config: { digest: digest('1'), size: -1 } })), /config: a descriptor/);
    assert.throws(() => parseImageManifest(json({ config: good.config })), /no layers/);
  });

  it('reads the parts of an image config a container start uses', () => {
    const parsed = parseImageConfig(
      json({
        architecture: 'amd64',
        os: 'linux',
        config: { User: 'app', Env: ['PATH=/bin', 'A=b'], Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo hi'], WorkingDir: '/srv', ExposedPorts: { '80/tcp': {} }, Labels: { a: 'b', bad: 1 }, StopSignal: 'SIGQUIT' },
        rootfs: { type: 'layers', diff_ids: [digest('e')] },
      }),
    );
    assert.deepEqual(parsed, {
      config: { user: 'app', env: ['PATH=/bin', 'A=b'], entrypoint: ['/bin/sh', '-c'], cmd: ['echo hi'], workingDir: '/srv', exposedPorts: ['80/tcp'], labels: { a: 'b' }, stopSignal: 'SIGQUIT' },
      diffIds: [digest('e')],
      architecture: 'amd64',
      os: 'linux',
    });
    assert.throws(() => parseImageConfig(json({ config: {} })), /rootfs.diff_ids/);
    assert.deepEqual(parseImageConfig(json({ rootfs: { diff_ids: [] }, config: { Cmd: 'not a list' } })).config, {});
  });
});
