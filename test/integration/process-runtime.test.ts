/**
 * The node agent with the process runtime: containers' commands really
 * run as processes on this machine; exit codes, restarts and
 * CrashLoopBackOff show in the pod status as upstream's kubelet reports them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client } from '../../src/client/index.js';
import { schedulerManager } from '../../src/scheduler/index.js';
import { NodeAgent, ProcessRuntime } from '../../src/node/index.js';
import { issueServingCertificate } from '../../src/apiserver/pki/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { eventually, resources } from './harness.js';

let api: TestServer;
let client: Client;
let runtime: ProcessRuntime;
/** The agent's run: it ends once the agent stopped its pods and its runtime. */
let agentRun: Promise<void> | undefined;
const logDir = mkdtempSync(join(tmpdir(), 'skiff-agent-logs-'));
const stop = new AbortController();

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  const scheduler = schedulerManager(client);
  void scheduler.run(stop.signal);
  // Its pods stop with the agent (as under skiff up): nothing of this test outlives it.
  runtime = new ProcessRuntime({ logDir, stateDir: join(logDir, 'state'), hostIP: '127.0.0.1', isolation: 'none', stopOnShutdown: true });
  const serving = await issueServingCertificate(api.pki, 'local', ['local', '127.0.0.1']);
  agentRun = new NodeAgent(client, {
    identity: { name: 'local', runtime: 'process', capacity: { cpu: '2', memory: '4Gi', pods: '20' }, address: '127.0.0.1' },
    runtime,
    serving: { certPem: serving.certPem, keyPem: serving.keyPem, caPem: api.pki.caCertPem },
  }).run(stop.signal);
  await scheduler.waitForSync();
});

after(async () => {
  stop.abort();
  // The agent's own stop, to its end, before the API goes: it stops the pods and the runtime (its helper, its timers).
  // Stopping the runtime beside it raced with pod syncs still under way, which could leave a timer or the helper behind.
  if (agentRun) await agentRun.catch(() => runtime.shutdown());
  // When before() failed half-way (no skiff-shim found), what it did start must still stop, or the process never ends.
  else await runtime?.shutdown();
  client?.close();
  await api?.close();
  rmSync(logDir, { recursive: true, force: true });
});

type Pod = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> & { phase?: string; containerStatuses?: ContainerStatus[] } };
interface ContainerStatus {
  restartCount: number;
  ready: boolean;
  state: { running?: object; waiting?: { reason: string; message?: string }; terminated?: { exitCode: number; reason: string } };
  lastState: { terminated?: { exitCode: number } };
}

const pods = () => client.resource<Pod>(resources.pods);
function pod(name: string, command: string[], restartPolicy = 'Always'): Pod {
  return { metadata: { name, namespace: 'default' }, spec: { restartPolicy, containers: [{ name: 'main', image: 'busybox', command }] } };
}
const container = (p: Pod) => p.status?.containerStatuses?.[0];

describe('node agent (process runtime)', () => {
  it('runs the command; its output is in the log; a finished pod reports its exit', async () => {
    await pods().create(pod('hello', ['sh', '-c', 'echo hello from $HOSTNAME; exit 0'], 'Never'));
    const done = await eventually(() => pods().get('default', 'hello'), (p) => p.status?.phase === 'Succeeded', 'Succeeded');
    assert.deepEqual([container(done)?.state.terminated?.exitCode, container(done)?.state.terminated?.reason], [0, 'Completed']);
    const dir = readdirSync(join(logDir, 'pods')).find((d) => d.startsWith('default_hello_'))!;
    assert.match(readFileSync(join(logDir, 'pods', dir, 'main', '0.log'), 'utf8'), / stdout F hello from hello\n/);
    // kubectl logs' request, through the apiserver to the agent.
    const logs = await api.request('GET', '/api/v1/namespaces/default/pods/hello/log');
    assert.equal(logs.status, 200);
    assert.equal(logs.body, 'hello from hello\n');
    const stamped = await api.request('GET', '/api/v1/namespaces/default/pods/hello/log?timestamps=true&tailLines=1');
    assert.match(stamped.body, /^\d{4}-\d\d-\d\dT[\d:.]+Z hello from hello\n$/);
    const wrong = await api.request('GET', '/api/v1/namespaces/default/pods/hello/log?container=nope');
    assert.equal(wrong.status, 400);
    assert.match(wrong.body, /container nope is not valid for pod hello/);

    await pods().create(pod('fails', ['sh', '-c', 'exit 7'], 'Never'));
    const failed = await eventually(() => pods().get('default', 'fails'), (p) => p.status?.phase === 'Failed', 'Failed');
    assert.deepEqual([container(failed)?.state.terminated?.exitCode, container(failed)?.state.terminated?.reason], [7, 'Error']);
  });

  it('a long-running container is Running and Ready; a crashing one restarts, then backs off', async () => {
    await pods().create(pod('server', ['sleep', '60']));
    const running = await eventually(() => pods().get('default', 'server'), (p) => p.status?.phase === 'Running' && container(p)?.ready === true, 'Running and Ready');
    assert.ok(container(running)?.state.running);

    await pods().create(pod('crasher', ['sh', '-c', 'exit 3']));
    const looping = await eventually(() => pods().get('default', 'crasher'), (p) => container(p)?.state.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff');
    const status = container(looping)!;
    assert.equal(status.restartCount, 1, 'the first restart is immediate, the second crash backs off');
    assert.equal(status.lastState.terminated?.exitCode, 3);
    assert.match(status.state.waiting?.message ?? '', /^back-off 10s restarting failed container=main pod=crasher_default\(/);
    assert.equal(looping.status?.phase, 'Running');
  });

  it('a container without a command cannot run, and says why', async () => {
    await pods().create(pod('no-command', [], 'Never'));
    const failed = await eventually(() => pods().get('default', 'no-command'), (p) => p.status?.phase === 'Failed', 'Failed');
    assert.equal(container(failed)?.state.terminated?.reason, 'ContainerCannotRun');
  });

  it('builds the environment: values, $(VAR), pod fields, ConfigMap and Secret keys, envFrom; a missing ConfigMap waits', async () => {
    const configMaps = client.resource(resources.configMaps);
    await client.resource({ group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true }).create({ metadata: { name: 'creds', namespace: 'default' }, stringData: { password: 's3cret' } } as KubeObject);
    const envPod: Pod = {
      metadata: { name: 'env-check', namespace: 'default', labels: { tier: 'back' } },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', 'echo "$(GREETING) $NAME $POD $TIER $COLOR $PASSWORD $APP_mode"'],
            env: [
              { name: 'NAME', value: 'world' },
              { name: 'GREETING', value: 'hello $(NAME)' },
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
              { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } },
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
            ],
            envFrom: [{ prefix: 'APP_', configMapRef: { name: 'settings' } }],
          },
        ],
      },
    };
    await pods().create(envPod);
    const waiting = await eventually(() => pods().get('default', 'env-check'), (p) => container(p)?.state.waiting?.reason === 'CreateContainerConfigError', 'CreateContainerConfigError');
    assert.equal(container(waiting)?.state.waiting?.message, 'configmap "settings" not found');
    await configMaps.create({ metadata: { name: 'settings', namespace: 'default' }, data: { color: 'blue', mode: 'fast' } } as KubeObject);
    await eventually(() => pods().get('default', 'env-check'), (p) => p.status?.phase === 'Succeeded', 'ran once the ConfigMap exists', 20_000);
    const logs = await api.request('GET', '/api/v1/namespaces/default/pods/env-check/log');
    assert.equal(logs.body, 'hello world world env-check back blue s3cret fast\n');
  });

  it('a readiness probe holds Ready back until it passes; a failing liveness probe restarts the container', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const server = `setTimeout(() => require('http').createServer((q, s) => s.end('ok')).listen(${port}), 1500)`;
    await pods().create({
      metadata: { name: 'slow-start', namespace: 'default' },
      spec: { containers: [{ name: 'main', image: 'node', command: [process.execPath, '-e', server], readinessProbe: { httpGet: { path: '/', port }, periodSeconds: 1 } }] },
    });
    const notReady = await eventually(() => pods().get('default', 'slow-start'), (p) => p.status?.phase === 'Running', 'Running');
    assert.equal(container(notReady)?.ready, false, 'running but not ready before the probe passes');
    await eventually(() => pods().get('default', 'slow-start'), (p) => container(p)?.ready === true, 'ready once the probe passes');
    await pods().delete('default', 'slow-start');

    const marker = join(logDir, `alive-${Date.now()}`);
    await pods().create({
      metadata: { name: 'flaky', namespace: 'default' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', `touch ${marker}; sleep 1; rm -f ${marker}; sleep 60`], livenessProbe: { exec: { command: ['test', '-f', marker] }, periodSeconds: 1, failureThreshold: 1 } }],
      },
    });
    const restarted = await eventually(() => pods().get('default', 'flaky'), (p) => (container(p)?.restartCount ?? 0) >= 1, 'restarted after failing liveness', 20_000);
    assert.ok((container(restarted)?.lastState.terminated?.exitCode ?? 0) > 128, 'the old attempt was killed by a signal');
    await pods().delete('default', 'flaky');
  });

  it('init containers run in order before the app; a sidecar keeps running beside it and stops with the pod', async () => {
    await pods().create({
      metadata: { name: 'with-init', namespace: 'default' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [
          { name: 'setup', image: 'busybox', command: ['sh', '-c', 'echo setup done'] },
          { name: 'sidecar', image: 'busybox', restartPolicy: 'Always', command: ['sleep', '60'] },
        ],
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 0.5; echo main done'] }],
      },
    });
    const done = await eventually(() => pods().get('default', 'with-init'), (p) => p.status?.phase === 'Succeeded', 'Succeeded with a sidecar', 20_000);
    const inits = (done.status as { initContainerStatuses: (ContainerStatus & { name: string })[] }).initContainerStatuses;
    assert.equal(inits.find((c) => c.name === 'setup')?.state.terminated?.reason, 'Completed');
    assert.ok(inits.find((c) => c.name === 'sidecar')?.state.terminated, 'the sidecar was stopped once the app finished');
    const logs = await api.request('GET', '/api/v1/namespaces/default/pods/with-init/log?container=main');
    assert.equal(logs.body, 'main done\n');
  });

  it('postStart runs after the start; preStop runs before the stop', async () => {
    const started = join(logDir, `post-start-${Date.now()}`);
    const stopped = join(logDir, `pre-stop-${Date.now()}`);
    await pods().create({
      metadata: { name: 'hooked', namespace: 'default' },
      spec: {
        terminationGracePeriodSeconds: 5,
        containers: [{ name: 'main', image: 'busybox', command: ['sleep', '60'], lifecycle: { postStart: { exec: { command: ['touch', started] } }, preStop: { exec: { command: ['touch', stopped] } } } }],
      },
    });
    await eventually(() => pods().get('default', 'hooked'), (p) => p.status?.phase === 'Running', 'Running');
    assert.ok(existsSync(started), 'postStart ran');
    await pods().delete('default', 'hooked');
    await eventually(() => pods().find('default', 'hooked'), (p) => p === undefined, 'gone');
    assert.ok(existsSync(stopped), 'preStop ran');
  });

  it('deleting a pod stops its process (SIGTERM) and the pod goes', async () => {
    await pods().delete('default', 'server');
    await eventually(() => pods().find('default', 'server'), (p) => p === undefined, 'server gone');
  });
});
