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
import type { CriContainerStatus, CriSecurityProfile, NamespaceOption } from './cri-types.js';
import type { ContainerSecurityConfig, PodSandboxConfig } from '../runtime.js';

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
    // The sandbox (pause) always runs under the runtime's default seccomp profile, as the kubelet's.
    assert.deepEqual(config.linux?.securityContext, { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, privileged: false, seccomp: { profileType: 'RuntimeDefault' } });
    assert.equal(config.linux?.sysctls, undefined);
    assert.deepEqual(sandboxRequestOf(config.annotations ?? {}), { ...pod, hostname: 'web-0', dns: { nameservers: ['10.43.0.10'], searches: ['ns.svc.cluster.local'], options: ['ndots:5'] } });
  });

  it('puts a host-network pod in the node network namespace, with the node hostname', () => {
    const config = criSandboxConfig({ ...pod, hostNetwork: true, privileged: true }, 0, {});
    assert.equal(config.hostname, undefined);
    assert.equal(config.logDirectory, undefined);
    assert.equal(config.linux?.securityContext?.namespaceOptions?.network, 'NODE');
    assert.equal(config.linux?.securityContext?.privileged, true);
  });

  // Pod spec field → the sandbox's LinuxPodSandboxConfig.
  const sandboxCases: { field: string; request: Partial<PodSandboxConfig>; namespaces?: NamespaceOption; privileged?: boolean; sysctls?: Record<string, string>; identity?: Record<string, unknown> }[] = [
    { field: 'nothing', request: {}, namespaces: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
    { field: 'hostNetwork', request: { hostNetwork: true }, namespaces: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
    { field: 'hostPID', request: { hostPID: true }, namespaces: { network: 'POD', pid: 'NODE', ipc: 'POD' } },
    { field: 'shareProcessNamespace', request: { shareProcessNamespace: true }, namespaces: { network: 'POD', pid: 'POD', ipc: 'POD' } },
    { field: 'hostPID wins over shareProcessNamespace', request: { hostPID: true, shareProcessNamespace: true }, namespaces: { network: 'POD', pid: 'NODE', ipc: 'POD' } },
    { field: 'hostIPC', request: { hostIPC: true }, namespaces: { network: 'POD', pid: 'CONTAINER', ipc: 'NODE' } },
    { field: 'a privileged container', request: { privileged: true }, privileged: true },
    { field: 'securityContext.sysctls', request: { sysctls: { 'net.ipv4.ip_local_port_range': '1024 65000', 'kernel.shm_rmid_forced': '1' } }, sysctls: { 'net.ipv4.ip_local_port_range': '1024 65000', 'kernel.shm_rmid_forced': '1' } },
    {
      field: 'runAsUser, runAsGroup, fsGroup + supplementalGroups, seLinuxOptions',
      request: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [2000, 4000], seLinuxOptions: { level: 's0:c123,c456' } },
      identity: { runAsUser: { value: 1000 }, runAsGroup: { value: 3000 }, supplementalGroups: [2000, 4000], selinuxOptions: { level: 's0:c123,c456' } },
    },
    // The CRI has runtimes refuse a group without a user: the sandbox keeps the image's user and group then.
    { field: 'runAsGroup without runAsUser', request: { runAsGroup: 3000 }, identity: {} },
  ];
  for (const { field, request, namespaces, privileged, sysctls, identity } of sandboxCases) {
    it(`maps ${field} to the sandbox config`, () => {
      const linux = criSandboxConfig({ ...pod, ...request }, 0, {}).linux;
      if (namespaces) assert.deepEqual(linux?.securityContext?.namespaceOptions, namespaces);
      assert.equal(linux?.securityContext?.privileged, privileged ?? false);
      assert.deepEqual(linux?.sysctls, sysctls);
      assert.deepEqual(linux?.securityContext?.seccomp, { profileType: 'RuntimeDefault' });
      if (identity) {
        const { runAsUser, runAsGroup, supplementalGroups, selinuxOptions } = linux?.securityContext ?? {};
        assert.deepEqual(JSON.parse(JSON.stringify({ runAsUser, runAsGroup, supplementalGroups, selinuxOptions })), identity);
      }
      // What the sandbox was made from comes back with it (CreateContainer after an agent restart).
      assert.deepEqual(sandboxRequestOf(criSandboxConfig({ ...pod, ...request }, 0, {}).annotations ?? {}), { ...pod, ...request });
    });
  }

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
      { logPath: 'app/3.log', node: 'n1' },
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

  it('sets CFS quota and shares as the kubelet computes them, the memory limit and the oom_score_adj', () => {
    const config = criContainerConfig({ name: 'app', image: 'i', milliCPULimit: 500, milliCPURequest: 250, memoryLimit: 64 * 1024 * 1024, oomScoreAdj: -997 }, 0, pod);
    assert.deepEqual(config.linux?.resources, { cpuPeriod: 100_000, cpuQuota: 50_000, cpuShares: 256, memoryLimitInBytes: 64 * 1024 * 1024, oomScoreAdj: -997 });
    const none = criContainerConfig({ name: 'app', image: 'i' }, 0, pod);
    assert.deepEqual(none.linux?.resources, { cpuPeriod: 100_000, cpuShares: 2 });
    // Shares as the kubelet's: from the request (even 0), else from the limit, else the least.
    const shares = (resources: { milliCPURequest?: number; milliCPULimit?: number }) => criContainerConfig({ name: 'app', image: 'i', ...resources }, 0, pod).linux?.resources?.cpuShares;
    assert.deepEqual(
      [shares({ milliCPURequest: 250 }), shares({ milliCPULimit: 500 }), shares({ milliCPURequest: 0, milliCPULimit: 500 }), shares({ milliCPURequest: 100, milliCPULimit: 2000 })],
      [256, 512, 2, 102],
    );
    assert.equal(milliCPUToQuota(1), 1000);
    assert.equal(milliCPUToShares(1), 2);
    assert.equal(milliCPUToShares(2000), 2048);
  });

  it('carries the security context the kubelet synthesizes', () => {
    const config = criContainerConfig(
      {
        name: 'app',
        image: 'i',
        security: {
          runAsUser: 1000,
          runAsGroup: 3000,
          fsGroup: 2000,
          supplementalGroups: [4000],
          readOnlyRootFilesystem: true,
          capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
          allowPrivilegeEscalation: false,
          seLinuxOptions: { user: 'system_u', role: 'system_r', type: 'container_t', level: 's0:c1,c2' },
        },
      },
      0,
      { ...pod, hostNetwork: true },
    );
    const security = config.linux?.securityContext;
    assert.deepEqual(security?.runAsUser, { value: 1000 });
    assert.deepEqual(security?.runAsGroup, { value: 3000 });
    assert.deepEqual(security?.supplementalGroups, [2000, 4000]);
    assert.deepEqual(security?.selinuxOptions, { user: 'system_u', role: 'system_r', type: 'container_t', level: 's0:c1,c2' });
    assert.equal(security?.readonlyRootfs, true);
    assert.equal(security?.noNewPrivs, true);
    assert.deepEqual(security?.capabilities, { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] });
    assert.deepEqual(security?.namespaceOptions, { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' });
    assert.deepEqual(security?.maskedPaths, kubeletMaskedPaths());
    assert.ok(security?.maskedPaths?.includes('/proc/interrupts'));
    assert.deepEqual(security?.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  });

  it('leaves paths unmasked for privileged containers and Unmasked procMount, and targets another container’s PID namespace', () => {
    const privileged = criContainerConfig({ name: 'a', image: 'i', security: { privileged: true } }, 0, pod).linux?.securityContext;
    assert.equal(privileged?.privileged, true);
    assert.equal(privileged?.maskedPaths, undefined);
    const unmasked = criContainerConfig({ name: 'a', image: 'i', security: { procMount: 'Unmasked' } }, 0, pod).linux?.securityContext;
    assert.deepEqual([unmasked?.maskedPaths, unmasked?.readonlyPaths], [[], []]);
    assert.equal(unmasked?.noNewPrivs, false);
    const debug = criContainerConfig({ name: 'debugger', image: 'i', pidNamespaceOf: 'c1' }, 0, pod).linux?.securityContext;
    assert.deepEqual(debug?.namespaceOptions, { network: 'POD', pid: 'TARGET', targetId: 'c1', ipc: 'POD' });
  });
});

describe('criContainerConfig: the pod’s namespaces', () => {
  // Pod spec field (and an ephemeral container's target) → LinuxContainerSecurityContext.namespace_options.
  const cases: { field: string; sandbox: Partial<PodSandboxConfig>; target?: string; expected: NamespaceOption }[] = [
    { field: 'nothing', sandbox: {}, expected: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
    { field: 'hostPID', sandbox: { hostPID: true }, expected: { network: 'POD', pid: 'NODE', ipc: 'POD' } },
    { field: 'shareProcessNamespace', sandbox: { shareProcessNamespace: true }, expected: { network: 'POD', pid: 'POD', ipc: 'POD' } },
    { field: 'hostIPC', sandbox: { hostIPC: true }, expected: { network: 'POD', pid: 'CONTAINER', ipc: 'NODE' } },
    { field: 'hostNetwork', sandbox: { hostNetwork: true }, expected: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
    { field: 'targetContainerName', sandbox: {}, target: 'c1', expected: { network: 'POD', pid: 'TARGET', targetId: 'c1', ipc: 'POD' } },
    // The kubelet targets only a container that would have its own PIDs: a shared namespace is shared by the debugger too.
    { field: 'targetContainerName with shareProcessNamespace', sandbox: { shareProcessNamespace: true }, target: 'c1', expected: { network: 'POD', pid: 'POD', ipc: 'POD' } },
    { field: 'targetContainerName with hostPID', sandbox: { hostPID: true }, target: 'c1', expected: { network: 'POD', pid: 'NODE', ipc: 'POD' } },
  ];
  for (const { field, sandbox, target, expected } of cases) {
    it(`maps ${field}`, () => {
      const config = criContainerConfig({ name: 'c', image: 'i', ...(target ? { pidNamespaceOf: target } : {}) }, 0, { ...pod, ...sandbox });
      assert.deepEqual(config.linux?.securityContext?.namespaceOptions, expected);
    });
  }
});

describe('criContainerConfig: seccomp and AppArmor', () => {
  const root = '/var/lib/skiff/agent/seccomp';
  // securityContext.seccompProfile (the container's, else the pod's: effectiveSecurity) → LinuxContainerSecurityContext.seccomp.
  const seccompCases: { field: string; security: ContainerSecurityConfig; seccompDefault?: boolean; expected: CriSecurityProfile }[] = [
    { field: 'no profile', security: {}, expected: { profileType: 'Unconfined' } },
    { field: 'no profile with seccompDefault', security: {}, seccompDefault: true, expected: { profileType: 'RuntimeDefault' } },
    { field: 'RuntimeDefault', security: { seccompProfile: { type: 'RuntimeDefault' } }, expected: { profileType: 'RuntimeDefault' } },
    { field: 'Unconfined', security: { seccompProfile: { type: 'Unconfined' } }, seccompDefault: true, expected: { profileType: 'Unconfined' } },
    { field: 'Localhost', security: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } }, expected: { profileType: 'Localhost', localhostRef: `${root}/profiles/audit.json` } },
    // The kubelet sends it for a privileged container too; containerd applies none to it.
    { field: 'RuntimeDefault, privileged', security: { privileged: true, seccompProfile: { type: 'RuntimeDefault' } }, expected: { profileType: 'RuntimeDefault' } },
  ];
  for (const { field, security, seccompDefault, expected } of seccompCases) {
    it(`maps seccompProfile ${field}`, () => {
      const config = criContainerConfig({ name: 'c', image: 'i', security }, 0, pod, { seccompProfileRoot: root, ...(seccompDefault ? { seccompDefault } : {}) });
      assert.deepEqual(config.linux?.securityContext?.seccomp, expected);
    });
  }

  it('refuses a Localhost seccomp profile it cannot place', () => {
    const localhost = { seccompProfile: { type: 'Localhost' as const, localhostProfile: 'audit.json' } };
    assert.throws(() => criContainerConfig({ name: 'c', image: 'i', security: localhost }, 0, pod), /seccomp profile "audit\.json": this node has no seccomp profile root/);
    assert.throws(() => criContainerConfig({ name: 'c', image: 'i', security: { seccompProfile: { type: 'Localhost' } } }, 0, pod, { seccompProfileRoot: root }), /localhostProfile must be set/);
  });

  // securityContext.appArmorProfile (or the legacy annotation: effectiveSecurity) → LinuxContainerSecurityContext.apparmor and apparmor_profile.
  const appArmorCases: { field: string; security: ContainerSecurityConfig; apparmor?: CriSecurityProfile; apparmorProfile?: string }[] = [
    { field: 'no profile', security: {} },
    { field: 'RuntimeDefault', security: { appArmorProfile: { type: 'RuntimeDefault' } }, apparmor: { profileType: 'RuntimeDefault' }, apparmorProfile: 'runtime/default' },
    { field: 'Unconfined', security: { appArmorProfile: { type: 'Unconfined' } }, apparmor: { profileType: 'Unconfined' }, apparmorProfile: 'unconfined' },
    { field: 'Localhost', security: { appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-deny-write' } }, apparmor: { profileType: 'Localhost', localhostRef: 'k8s-deny-write' }, apparmorProfile: 'localhost/k8s-deny-write' },
  ];
  for (const { field, security, apparmor, apparmorProfile } of appArmorCases) {
    it(`maps appArmorProfile ${field}`, () => {
      const context = criContainerConfig({ name: 'c', image: 'i', security }, 0, pod).linux?.securityContext;
      assert.deepEqual([context?.apparmor, context?.apparmorProfile], [apparmor, apparmorProfile]);
    });
  }
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
