/**
 * Image garbage collection with the real kubectl, as root: two images
 * imported into a node's store, one of them used by a running pod. skiff is
 * killed (the pod runs on) and started again with the kubelet's flags set
 * so that everything unused must go (`--image-gc-high-threshold 0
 * --image-gc-low-threshold 0 --image-minimum-gc-age 0s`): the collection at
 * start removes the unused image, keeps the one in use, and says in a
 * FreeDiskSpaceFailed event that it could not free what the thresholds asked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canIsolate } from '../../src/node/runtime/process/host.js';
import { buildImage, busyboxLayer } from '../images/build-image.js';
import { writeDockerArchive } from '../images/archive.js';
import { holdNetworkTestLock, runSkiff, startCluster, waitFor, type Cluster } from './harness.js';

const skip = typeof process.getuid === 'function' && process.getuid() === 0 && canIsolate() ? false : 'needs root and a machine that allows namespaces and overlay mounts';
const nodeArgs = ['--runtime', 'process', '--pod-cidr', '10.42.81.0/24', '--ingress-http-port', '0', '--ingress-https-port', '0'];

describe('image garbage collection (kubectl, as root)', { skip }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-image-gc-e2e-'));
  let first: Cluster | undefined;
  let second: Cluster | undefined;
  let releaseLock = () => {};

  before(async () => {
    releaseLock = await holdNetworkTestLock();
    const used = await buildImage({ layers: [{ entries: busyboxLayer() }], config: { Cmd: ['sleep', '3600'], Env: ['PATH=/bin'] } });
    const unused = await buildImage({ layers: [{ entries: busyboxLayer() }, { entries: [{ path: 'unused', content: 'x' }] }], config: { Cmd: ['true'], Env: ['PATH=/bin'] } });
    await writeDockerArchive(join(dataDir, 'images.tar'), [
      { image: used, repoTags: ['gc/used:v1'] },
      { image: unused, repoTags: ['gc/unused:v1'] },
    ]);
    const imported = await runSkiff(['images', 'import', join(dataDir, 'images.tar'), '--data-dir', dataDir]);
    assert.equal(imported.code, 0, imported.stderr);
  });
  after(async () => {
    await first?.kill9().catch(() => {});
    await second?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    releaseLock();
  });

  test('unused images go, least recently used first; an image a pod uses stays; what cannot be freed is said', async () => {
    first = await startCluster({ dataDir, args: nodeArgs });
    await first.kubectl(['run', 'user', '--image=gc/used:v1', '--image-pull-policy=Never']);
    await first.kubectl(['wait', '--for=condition=Ready', 'pod/user', '--timeout=60s']);
    // Killed: the pod runs on, and the next start adopts it.
    await first.kill9();
    second = await startCluster({ dataDir, args: [...nodeArgs, '--image-gc-high-threshold', '0', '--image-gc-low-threshold', '0', '--image-minimum-gc-age', '0s'] });
    const listed = await waitFor(
      async () => {
        const out = (await runSkiff(['images', 'ls', '--data-dir', dataDir])).stdout;
        return out.includes('gc/unused') ? undefined : out;
      },
      { message: 'the unused image collected', timeoutMs: 30_000 },
    );
    assert.match(listed, /docker\.io\/gc\/used\s+v1/, 'the image in use stays');
    const events = await waitFor(
      async () => {
        const out = (await second!.kubectl(['get', 'events', '--field-selector', 'involvedObject.kind=Node,reason=FreeDiskSpaceFailed'])).stdout;
        return out.includes('FreeDiskSpaceFailed') ? out : undefined;
      },
      { message: 'the FreeDiskSpaceFailed event' },
    );
    assert.match(events, /Failed to garbage collect required amount of images\. Attempted to free \d+ bytes, but only found \d+ bytes eligible to free\./);
    await second.kubectl(['wait', '--for=condition=Ready', 'pod/user', '--timeout=30s']);
  });
});
