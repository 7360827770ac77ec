import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  attemptFromLogPath,
  containerStatusOf,
  criContainerConfig,
  criSandboxConfig,
  kubeletMaskedPaths,
  milliCPUToQuota,
  milliCPUToShares,
  podSandboxOf,
  sandboxRequestOf,
  splitLogPath,
} from './cri-config.js';
import type { CriContainerStatus } from './cri-types.js';

const pod = { uid: 'u-1', namespace: 'ns', name: 'web' };

describe('criSandboxConfig', () => {
  it('fills in what the kubelet does: metadata, hostname, log directory, DNS, labels, namespaces', () => {
    const config = criSandboxConfig({ ...pod, hostname: 'web-0', dns: { nameservers: ['10.43.0.10'], searches: ['ns.svc.cluster.local'], options: ['ndots:5'] } }, 2, {
      podLogsDir: '/var/log/pods',
      node: 'n1',
    });
    assert.deepEqual(config.metadata, { name: 'web', uid: 'u-1', namespace: 'ns', attempt: 2 });
    assert.equal(config.hostname, 'web-0');
    assert.equal(config.logDirectory, '/var/log/pods/ns_web_u-1');
    assert.deepEqual(config.dnsConfig, { servers: ['10.43.0.10'], searches: ['ns.svc.cluster.local'], options: ['ndots:5'] });
    assert.deepEqual(config.labels, { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'ns', 'io.kubernetes.pod.uid': 'u-1', 'skiff.dev/node': 'n1' });
    assert.deepEqual(config.linux?.securityContext, { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, privileged: false });
    assert.deepEqual(sandboxRequestOf(config.annotations ?? {}), { ...pod, hostname: 'web-0', dns: { nameservers: ['10.43.0.10'], searches: ['ns.svc.cluster.local'], options: ['ndots:5'] } });
  });

  it('puts a host-network pod in the node network namespace, with the node hostname', () => {
    const config = criSandboxConfig({ ...pod, hostNetwork: true, privileged: true }, 0, {});
    assert.equal(config.hostname, undefined);
    assert.equal(config.logDirectory, undefined);
    assert.equal(config.linux?.securityContext?.namespaceOptions?.network, 'NODE');
    assert.equal(config.linux?.securityContext?.privileged, true);
  });

  it('reads back no config from foreign or broken annotations', () => {
    assert.equal(sandboxRequestOf({}), undefined);
    assert.equal(sandboxRequestOf({ 'skiff.dev/pod-sandbox-config': '{' }), undefined);
    assert.equal(sandboxRequestOf({ 'skiff.dev/pod-sandbox-config': '{"uid":1}' }), undefined);
  });
});

describe('log paths', () => {
  it('makes the container log path relative to the sandbox log directory', () => {
    assert.deepEqual(splitLogPath('/var/log/pods/ns_web_u-1/app/0.log', '/var/log/pods/ns_web_u-1'), { logDirectory: '/var/log/pods/ns_web_u-1', logPath: 'app/0.log' });
    // Without a sandbox directory (or outside it): the kubelet layout's pod directory.
    assert.deepEqual(splitLogPath('/data/logs/pods/ns_web_u-1/app/3.log', undefined), { logDirectory: '/data/logs/pods/ns_web_u-1', logPath: 'app/3.log' });
    assert.deepEqual(splitLogPath('/elsewhere/x/app/1.log', '/var/log/pods/ns_web_u-1'), { logDirectory: '/elsewhere/x', logPath: 'app/1.log' });
    assert.throws(() => splitLogPath('app/0.log', undefined), /must be absolute/);
  });

  it('reads the attempt from the kubelet log file name', () => {
    assert.equal(attemptFromLogPath('/var/log/pods/ns_web_u/app/4.log'), 4);
    assert.equal(attemptFromLogPath('/var/log/app.log'), undefined);
    assert.equal(attemptFromLogPath(undefined), undefined);
  });
});

describe('criContainerConfig', () => {
  it('maps command, args, env, mounts, stdio, labels and the attempt', () => {
    const config = criContainerConfig(
      {
        name: 'app',
        image: 'busybox:1',
        command: ['sh', '-c'],
        args: ['echo hi'],
        env: { A: '1', B: 'two' },
        workingDir: '/work',
        mounts: [{ hostPath: '/var/lib/skiff/pods/u-1/volumes/data', containerPath: '/data', readOnly: true }],
        stdin: true,
        tty: true,
      },
      3,
      pod,
      'app/3.log',
      'n1',
    );
    assert.deepEqual(config.metadata, { name: 'app', attempt: 3 });
    assert.deepEqual(config.image, { image: 'busybox:1' });
    assert.deepEqual([config.command, config.args, config.workingDir], [['sh', '-c'], ['echo hi'], '/work']);
    assert.deepEqual(config.envs, [{ key: 'A', value: '1' }, { key: 'B', value: 'two' }]);
    assert.deepEqual(config.mounts, [{ containerPath: '/data', hostPath: '/var/lib/skiff/pods/u-1/volumes/data', readonly: true }]);
    assert.equal(config.logPath, 'app/3.log');
    assert.deepEqual([config.stdin, config.stdinOnce, config.tty], [true, false, true]);
    assert.equal(config.labels?.['io.kubernetes.container.name'], 'app');
    assert.equal(config.labels?.['io.kubernetes.pod.uid'], 'u-1');
    assert.equal(config.annotations?.['io.kubernetes.container.restartCount'], '3');
  });

  it('sets CFS quota and shares as the kubelet computes them, and the memory limit', () => {
    const config = criContainerConfig({ name: 'app', image: 'i', milliCPULimit: 500, milliCPURequest: 250, memoryLimit: 64 * 1024 * 1024 }, 0, pod, undefined, undefined);
    assert.deepEqual(config.linux?.resources, { cpuPeriod: 100_000, cpuQuota: 50_000, cpuShares: 256, memoryLimitInBytes: 64 * 1024 * 1024 });
    const none = criContainerConfig({ name: 'app', image: 'i' }, 0, pod, undefined, undefined);
    assert.deepEqual(none.linux?.resources, { cpuPeriod: 100_000, cpuShares: 2 });
    assert.equal(milliCPUToQuota(1), 1000);
    assert.equal(milliCPUToShares(1), 2);
    assert.equal(milliCPUToShares(2000), 2048);
  });

  it('carries the security context the kubelet synthesizes', () => {
    const config = criContainerConfig(
      {
        name: 'app',
        image: 'i',
        security: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000], readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, allowPrivilegeEscalation: false },
      },
      0,
      { ...pod, hostNetwork: true },
      undefined,
      undefined,
    );
    const security = config.linux?.securityContext;
    assert.deepEqual(security?.runAsUser, { value: 1000 });
    assert.deepEqual(security?.runAsGroup, { value: 3000 });
    assert.deepEqual(security?.supplementalGroups, [2000, 4000]);
    assert.equal(security?.readonlyRootfs, true);
    assert.equal(security?.noNewPrivs, true);
    assert.deepEqual(security?.capabilities, { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] });
    assert.deepEqual(security?.namespaceOptions, { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' });
    assert.deepEqual(security?.maskedPaths, kubeletMaskedPaths());
    assert.ok(security?.maskedPaths?.includes('/proc/interrupts'));
    assert.deepEqual(security?.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  });

  it('leaves paths unmasked for privileged containers and Unmasked procMount, and targets another container’s PID namespace', () => {
    const privileged = criContainerConfig({ name: 'a', image: 'i', security: { privileged: true } }, 0, pod, undefined, undefined).linux?.securityContext;
    assert.equal(privileged?.privileged, true);
    assert.equal(privileged?.maskedPaths, undefined);
    const unmasked = criContainerConfig({ name: 'a', image: 'i', security: { procMount: 'Unmasked' } }, 0, pod, undefined, undefined).linux?.securityContext;
    assert.deepEqual([unmasked?.maskedPaths, unmasked?.readonlyPaths], [[], []]);
    assert.equal(unmasked?.noNewPrivs, false);
    const debug = criContainerConfig({ name: 'debugger', image: 'i', pidNamespaceOf: 'c1' }, 0, pod, undefined, undefined).linux?.securityContext;
    assert.deepEqual(debug?.namespaceOptions, { network: 'POD', pid: 'TARGET', targetId: 'c1', ipc: 'POD' });
  });
});

describe('statuses back', () => {
  const base: CriContainerStatus = {
    id: 'c1',
    metadata: { name: 'app', attempt: 1 },
    state: 'CONTAINER_EXITED',
    createdAt: 1_700_000_000_000_000_000,
    startedAt: 1_700_000_001_000_000_000,
    finishedAt: 1_700_000_002_500_000_000,
    exitCode: 137,
    image: { image: 'docker.io/library/busybox:1' },
    imageRef: 'sha256:abc',
    reason: 'OOMKilled',
    message: '',
    labels: {},
    annotations: {},
    logPath: '/var/log/pods/ns_web_u/app/1.log',
  };

  it('maps state, times (from nanoseconds), exit code, reason and log path', () => {
    assert.deepEqual(containerStatusOf(base), {
      id: 'c1',
      name: 'app',
      image: 'docker.io/library/busybox:1',
      attempt: 1,
      state: 'exited',
      createdAt: new Date(1_700_000_000_000),
      startedAt: new Date(1_700_000_001_000),
      finishedAt: new Date(1_700_000_002_500),
      exitCode: 137,
      reason: 'OOMKilled',
      logPath: '/var/log/pods/ns_web_u/app/1.log',
    });
    const created = containerStatusOf({ ...base, state: 'CONTAINER_CREATED', startedAt: 0, finishedAt: 0, exitCode: 0, reason: '' });
    assert.deepEqual([created.state, created.startedAt, created.finishedAt, created.exitCode, created.reason], ['created', undefined, undefined, undefined, undefined]);
    assert.equal(containerStatusOf({ ...base, state: 'CONTAINER_UNKNOWN' }).state, 'unknown');
  });

  it('gives a host-network sandbox the node IP', () => {
    const annotations = criSandboxConfig({ ...pod, hostNetwork: true }, 0, {}).annotations ?? {};
    const status = { id: 's1', metadata: { ...pod, attempt: 0 }, state: 'SANDBOX_READY' as const, createdAt: 1e18, network: { ip: '', additionalIps: [] }, labels: {}, annotations, runtimeHandler: '' };
    assert.deepEqual(podSandboxOf(status, '192.168.1.5'), { id: 's1', podUid: 'u-1', ip: '192.168.1.5', createdAt: new Date(1e12), state: 'ready' });
    assert.equal(podSandboxOf({ ...status, state: 'SANDBOX_NOTREADY', network: { ip: '10.88.0.3', additionalIps: [] } }, '192.168.1.5').ip, '10.88.0.3');
  });
});
