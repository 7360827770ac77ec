import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceClient } from '../client/index.js';
import { PodWorker } from './pod-worker.js';
import { PodSyncQueue } from './pod-sync-queue.js';
import { SimulatedRuntime } from './runtime/simulated/runtime.js';
import { CriRuntime } from './runtime/cri/cri-runtime.js';
import { FakeCriServer } from './runtime/cri/fake-cri-server.js';
import type { AgentPod } from './types.js';

/** A worker with no ConfigMaps, Secrets or Services to read, on a node at 192.0.2.1; the test gives the rest. */
function workerFor(pod: AgentPod, pods: ResourceClient<AgentPod>, options: Omit<ConstructorParameters<typeof PodWorker>[1], 'envSources' | 'pods' | 'hostIP'>): PodWorker {
  return new PodWorker(pod, { envSources: { configMap: async () => undefined, secret: async () => undefined, services: async () => [] }, pods, hostIP: '192.0.2.1', ...options });
}

test('a pod delivered late (older than our last write) does not make the worker write its status again', async () => {
  const writes: unknown[] = [];
  const pods = {
    patch: async (_namespace: string, _name: string, body: { status: unknown }) => {
      writes.push(body.status);
      return {};
    },
  } as unknown as ResourceClient<AgentPod>;
  let now = new Date('2026-12-01T10:00:00Z');
  const pod: AgentPod = { metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'busybox' }] } };
  const worker = workerFor(pod, pods, {
    runtime: new SimulatedRuntime(),
    now: () => now,
    log: () => {},
  });
  worker.update(pod);
  await worker.idle();
  const settled = writes.length;
  assert.ok(settled >= 1);
  // A second later the watch delivers the pod as it was before our writes (no conditions yet):
  // the transition times we wrote still stand, so there is nothing new to write.
  now = new Date('2026-12-01T10:00:01Z');
  worker.update(structuredClone(pod));
  await worker.idle();
  assert.equal(writes.length, settled);
  await worker.halt();
});

/** Resolves once `condition` holds, checking at every turn of the event loop (deadline: 5 s). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('a sync whose runtime call failed is retried without any other change', async () => {
  const writes: { phase?: string }[] = [];
  const pods = {
    patch: async (_namespace: string, _name: string, body: { status: { phase?: string } }) => {
      writes.push(body.status);
      return {};
    },
  } as unknown as ResourceClient<AgentPod>;
  const runtime = new SimulatedRuntime();
  const runPodSandbox = runtime.runPodSandbox.bind(runtime);
  let failures = 1;
  runtime.runPodSandbox = async (config) => {
    if (failures-- > 0) throw new Error('failed to create the pod sandbox: netns busy');
    return runPodSandbox(config);
  };
  const logged: { msg?: string }[] = [];
  const pod: AgentPod = { metadata: { name: 'p', namespace: 'default', uid: 'u2' }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'busybox' }] } };
  const worker = workerFor(pod, pods, {
    runtime,
    now: () => new Date(),
    log: (event) => logged.push(event),
    syncs: new PodSyncQueue({ resyncMs: 0, backoff: { baseDelayMs: 1 }, log: (event) => logged.push(event) }),
  });
  worker.update(pod); // the only change the worker is told of
  await until(() => writes.some((status) => status.phase === 'Running'), 'the pod running after a retry');
  assert.ok(logged.some((event) => event.msg === 'pod sync failed'));
  await worker.halt();
});

test('a teardown that failed is retried until the sandbox is gone', async () => {
  const pods = { patch: async () => ({}) } as unknown as ResourceClient<AgentPod>;
  const runtime = new SimulatedRuntime();
  const removePodSandbox = runtime.removePodSandbox.bind(runtime);
  let failures = 1;
  runtime.removePodSandbox = async (id) => {
    if (failures-- > 0) throw new Error('device or resource busy');
    return removePodSandbox(id);
  };
  const syncs = new PodSyncQueue({ resyncMs: 0, backoff: { baseDelayMs: 1 } });
  const pod: AgentPod = { metadata: { name: 'q', namespace: 'default', uid: 'u3' }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'busybox' }] } };
  const worker = workerFor(pod, pods, {
    runtime,
    now: () => new Date(),
    log: () => {},
    syncs,
  });
  worker.update(pod);
  await worker.idle();
  assert.equal((await runtime.listPodSandboxes()).length, 1);
  await worker.remove(); // the first teardown fails
  await until(() => worker.stopped, 'the teardown retried');
  assert.equal((await runtime.listPodSandboxes()).length, 0);
  syncs.shutDown();
});

test('the final status of a pod that ended is written even when the first write fails', async () => {
  const writes: { phase?: string }[] = [];
  let failures = 1;
  const pods = {
    patch: async (_namespace: string, _name: string, body: { status: { phase?: string } }) => {
      if (body.status.phase === 'Succeeded' && failures-- > 0) throw new Error('the server is currently unable to handle the request');
      writes.push(body.status);
      return {};
    },
  } as unknown as ResourceClient<AgentPod>;
  // Containers end at once; the resync notices (a standalone worker hears of no container events).
  const syncs = new PodSyncQueue({ resyncMs: 1, backoff: { baseDelayMs: 1 } });
  const pod: AgentPod = { metadata: { name: 'job', namespace: 'default', uid: 'u4' }, spec: { nodeName: 'n', restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } };
  const worker = workerFor(pod, pods, {
    runtime: new SimulatedRuntime({ completeAfterMs: 1 }),
    now: () => new Date(),
    log: () => {},
    syncs,
  });
  worker.update(pod);
  await until(() => writes.some((status) => status.phase === 'Succeeded'), 'the final status written after a failure');
  assert.ok(failures <= 0, 'the first final write failed');
  await worker.halt();
  syncs.shutDown();
});

test('an ephemeral container added to a running pod starts once, joins its target, is reported and never restarted', async () => {
  const writes: Record<string, any>[] = [];
  const pods = {
    patch: async (_namespace: string, _name: string, body: { status: Record<string, any> }) => {
      writes.push(body.status);
      return {};
    },
  } as unknown as ResourceClient<AgentPod>;
  const runtime = new SimulatedRuntime({ completeAfterMs: 20 });
  const created: { name: string; pidNamespaceOf?: string; restartPolicy?: string }[] = [];
  const createContainer = runtime.createContainer.bind(runtime);
  runtime.createContainer = async (sandboxId, config) => {
    created.push({ name: config.name, pidNamespaceOf: config.pidNamespaceOf, restartPolicy: config.restartPolicy });
    return createContainer(sandboxId, config);
  };
  const pod: AgentPod = { metadata: { name: 'p', namespace: 'default', uid: 'u-eph' }, spec: { nodeName: 'n', restartPolicy: 'Always', containers: [{ name: 'app', image: 'busybox' }] } };
  const worker = workerFor(pod, pods, {
    runtime,
    now: () => new Date(),
    log: () => {},
  });
  // The agent's part: a container event syncs the pod.
  runtime.onContainerEvent(() => worker.update());
  worker.update(pod);
  await until(() => writes.some((s) => s.phase === 'Running'), 'the pod running');
  const withDebugger: AgentPod = structuredClone(pod);
  withDebugger.spec!.ephemeralContainers = [{ name: 'debugger', image: 'busybox', command: ['sh'], targetContainerName: 'app' }];
  worker.update(withDebugger);
  const last = () => writes[writes.length - 1];
  await until(() => last().ephemeralContainerStatuses?.[0]?.state?.terminated !== undefined, 'the debugger to finish');
  const status = last().ephemeralContainerStatuses[0];
  assert.equal(status.name, 'debugger');
  assert.equal(status.ready, false);
  assert.equal(status.started, undefined);
  assert.equal(status.restartCount, 0);
  assert.equal(status.state.terminated.exitCode, 0);
  // It ran once, in the app container's PID namespace, with restart policy Never; the pod still runs.
  const app = created.find((c) => c.name === 'app');
  const debuggers = created.filter((c) => c.name === 'debugger');
  assert.equal(debuggers.length, 1);
  assert.equal(debuggers[0].restartPolicy, 'Never');
  assert.ok(debuggers[0].pidNamespaceOf && app);
  assert.equal(last().phase, 'Running');
  assert.equal(last().containerStatuses.length, 1);
  // Logs and attach find it by name like any other container.
  assert.ok(worker.logOf('debugger', false));
  worker.update(structuredClone(withDebugger));
  await worker.idle();
  assert.equal(created.filter((c) => c.name === 'debugger').length, 1);
  await worker.halt();
});

test('on a CRI runtime: the pod’s namespaces, sysctls and privilege reach the sandbox; requests, attempts and profiles its containers; probes and hooks run through ExecSync', async () => {
  const server = new FakeCriServer();
  await server.start();
  server.addImage('docker.io/library/busybox:1');
  const runtime = new CriRuntime({ endpoint: server.endpoint, node: 'n', relistPeriodMs: 10, seccompProfileRoot: '/var/lib/skiff/agent/seccomp', appArmorEnabled: true });
  const pods = { patch: async () => ({}) } as unknown as ResourceClient<AgentPod>;
  const image = 'docker.io/library/busybox:1';
  const pod = {
    metadata: { name: 'sec', namespace: 'default', uid: 'u-sec', annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'localhost/k8s-deny-write' } },
    spec: {
      nodeName: 'n',
      hostPID: true,
      hostIPC: true,
      securityContext: { sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }], seccompProfile: { type: 'RuntimeDefault' } },
      initContainers: [{ name: 'setup', image, securityContext: { privileged: true } }],
      containers: [
        {
          name: 'app',
          image,
          resources: { requests: { cpu: '250m' }, limits: { cpu: '500m' } },
          securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'audit.json' } },
          lifecycle: { postStart: { exec: { command: ['echo', 'started'] } } },
          livenessProbe: { exec: { command: ['echo', 'alive'] }, timeoutSeconds: 7, periodSeconds: 60 },
        },
      ],
    },
  } as unknown as AgentPod;
  const worker = workerFor(pod, pods, { runtime, now: () => new Date(), log: () => {} });
  try {
    runtime.onContainerEvent(() => worker.update());
    worker.update(pod);
    const requests = (rpc: string) => server.calls.filter((call) => call.rpc === rpc).map((call) => call.request);
    const created = (name: string) => requests('CreateContainer').filter((request) => request.config.metadata.name === name);
    await until(() => created('setup').length === 1 && [...server.containers.values()].some((c) => c.state === 'CONTAINER_RUNNING'), 'the init container running');

    // The sandbox: the node's PID and IPC namespaces, the sysctls, privileged for the privileged init container.
    const [sandbox] = requests('RunPodSandbox');
    assert.deepEqual(sandbox.config.linux.securityContext.namespaceOptions, { network: 'POD', pid: 'NODE', ipc: 'NODE', targetId: '' });
    assert.equal(sandbox.config.linux.securityContext.privileged, true);
    assert.deepEqual(sandbox.config.linux.sysctls, { 'kernel.shm_rmid_forced': '1' });
    assert.deepEqual(created('setup')[0].config.linux.securityContext.seccomp, { profileType: 'RuntimeDefault', localhostRef: '' });

    server.exitContainer([...server.containers.values()].find((c) => c.config.metadata.name === 'setup')!.id, 0);
    await until(() => requests('ExecSync').length === 2, 'the postStart hook and the first liveness probe');
    const [app] = created('app');
    assert.deepEqual(app.config.metadata, { name: 'app', attempt: 0 });
    assert.equal(app.config.linux.resources.cpuShares, 256);
    assert.equal(app.config.linux.resources.cpuQuota, 50_000);
    const context = app.config.linux.securityContext;
    assert.deepEqual(context.namespaceOptions, { network: 'POD', pid: 'NODE', ipc: 'NODE', targetId: '' });
    assert.deepEqual(context.seccomp, { profileType: 'Localhost', localhostRef: '/var/lib/skiff/agent/seccomp/audit.json' });
    assert.deepEqual(context.apparmor, { profileType: 'Localhost', localhostRef: 'k8s-deny-write' });
    // The postStart hook without a time limit, the probe with its timeoutSeconds.
    assert.deepEqual(
      requests('ExecSync').map((request) => [request.cmd, request.timeout]),
      [
        [['echo', 'started'], 0],
        [['echo', 'alive'], 7],
      ],
    );

    // A restart is the next attempt, whatever containerd still holds: the restart count.
    server.exitContainer([...server.containers.values()].find((c) => c.config.metadata.name === 'app')!.id, 1);
    await until(() => created('app').length === 2, 'the app container restarted');
    assert.deepEqual(created('app')[1].config.metadata, { name: 'app', attempt: 1 });
  } finally {
    await worker.halt();
    await runtime.shutdown();
    await server.stop();
  }
});

/** A status as the worker writes it, as far as these tests read it. */
interface WrittenStatus {
  phase?: string;
  reason?: string;
  message?: string;
  containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } }; restartCount?: number }[];
}

/** A pods client that keeps every status the worker writes, in order. */
function recordedStatuses(): { statuses: WrittenStatus[]; pods: ResourceClient<AgentPod> } {
  const statuses: WrittenStatus[] = [];
  const pods = {
    patch: async (_namespace: string, _name: string, body: { status: WrittenStatus }) => {
      statuses.push(body.status);
      return {};
    },
  } as unknown as ResourceClient<AgentPod>;
  return { statuses, pods };
}

test('a container the runtime refuses to create waits with CreateContainerError and its words, says so once, and is created once the runtime allows it', async () => {
  const { statuses, pods } = recordedStatuses();
  const runtime = new SimulatedRuntime();
  const createContainer = runtime.createContainer.bind(runtime);
  let refuse = true;
  runtime.createContainer = async (sandboxId, config) => {
    if (refuse) throw new Error('failed to create containerd container: cannot load seccomp profile "/var/lib/skiff/seccomp/missing.json": no such file or directory');
    return createContainer(sandboxId, config);
  };
  const events: string[] = [];
  const recorder = { event: (_pod: unknown, type: string, reason: string, message: string) => events.push(`${type} ${reason}: ${message}`) } as unknown as ConstructorParameters<typeof PodWorker>[1]['recorder'];
  let now = Date.parse('2026-12-01T10:00:00Z');
  const pod: AgentPod = { metadata: { name: 'p', namespace: 'default', uid: 'u9' }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'busybox' }] } };
  const worker = workerFor(pod, pods, { runtime, recorder, now: () => new Date(now), log: () => {}, syncs: new PodSyncQueue({ resyncMs: 0, backoff: { baseDelayMs: 1 }, log: () => {} }) });
  worker.update(pod);
  await until(() => statuses.some((s) => s.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerError'), 'the container waiting with CreateContainerError');
  const waiting = statuses.at(-1)!.containerStatuses![0];
  assert.match(waiting.state!.waiting!.message!, /cannot load seccomp profile/);
  assert.equal(waiting.restartCount, 0);
  // A second sync says nothing new.
  worker.update(pod);
  await worker.idle();
  assert.equal(events.filter((e) => e.startsWith('Warning Failed: Error: failed to create containerd container')).length, 1);
  refuse = false;
  now += 11_000;
  worker.update(pod);
  await until(() => statuses.at(-1)?.phase === 'Running', 'the pod running once the runtime creates the container');
  assert.equal(statuses.at(-1)!.containerStatuses![0].restartCount, 0);
  await worker.halt();
});

test('a pod that needs AppArmor where the runtime cannot enforce it stays Pending, reason AppArmor, its containers Blocked; no sandbox is made', async () => {
  const { statuses, pods } = recordedStatuses();
  const runtime = new SimulatedRuntime();
  Object.assign(runtime, { capabilities: { machine: false, appArmorUnavailable: 'AppArmor is not enabled on the host' } });
  let sandboxes = 0;
  const runPodSandbox = runtime.runPodSandbox.bind(runtime);
  runtime.runPodSandbox = async (config) => {
    sandboxes++;
    return runPodSandbox(config);
  };
  const confined: AgentPod = {
    metadata: { name: 'confined', namespace: 'default', uid: 'u10' },
    spec: { nodeName: 'n', securityContext: { appArmorProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'c', image: 'busybox' }] } as AgentPod['spec'],
  };
  const worker = workerFor(confined, pods, { runtime, now: () => new Date(), log: () => {} });
  worker.update(confined);
  await worker.idle();
  const status = statuses.at(-1)!;
  assert.deepEqual([status.phase, status.reason, status.message], ['Pending', 'AppArmor', 'Cannot enforce AppArmor: AppArmor is not enabled on the host']);
  assert.equal(status.containerStatuses?.[0]?.state?.waiting?.reason, 'Blocked');
  assert.equal(sandboxes, 0);
  await worker.halt();
  // Unconfined asks for nothing: it runs.
  const free: AgentPod = { metadata: { name: 'free', namespace: 'default', uid: 'u11' }, spec: { nodeName: 'n', securityContext: { appArmorProfile: { type: 'Unconfined' } }, containers: [{ name: 'c', image: 'busybox' }] } as AgentPod['spec'] };
  const other = workerFor(free, pods, { runtime, now: () => new Date(), log: () => {} });
  other.update(free);
  await until(() => statuses.at(-1)?.phase === 'Running', 'the unconfined pod running');
  await other.halt();
});
