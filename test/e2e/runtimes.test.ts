/**
 * The node scenarios (node-scenarios.ts) on each runtime a node can use:
 * skiff's own process runtime and containerd through the CRI, managed by
 * skiff (`skiff up --runtime containerd`), with the same busybox image from
 * a registry on loopback. Both need root; containerd needs Debian's
 * containerd, runc and containernetworking-plugins (.ci/run installs them).
 */
import { after, before, describe, test } from 'node:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canIsolate } from '../../src/node/runtime/process/host.js';
import { buildImage, busyboxLayer } from '../images/build-image.js';
import { pushImage } from '../images/push.js';
import { registrySkipReason, startRegistry, type TestRegistry } from '../images/registry.js';
import { holdNetworkTestLock, startCluster, type Cluster } from './harness.js';
import { nodeScenarios } from './node-scenarios.js';

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const containerdTools = ['/usr/bin/containerd', '/usr/sbin/runc', '/usr/lib/cni/bridge'].filter((path) => !existsSync(path));

const runtimes = [
  { name: 'process', podCIDR: '10.42.81.0/24', skip: !root || !canIsolate() ? 'needs root and a machine that allows namespaces, cgroups and overlay mounts' : registrySkipReason() },
  {
    name: 'containerd',
    podCIDR: '10.42.82.0/24',
    skip: !root ? 'needs root' : containerdTools.length ? `needs ${containerdTools.join(', ')} (Debian containerd, runc, containernetworking-plugins)` : registrySkipReason(),
  },
];

for (const runtime of runtimes) {
  describe(`node scenarios on the ${runtime.name} runtime`, { skip: runtime.skip }, () => {
    let cluster: Cluster;
    let registry: TestRegistry;
    let image = '';
    let releaseLock = () => {};
    const dataDir = mkdtempSync(join(tmpdir(), `skiff-${runtime.name}-e2e-`));
    before(async () => {
      releaseLock = await holdNetworkTestLock();
      registry = await startRegistry();
      const busybox = await buildImage({ layers: [{ entries: busyboxLayer() }], config: { Cmd: ['sh'], Env: ['PATH=/bin'] } });
      await pushImage(registry.url, 'test/busybox', 'v1', busybox);
      image = `${registry.host}/test/busybox:v1`;
      // The registry speaks plain HTTP: named as a mirror of itself, as with k3s.
      writeFileSync(join(dataDir, 'registries.yaml'), `mirrors:\n  "${registry.host}": { endpoint: ["http://${registry.host}"] }\n`);
      cluster = await startCluster({ dataDir, args: ['--runtime', runtime.name, '--pod-cidr', runtime.podCIDR, '--ingress-http-port', '0', '--ingress-https-port', '0'] });
    });
    after(async () => {
      await cluster?.stop();
      await registry?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      releaseLock();
    });

    for (const scenario of nodeScenarios) {
      test(scenario.name, async () => {
        const namespace = scenario.name.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '').slice(0, 40).replace(/-$/, '');
        await cluster.kubectl(['create', 'namespace', namespace]);
        await scenario.run({ cluster, image, namespace });
      });
    }
  });
}
