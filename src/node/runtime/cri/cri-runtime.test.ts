import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExecTimeoutError, type ContainerStatus } from '../runtime.js';
import { CriRuntime } from './cri-runtime.js';
import { FakeCriServer } from './fake-cri-server.js';

const pod = { uid: 'uid-1', namespace: 'default', name: 'web' };

/** Waits for a condition, with a deadline: no sleeps to synchronise. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('CriRuntime', () => {
  let server: FakeCriServer;
  let runtime: CriRuntime;

  before(async () => {
    server = new FakeCriServer();
    await server.start();
    server.addImage('docker.io/library/busybox:1', { Cmd: ['sh'] });
  });

  after(async () => {
    await server.stop();
  });

  beforeEach(async () => {
    await runtime?.shutdown();
    for (const id of [...server.sandboxes.keys()]) server.sandboxes.delete(id);
    for (const id of [...server.containers.keys()]) server.containers.delete(id);
    server.calls.length = 0;
    runtime = new CriRuntime({ endpoint: server.endpoint, node: 'node-1', hostIP: '192.168.5.5', podLogsDir: '/var/log/pods', relistPeriodMs: 60_000 });
  });

  const lastRequest = (rpc: string) => server.calls.filter((call) => call.rpc === rpc).at(-1)?.request;

  it('takes its name from the runtime', async () => {
    assert.equal(runtime.name, 'containerd');
    await runtime.version();
    assert.equal(runtime.name, 'fake-containerd');
    assert.deepEqual([runtime.isolation, runtime.capabilities.machine, runtime.describeIsolation()], ['root', true, undefined]);
    assert.equal(runtime.prepareNetwork, undefined);
    const withNetwork = new CriRuntime({ endpoint: server.endpoint, prepareNetwork: async () => ({ address: '10.42.0.1', bridge: 'skiff0' }) });
    assert.deepEqual(await withNetwork.prepareNetwork?.(), { address: '10.42.0.1', bridge: 'skiff0' });
    await withNetwork.shutdown();
  });

  it('connects only to a runtime that answers in CRI v1', async () => {
    const connected = await CriRuntime.connect({ endpoint: server.endpoint });
    assert.equal(connected.name, 'fake-containerd');
    await connected.shutdown();
    await assert.rejects(CriRuntime.connect({ endpoint: `unix://${server.dir}/nothing.sock` }), /cannot reach the container runtime at .*nothing\.sock \(is containerd running\?\)/);
  });

  it('runs a sandbox as the kubelet asks for one, and lists it', async () => {
    const sandbox = await runtime.runPodSandbox({ ...pod, hostname: 'web', runtimeHandler: 'runc', dns: { nameservers: ['10.43.0.10'] } });
    assert.equal(sandbox.podUid, 'uid-1');
    assert.equal(sandbox.state, 'ready');
    assert.match(sandbox.ip, /^10\.88\.0\.\d+$/);
    const request = lastRequest('RunPodSandbox');
    assert.equal(request.runtimeHandler, 'runc');
    assert.deepEqual(request.config.metadata, { name: 'web', uid: 'uid-1', namespace: 'default', attempt: 0 });
    assert.equal(request.config.logDirectory, '/var/log/pods/default_web_uid-1');
    assert.deepEqual(request.config.dnsConfig.servers, ['10.43.0.10']);
    assert.equal(request.config.labels['skiff.dev/node'], 'node-1');
    assert.deepEqual((await runtime.listPodSandboxes()).map((s) => s.id), [sandbox.id]);
  });

  it('lists only its own node’s sandboxes', async () => {
    const other = new CriRuntime({ endpoint: server.endpoint, node: 'node-2' });
    try {
      await other.runPodSandbox({ uid: 'uid-9', namespace: 'default', name: 'elsewhere' });
      const mine = await runtime.runPodSandbox(pod);
      assert.deepEqual((await runtime.listPodSandboxes()).map((s) => s.id), [mine.id]);
    } finally {
      await other.shutdown();
    }
  });

  it('gives a host-network sandbox the node’s IP and a pod’s next sandbox the next attempt', async () => {
    const first = await runtime.runPodSandbox({ ...pod, hostNetwork: true });
    assert.equal(first.ip, '192.168.5.5');
    assert.equal(lastRequest('RunPodSandbox').config.linux.securityContext.namespaceOptions.network, 'NODE');
    await runtime.stopPodSandbox(first.id);
    const second = await runtime.runPodSandbox({ ...pod, hostNetwork: true });
    assert.notEqual(second.id, first.id);
    assert.equal(lastRequest('RunPodSandbox').config.metadata.attempt, 1);
    assert.deepEqual((await runtime.listPodSandboxes()).map((s) => s.state).sort(), ['notready', 'ready']);
  });

  it('refuses the host handler clearly, and passes the runtime’s refusal of an unknown one', async () => {
    await assert.rejects(runtime.runPodSandbox({ ...pod, runtimeHandler: 'host' }), /RuntimeClass handler "host" runs a pod's commands on the node's own file system, which containerd cannot do/);
    assert.equal(lastRequest('RunPodSandbox'), undefined);
    await assert.rejects(runtime.runPodSandbox({ ...pod, runtimeHandler: 'kata' }), /^CriError: RunPodSandbox: failed to get sandbox runtime: no runtime for "kata" is configured$/);
  });

  it('creates a container with its log path relative to the sandbox’s, and the attempt from it', async () => {
    const sandbox = await runtime.runPodSandbox(pod);
    const id = await runtime.createContainer(sandbox.id, {
      name: 'app',
      image: 'docker.io/library/busybox:1',
      command: ['sh', '-c', 'echo hi'],
      logPath: '/var/log/pods/default_web_uid-1/app/2.log',
      milliCPULimit: 250,
      memoryLimit: 1 << 20,
    });
    const request = lastRequest('CreateContainer');
    assert.equal(request.podSandboxId, sandbox.id);
    assert.equal(request.config.logPath, 'app/2.log');
    assert.equal(request.sandboxConfig.logDirectory, '/var/log/pods/default_web_uid-1');
    assert.deepEqual(request.config.metadata, { name: 'app', attempt: 2 });
    assert.deepEqual([request.config.linux.resources.cpuQuota, request.config.linux.resources.memoryLimitInBytes], [25_000, 1 << 20]);
    const status = await runtime.containerStatus(id);
    assert.deepEqual([status?.name, status?.attempt, status?.state, status?.logPath], ['app', 2, 'created', '/var/log/pods/default_web_uid-1/app/2.log']);
  });

  it('without a log path, numbers attempts itself', async () => {
    const sandbox = await runtime.runPodSandbox(pod);
    await runtime.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1' });
    await runtime.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1' });
    assert.deepEqual((await runtime.listContainers(sandbox.id)).map((c) => c.attempt).sort(), [0, 1]);
  });

  it('creates containers in a sandbox another agent made (its config read back from the sandbox)', async () => {
    const sandbox = await runtime.runPodSandbox({ ...pod, hostname: 'web-h' });
    const restarted = new CriRuntime({ endpoint: server.endpoint, node: 'node-1' });
    try {
      await restarted.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1', logPath: '/var/log/pods/default_web_uid-1/app/0.log' });
      const request = lastRequest('CreateContainer');
      assert.equal(request.sandboxConfig.hostname, 'web-h');
      assert.equal(request.sandboxConfig.logDirectory, '/var/log/pods/default_web_uid-1');
    } finally {
      await restarted.shutdown();
    }
  });

  it('says why a privileged container needs a privileged sandbox', async () => {
    const plain = await runtime.runPodSandbox(pod);
    await assert.rejects(runtime.createContainer(plain.id, { name: 'p', image: 'docker.io/library/busybox:1', security: { privileged: true } }), /CreateContainer: no privileged container allowed in sandbox/);
    const privileged = await runtime.runPodSandbox({ uid: 'uid-2', namespace: 'default', name: 'priv', privileged: true } as Parameters<CriRuntime['runPodSandbox']>[0]);
    assert.ok(await runtime.createContainer(privileged.id, { name: 'p', image: 'docker.io/library/busybox:1', security: { privileged: true } }));
  });

  it('drives a container’s life and maps its states, exit codes and reasons', async () => {
    const sandbox = await runtime.runPodSandbox(pod);
    const done = await runtime.createContainer(sandbox.id, { name: 'job', image: 'docker.io/library/busybox:1' });
    const failed = await runtime.createContainer(sandbox.id, { name: 'bad', image: 'docker.io/library/busybox:1' });
    const killed = await runtime.createContainer(sandbox.id, { name: 'oom', image: 'docker.io/library/busybox:1' });
    const stopped = await runtime.createContainer(sandbox.id, { name: 'server', image: 'docker.io/library/busybox:1' });
    for (const id of [done, failed, killed, stopped]) await runtime.startContainer(id);
    assert.equal((await runtime.containerStatus(stopped))?.state, 'running');
    assert.ok((await runtime.containerStatus(stopped))?.startedAt instanceof Date);
    server.exitContainer(done, 0);
    server.exitContainer(failed, 2);
    server.exitContainer(killed, 137, 'OOMKilled');
    await runtime.stopContainer(stopped, 30);
    assert.equal(lastRequest('StopContainer').timeout, 30);
    const statuses = new Map((await runtime.listContainers(sandbox.id)).map((s) => [s.name, s]));
    assert.deepEqual([statuses.get('job')?.state, statuses.get('job')?.exitCode, statuses.get('job')?.reason], ['exited', 0, 'Completed']);
    assert.deepEqual([statuses.get('bad')?.exitCode, statuses.get('bad')?.reason], [2, 'Error']);
    assert.deepEqual([statuses.get('oom')?.exitCode, statuses.get('oom')?.reason], [137, 'OOMKilled']);
    assert.deepEqual([statuses.get('server')?.exitCode, statuses.get('server')?.reason], [143, 'Error']);
    assert.ok(statuses.get('job')?.finishedAt instanceof Date);
    await runtime.removeContainer(done);
    assert.equal(await runtime.containerStatus(done), undefined);
    // Already gone is done: no error.
    await runtime.removeContainer(done);
    await runtime.stopContainer(done, 1);
    await runtime.stopPodSandbox(sandbox.id);
    await runtime.removePodSandbox(sandbox.id);
    await runtime.removePodSandbox(sandbox.id);
    assert.deepEqual(await runtime.listPodSandboxes(), []);
  });

  it('reports containers whose state changed at each relist, once', async () => {
    const events: [string, ContainerStatus][] = [];
    runtime.onContainerEvent((sandboxId, status) => events.push([sandboxId, status]));
    const sandbox = await runtime.runPodSandbox(pod);
    const id = await runtime.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1' });
    await runtime.relist();
    assert.deepEqual(events.map(([s, e]) => [s, e.id, e.state]), [[sandbox.id, id, 'created']]);
    await runtime.startContainer(id);
    await runtime.relist();
    await runtime.relist();
    assert.deepEqual(events.map(([, e]) => e.state), ['created', 'running']);
    server.exitContainer(id, 1);
    await runtime.relist();
    assert.deepEqual(events.map(([, e]) => e.state), ['created', 'running', 'exited']);
    assert.deepEqual([events[2][1].exitCode, events[2][1].reason], [1, 'Error']);
  });

  it('keeps relisting on its own once someone listens, and stops at shutdown', async () => {
    const fast = new CriRuntime({ endpoint: server.endpoint, node: 'node-1', relistPeriodMs: 5 });
    const sandbox = await fast.runPodSandbox(pod);
    const id = await fast.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1' });
    await fast.startContainer(id);
    const states: string[] = [];
    fast.onContainerEvent((_s, status) => states.push(status.state));
    await until(() => states.includes('running'), 'the running container to be reported');
    server.exitContainer(id, 0);
    await until(() => states.includes('exited'), 'the exit to be reported');
    await fast.shutdown();
    const calls = server.calls.length;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(server.calls.filter((c, i) => i >= calls && c.rpc === 'ListContainers').length, 0);
  });

  it('gives no exec or attach for a container that is not running, and says why an Exec RPC failed', async () => {
    const sandbox = await runtime.runPodSandbox(pod);
    const id = await runtime.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1' });
    assert.equal(runtime.exec(id, ['echo'], { stdin: false }), undefined);
    assert.equal(runtime.attach(id, () => {}), undefined);
    const unknown = await runtime.exec('no-such-container', ['echo'], { stdin: false })!.done;
    assert.equal(unknown.exitCode, null);
    assert.match(unknown.error ?? '', /^Exec: an error occurred when try to find container "no-such-container": not found$/);
  });

  it('reads a container’s stats, and none for one that is gone', async () => {
    const sandbox = await runtime.runPodSandbox(pod);
    const id = await runtime.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1' });
    assert.deepEqual(await runtime.containerStats(id), { memoryBytes: 4096 * 1024, cpuNanos: 5_000_000 });
    assert.equal(await runtime.containerStats('gone'), undefined);
  });

  it('runs a command to its end with ExecSync, in a running container only', async () => {
    const sandbox = await runtime.runPodSandbox(pod);
    const id = await runtime.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1' });
    await assert.rejects(runtime.execSync(id, ['echo', 'ok'], 5), /^Error: the container is not running$/);
    await runtime.startContainer(id);
    const result = await runtime.execSync(id, ['echo', 'ok'], 5);
    assert.deepEqual([result.stdout.toString(), result.exitCode], ['ok\n', 0]);
    assert.equal(lastRequest('ExecSync').timeout, 5);
    // The CRI's timeout is in whole seconds: a fraction is rounded up, never down to "no limit".
    await runtime.execSync(id, ['echo'], 0.2);
    assert.equal(lastRequest('ExecSync').timeout, 1);
    await runtime.execSync(id, ['echo'], 0);
    assert.equal(lastRequest('ExecSync').timeout, 0);
  });

  it('says an ExecSync command timed out when the runtime killed it, and cancels one when asked (the runtime kills it then)', async () => {
    const sandbox = await runtime.runPodSandbox(pod);
    const id = await runtime.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1' });
    await runtime.startContainer(id);
    await assert.rejects(runtime.execSync(id, ['sleep', '30'], 1), (err: unknown) => err instanceof ExecTimeoutError && err.timeoutSeconds === 1);
    assert.deepEqual(server.killedExecs.at(-1), { cmd: ['sleep', '30'], why: 'timeout' });
    const cancel = new AbortController();
    const running = runtime.execSync(id, ['sleep', '30'], 0, cancel.signal);
    await until(() => server.calls.filter((c) => c.rpc === 'ExecSync').length === 2, 'the second sleep to reach the runtime');
    cancel.abort();
    await assert.rejects(running, /ExecSync: .*[Cc]ancel/);
    // The cancellation travels as an HTTP/2 stream reset: on a loaded machine it may take seconds.
    await until(() => server.killedExecs.length === 2, 'the runtime to kill the cancelled command', 30_000);
    assert.deepEqual(server.killedExecs.at(-1), { cmd: ['sleep', '30'], why: 'cancelled' });
  });

  it('sends the pod’s namespaces, sysctls and privilege with the sandbox, and seccomp/AppArmor with its containers', async () => {
    const profiled = new CriRuntime({ endpoint: server.endpoint, node: 'node-1', relistPeriodMs: 60_000, seccompProfileRoot: '/var/lib/skiff/seccomp' });
    try {
      const sandbox = await profiled.runPodSandbox({ ...pod, hostPID: true, hostIPC: true, sysctls: { 'kernel.shm_rmid_forced': '1' }, privileged: true });
      const linux = lastRequest('RunPodSandbox').config.linux;
      assert.deepEqual(linux.securityContext.namespaceOptions, { network: 'POD', pid: 'NODE', ipc: 'NODE', targetId: '' });
      assert.equal(linux.securityContext.privileged, true);
      assert.deepEqual(linux.securityContext.seccomp, { profileType: 'RuntimeDefault', localhostRef: '' });
      assert.deepEqual(linux.sysctls, { 'kernel.shm_rmid_forced': '1' });
      await profiled.createContainer(sandbox.id, {
        name: 'app',
        image: 'docker.io/library/busybox:1',
        attempt: 3,
        milliCPURequest: 100,
        security: { privileged: true, seccompProfile: { type: 'Localhost', localhostProfile: 'audit.json' }, appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-deny-write' } },
      });
      const request = lastRequest('CreateContainer');
      assert.deepEqual(request.config.metadata, { name: 'app', attempt: 3 });
      assert.equal(request.config.linux.resources.cpuShares, 102);
      const context = request.config.linux.securityContext;
      assert.deepEqual(context.namespaceOptions, { network: 'POD', pid: 'NODE', ipc: 'NODE', targetId: '' });
      assert.deepEqual(context.seccomp, { profileType: 'Localhost', localhostRef: '/var/lib/skiff/seccomp/audit.json' });
      assert.deepEqual(context.apparmor, { profileType: 'Localhost', localhostRef: 'k8s-deny-write' });
      assert.equal(context.apparmorProfile, 'localhost/k8s-deny-write');
    } finally {
      await profiled.shutdown();
    }
  });

  it('stops and removes its pods at shutdown when asked to', async () => {
    const stopping = new CriRuntime({ endpoint: server.endpoint, node: 'node-1', stopOnShutdown: true });
    const sandbox = await stopping.runPodSandbox(pod);
    const id = await stopping.createContainer(sandbox.id, { name: 'app', image: 'docker.io/library/busybox:1' });
    await stopping.startContainer(id);
    await stopping.shutdown();
    assert.equal(server.sandboxes.size, 0);
    assert.equal(server.calls.find((c) => c.rpc === 'StopContainer')?.request.timeout, 5);
  });

  it("gives the sandbox's pause PID from the verbose status, asking once per sandbox", async () => {
    const sandbox = await runtime.runPodSandbox(pod);
    assert.equal(await runtime.sandboxPid(sandbox.id), 4242);
    assert.equal(await runtime.sandboxPid(sandbox.id), 4242);
    assert.equal(server.calls.filter((c) => c.rpc === 'PodSandboxStatus' && c.request.verbose).length, 1);
    assert.equal(await runtime.sandboxPid('gone'), undefined);
  });

  it("with pod cgroups: the sandbox gets /skiff/pod<uid> as its cgroup parent, and PodSandboxStats gives the pod's cpu, memory and network", async () => {
    const withCgroups = new CriRuntime({ endpoint: server.endpoint, node: 'node-1', relistPeriodMs: 60_000, podCgroups: true });
    try {
      const sandbox = await withCgroups.runPodSandbox({ uid: '3f1c2a4e-0000-4000-8000-000000000001', namespace: 'default', name: 'measured' });
      assert.equal(lastRequest('RunPodSandbox')?.config.linux.cgroupParent, '/skiff/pod3f1c2a4e-0000-4000-8000-000000000001');
      assert.deepEqual(await withCgroups.podSandboxStats(sandbox.id), { cpuNanos: 9_000_000, memoryWorkingSetBytes: 5 * 1024 * 1024, network: [{ name: 'eth0', rxBytes: 1234, txBytes: 567 }] });
      assert.equal(await withCgroups.podSandboxStats('gone'), undefined);
    } finally {
      await withCgroups.shutdown();
    }
    // Without them no parent is sent, and PodSandboxStats is not asked (containerd would refuse it).
    const sandbox = await runtime.runPodSandbox(pod);
    assert.equal(lastRequest('RunPodSandbox')?.config.linux.cgroupParent, '');
    const asked = server.calls.filter((c) => c.rpc === 'PodSandboxStats').length;
    assert.equal(await runtime.podSandboxStats(sandbox.id), undefined);
    assert.equal(server.calls.filter((c) => c.rpc === 'PodSandboxStats').length, asked);
  });

  it('fails clearly when the runtime is gone', async () => {
    const orphan = new CriRuntime({ endpoint: `unix://${server.dir}/gone.sock` });
    try {
      await assert.rejects(orphan.runPodSandbox(pod), /cannot reach the container runtime at unix:\/\/.*gone\.sock \(is containerd running\?\)/);
      const exec = await orphan.exec('c', ['echo'], { stdin: false })!.done;
      assert.match(exec.error ?? '', /cannot reach the container runtime/);
    } finally {
      await orphan.shutdown();
    }
  });
});
