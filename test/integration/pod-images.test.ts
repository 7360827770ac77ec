/**
 * Pods of images, end to end on one node (as root): the agent pulls the
 * image from a real registry on loopback, the process runtime runs the
 * container in the image's root file system with the image's ENTRYPOINT,
 * CMD, ENV, WORKDIR and USER; a missing tag goes ErrImagePull →
 * ImagePullBackOff; runAsNonRoot refuses an image that runs as root; a pod
 * of the RuntimeClass host runs on the node's own file system.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client } from '../../src/client/index.js';
import { NodeAgent, ProcessRuntime } from '../../src/node/index.js';
import { LocalImageService } from '../../src/node/images/image-service.js';
import { canIsolate } from '../../src/node/runtime/process/host.js';
import { shimBinary } from '../../src/node/runtime/process/shim-client.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { holdNetworkTestLock } from '../e2e/harness.js';
import { buildImage, busyboxLayer } from '../images/build-image.js';
import { pushImage } from '../images/push.js';
import { registrySkipReason, startRegistry, type TestRegistry } from '../images/registry.js';
import { eventually, resources } from './harness.js';

const podCIDR = '10.42.92.0/24';
/** struct vfs_cap_data, revision 2: effective, and cap_net_raw (bit 13) permitted. */
const netRawFileCapability = Buffer.from('0100000200200000000000000000000000000000', 'hex');
const bridge = 'skiff-42-92';
const skip =
  typeof process.getuid !== 'function' || process.getuid() !== 0
    ? 'needs root: containers run in their image only in isolated pods'
    : !canIsolate()
      ? 'this machine does not let skiff create namespaces'
      : registrySkipReason();

type Pod = KubeObject & { spec?: Record<string, unknown>; status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string }; running?: unknown } }[] } };

let api: TestServer;
let client: Client;
let registry: TestRegistry;
let runtime: ProcessRuntime;
let stop: AbortController;
let running: Promise<void>;
let release: () => void = () => {};
const dir = mkdtempSync(join(tmpdir(), 'skiff-pod-images-'));

before(async () => {
  if (skip) return;
  release = await holdNetworkTestLock();
  registry = await startRegistry();
  const app = await buildImage({
    layers: [
      { entries: busyboxLayer() },
      // A `cat` with the file capability cap_net_raw (permitted and effective), as Debian's ping carries it.
      { entries: [{ path: 'srv/index.html', content: 'hello from the image\n' }, { path: 'caps/cat', file: '/bin/busybox', xattrs: { 'security.capability': netRawFileCapability } }] },
    ],
    config: {
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo "$GREETING in $(pwd)"; id; cat index.html; grep CapEff /proc/self/status; /caps/cat /proc/self/status | grep CapEff; sleep 600'],
      Env: ['PATH=/bin', 'GREETING=hi'],
      WorkingDir: '/srv',
      User: 'app',
    },
  });
  await pushImage(registry.url, 'team/app', 'v1', app);
  const rootImage = await buildImage({ layers: [{ entries: busyboxLayer() }], config: { Cmd: ['sleep', '600'], Env: ['PATH=/bin'] } });
  await pushImage(registry.url, 'team/root', 'v1', rootImage);

  api = await startTestServer();
  client = new Client(api.credentials);
  await client.resource({ group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses', kind: 'RuntimeClass', namespaced: false }).create({ metadata: { name: 'host' }, handler: 'host' } as KubeObject);
  const images = new LocalImageService({ root: join(dir, 'image-store'), endpoints: () => [{ url: registry.url }], nodeHelper: shimBinary() });
  // Writable layers apart from the state, as `skiff up` keeps them (state in memory, layers on disk); one left
  // by a container no record names (a reboot emptied the state) is removed when the runtime starts.
  mkdirSync(join(dir, 'snapshots', 'left-by-a-reboot', 'upper'), { recursive: true });
  runtime = new ProcessRuntime({ logDir: join(dir, 'logs'), stateDir: join(dir, 'state'), snapshotDir: join(dir, 'snapshots'), hostIP: '127.0.0.1', podCIDR, images });
  stop = new AbortController();
  const agent = new NodeAgent(client, {
    identity: { name: 'images', runtime: 'process', capacity: { cpu: '2', memory: '4Gi', pods: '20' }, address: '127.0.0.1', dataDir: dir },
    runtime,
    leaseRenewMs: 200,
  });
  running = agent.run(stop.signal);
});

after(async () => {
  if (!skip) {
    for (const pod of ((await client.resource<Pod>(resources.pods).list('default')).items ?? [])) await client.resource<Pod>(resources.pods).delete('default', pod.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => {});
    stop?.abort();
    await running?.catch(() => {});
    await runtime?.stopAll().catch(() => {});
    client.close();
    await api.close();
    await registry?.stop();
    try {
      execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    } catch {
      /* not there */
    }
  }
  release();
  rmSync(dir, { recursive: true, force: true });
});

function logOf(pod: Pod, container: string): string {
  const podDir = join(dir, 'logs', 'pods', `default_${pod.metadata.name}_${pod.metadata.uid}`, container);
  return existsSync(podDir) ? readdirSync(podDir).map((f) => readFileSync(join(podDir, f), 'utf8')).join('') : '';
}

async function eventsOf(name: string): Promise<string[]> {
  const list = await client.resource<KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string } }>(resources.events).list('default');
  return list.items.filter((e) => e.involvedObject?.name === name).map((e) => `${e.reason}: ${e.message}`);
}

describe('pods of images (process runtime, root, a registry on loopback)', { skip }, () => {
  const pods = () => client.resource<Pod>(resources.pods);
  const create = (name: string, spec: Record<string, unknown>) =>
    pods().create({ metadata: { name, namespace: 'default' }, spec: { nodeName: 'images', automountServiceAccountToken: false, terminationGracePeriodSeconds: 0, ...spec } } as Pod);

  it("runs the image's ENTRYPOINT and CMD in its own root file system, as its USER, in its WORKDIR, with its ENV", async () => {
    await create('app', { containers: [{ name: 'main', image: `${registry.host}/team/app:v1` }] });
    const pod = await eventually(() => pods().get('default', 'app'), (p) => p.status?.phase === 'Running', 'the pod Running', 60_000);
    const log = await eventually(() => logOf(pod, 'main'), (text) => text.includes('CapEff:\t0000000000002000'), 'the container output', 20_000);
    assert.match(log, /hi in \/srv/);
    assert.match(log, /uid=1000\(app\) gid=1000\(app\)/);
    // The user has no capabilities of its own; a program with file capabilities gets them (within the bounding set).
    assert.match(log, /stdout F CapEff:\t0000000000000000\n.* stdout F CapEff:\t0000000000002000\n/);
    // Its writable layer is in the snapshot dir, not in its state dir; the orphan there is gone.
    const sandbox = (await runtime.listPodSandboxes()).find((s) => s.podUid === pod.metadata.uid)!;
    // The host's end of its veth is on the bridge without an IPv6 address of its own (no DAD, no MLD for it).
    const { network } = JSON.parse(readFileSync(join(dir, 'state', 'sandboxes', sandbox.id, 'sandbox.json'), 'utf8')) as { network: { veth: string } };
    assert.ok(existsSync(`/sys/class/net/${network.veth}/brport`), 'the veth is a bridge port');
    if (existsSync('/proc/net/if_inet6')) {
      const addressed = readFileSync('/proc/net/if_inet6', 'utf8').split('\n').map((line) => line.trim().split(/\s+/).at(-1));
      assert.ok(!addressed.includes(network.veth), `${network.veth} has no IPv6 address`);
    }
    const [container] = await runtime.listContainers(sandbox.id);
    assert.deepEqual(readdirSync(join(dir, 'snapshots')), [container.id]);
    assert.deepEqual(readdirSync(join(dir, 'snapshots', container.id)).sort(), ['upper', 'work']);
    assert.ok(!existsSync(join(dir, 'state', 'containers', container.id, 'upper')));
    await pods().delete('default', 'app', { gracePeriodSeconds: 0 });
    await eventually(async () => readdirSync(join(dir, 'snapshots')), (left) => left.length === 0, 'the writable layer removed with the container', 30_000);
    const events = await eventsOf('app');
    assert.ok(events.includes(`Pulling: Pulling image "${registry.host}/team/app:v1"`), events.join('\n'));
    assert.ok(events.some((e) => new RegExp(`^Pulled: Successfully pulled image "${registry.host}/team/app:v1" in [0-9.]+m?s \\([0-9.]+m?s including waiting\\)\\. Image size: \\d+ bytes\\.$`).test(e)), events.join('\n'));
  });

  it('a missing tag goes ErrImagePull, then ImagePullBackOff, with upstream\'s messages', async () => {
    const image = `${registry.host}/team/app:nope`;
    await create('missing', { containers: [{ name: 'main', image }] });
    const waiting = (p: Pod) => p.status?.containerStatuses?.[0]?.state?.waiting;
    const failed = await eventually(() => pods().get('default', 'missing'), (p) => waiting(p)?.reason === 'ErrImagePull' || waiting(p)?.reason === 'ImagePullBackOff', 'ErrImagePull', 30_000);
    if (waiting(failed)?.reason === 'ErrImagePull') assert.equal(waiting(failed)?.message, `failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`);
    const backOff = await eventually(() => pods().get('default', 'missing'), (p) => waiting(p)?.reason === 'ImagePullBackOff', 'ImagePullBackOff', 30_000);
    assert.equal(waiting(backOff)?.message, `Back-off pulling image "${image}"`);
    const events = await eventsOf('missing');
    assert.ok(events.includes(`Failed: Failed to pull image "${image}": failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`), events.join('\n'));
    assert.ok(events.includes('Failed: Error: ErrImagePull'), events.join('\n'));
    assert.ok(events.includes(`BackOff: Back-off pulling image "${image}"`), events.join('\n'));
  });

  it('runAsNonRoot refuses an image that runs as root (CreateContainerConfigError)', async () => {
    await create('rooted', { securityContext: { runAsNonRoot: true }, containers: [{ name: 'main', image: `${registry.host}/team/root:v1` }] });
    const pod = await eventually(
      () => pods().get('default', 'rooted'),
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError',
      'CreateContainerConfigError',
      30_000,
    );
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.waiting?.message, 'container has runAsNonRoot and image will run as root (pod: "rooted", container: main)');
  });

  it('exec, exec probes and exec hooks run inside the image, as the container runs', async () => {
    await create('inside', {
      containers: [
        {
          name: 'main',
          image: `${registry.host}/team/app:v1`,
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          // Both would fail on the node: /srv/index.html is the image's, and uid 1000 cannot write the node's /tmp/post-start… as the image's /tmp it can.
          lifecycle: { postStart: { exec: { command: ['sh', '-c', 'id -u > /tmp/post-start'] } } },
          readinessProbe: { exec: { command: ['grep', '-q', 'hello from the image', '/srv/index.html'] }, periodSeconds: 1 },
        },
      ],
    });
    const ready = (p: Pod) => (p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const pod = await eventually(() => pods().get('default', 'inside'), ready, 'the pod Ready through its exec probe', 60_000);
    const sandbox = (await runtime.listPodSandboxes()).find((s) => s.podUid === pod.metadata.uid)!;
    const container = (await runtime.listContainers(sandbox.id)).find((c) => c.state === 'running')!;
    const run = async (command: string[], tty?: { width: number; height: number }) => {
      const exec = runtime.exec(container.id, command, { stdin: false, ...(tty ? { tty } : {}) })!;
      let out = '';
      exec.stdout.on('data', (d: Buffer) => (out += d.toString()));
      exec.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const end = await exec.done;
      return { out, ...end };
    };
    const inside = await run(['sh', '-c', 'cat /tmp/post-start; id; pwd; echo "$GREETING"; grep -E "^(CapBnd|CapEff|NoNewPrivs)" /proc/self/status; test -e /etc/debian_version && echo node-visible || echo node-hidden']);
    assert.equal(inside.exitCode, 0, inside.out);
    assert.equal(
      inside.out,
      ['1000', 'uid=1000(app) gid=1000(app)', '/srv', 'hi', 'CapEff:\t0000000000000000', 'CapBnd:\t0000000000000000', 'NoNewPrivs:\t1', 'node-hidden', ''].join('\n'),
    );
    // A terminal, though the image has no program to make one.
    const terminal = await run(['sh', '-c', 'stty size; test -t 0 && echo on-a-terminal'], { width: 90, height: 30 });
    assert.equal(terminal.out, '30 90\r\non-a-terminal\r\n');
    const missing = await run(['bash']);
    assert.equal(missing.error, 'exec: "bash": executable file not found in $PATH');
  });

  it("a pod of the RuntimeClass host runs its command on the node's file system", async () => {
    await create('on-host', { runtimeClassName: 'host', containers: [{ name: 'main', image: 'anything', command: ['sh', '-c', 'test -e /etc/debian_version && echo on-the-node; sleep 600'] }] });
    const pod = await eventually(() => pods().get('default', 'on-host'), (p) => p.status?.phase === 'Running', 'the pod Running', 30_000);
    await eventually(() => logOf(pod, 'main'), (text) => text.includes('on-the-node'), 'the container output', 20_000);
  });
});
