/**
 * Each check, table-tested with the cases of upstream's policy/check_*_test.go
 * (and a few of test/fixtures_*.go): the reason and detail texts must match
 * upstream's byte for byte, since clients and users read them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baselineChecks } from './checks-baseline.js';
import { restrictedChecks } from './checks-restricted.js';
import type { CheckResult } from './checks.js';
import { majorMinorVersion, versionOlder } from './levels.js';
import type { Container, PodMetadata, PodSpec } from './pod-spec.js';

/** Runs check `id` as it applies at v1.`minor`. */
function run(id: string, minor: number, spec: PodSpec, metadata: PodMetadata = {}, relaxForUserNamespacePods = false): CheckResult {
  const check = [...baselineChecks, ...restrictedChecks].find((c) => c.id === id);
  assert.ok(check, `no check ${id}`);
  const version = majorMinorVersion(1, minor);
  const versioned = check.versions.filter((v) => !versionOlder(version, v.minimumVersion)).at(-1);
  assert.ok(versioned, `${id} does not apply at v1.${minor}`);
  return versioned.checkPod(metadata, spec, { relaxForUserNamespacePods });
}

interface Case {
  name: string;
  id: string;
  minor?: number;
  spec?: PodSpec;
  metadata?: PodMetadata;
  relax?: boolean;
  /** Absent: the pod is allowed. */
  reason?: string;
  detail?: string;
}

const sc = (name: string, securityContext: Container['securityContext']): Container => ({ name, securityContext });
const seccomp = (type: string) => ({ seccompProfile: { type } });

const cases: Case[] = [
  // allowPrivilegeEscalation
  {
    name: 'allowPrivilegeEscalation: several containers',
    id: 'allowPrivilegeEscalation',
    minor: 8,
    spec: { containers: [{ name: 'a' }, sc('b', {}), sc('c', { allowPrivilegeEscalation: true }), sc('d', { allowPrivilegeEscalation: false })] },
    reason: 'allowPrivilegeEscalation != false',
    detail: 'containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false',
  },
  { name: 'allowPrivilegeEscalation: a Windows pod is admitted from v1.25', id: 'allowPrivilegeEscalation', minor: 25, spec: { os: { name: 'windows' }, containers: [{ name: 'a' }] } },
  {
    name: 'allowPrivilegeEscalation: a Windows pod is judged before v1.25',
    id: 'allowPrivilegeEscalation',
    minor: 24,
    spec: { os: { name: 'windows' }, containers: [{ name: 'a' }] },
    reason: 'allowPrivilegeEscalation != false',
    detail: 'container "a" must set securityContext.allowPrivilegeEscalation=false',
  },
  {
    name: 'allowPrivilegeEscalation: a Linux pod without a security context',
    id: 'allowPrivilegeEscalation',
    minor: 25,
    spec: { os: { name: 'linux' }, containers: [{ name: 'a' }] },
    reason: 'allowPrivilegeEscalation != false',
    detail: 'container "a" must set securityContext.allowPrivilegeEscalation=false',
  },
  // AppArmor
  { name: 'appArmor: runtime/default and localhost annotations', id: 'appArmorProfile', metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/a': 'runtime/default', 'container.apparmor.security.beta.kubernetes.io/b': 'localhost/x', env: 'prod' } } },
  { name: 'appArmor: RuntimeDefault pod profile', id: 'appArmorProfile', spec: { securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } } },
  { name: 'appArmor: unconfined pod', id: 'appArmorProfile', spec: { securityContext: { appArmorProfile: { type: 'Unconfined' } } }, reason: 'forbidden AppArmor profile', detail: 'pod must not set AppArmor profile type to "Unconfined"' },
  {
    name: 'appArmor: unconfined init container',
    id: 'appArmorProfile',
    spec: { securityContext: { appArmorProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'foo' }], initContainers: [sc('bar', { appArmorProfile: { type: 'Unconfined' } })] },
    reason: 'forbidden AppArmor profile',
    detail: 'container "bar" must not set AppArmor profile type to "Unconfined"',
  },
  {
    name: 'appArmor: annotations',
    id: 'appArmorProfile',
    metadata: {
      annotations: {
        'container.apparmor.security.beta.kubernetes.io/': 'bogus',
        'container.apparmor.security.beta.kubernetes.io/a': '',
        'container.apparmor.security.beta.kubernetes.io/b': 'runtime/default',
        'container.apparmor.security.beta.kubernetes.io/c': 'localhost/',
        'container.apparmor.security.beta.kubernetes.io/d': 'localhost/foo',
        'container.apparmor.security.beta.kubernetes.io/e': 'unconfined',
        'container.apparmor.security.beta.kubernetes.io/f': 'unknown',
      },
    },
    reason: 'forbidden AppArmor profiles',
    detail:
      'annotations must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/="bogus"", "container.apparmor.security.beta.kubernetes.io/e="unconfined"", "container.apparmor.security.beta.kubernetes.io/f="unknown""',
  },
  // capabilities
  {
    name: 'capabilities_baseline: several containers',
    id: 'capabilities_baseline',
    spec: { containers: [sc('a', { capabilities: { add: ['FOO', 'BAR'] } }), sc('b', { capabilities: { add: ['BAR', 'BAZ'] } }), sc('c', { capabilities: { add: ['CHOWN', 'KILL'] } })] },
    reason: 'non-default capabilities',
    detail: 'containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add',
  },
  {
    name: 'capabilities_restricted: several containers',
    id: 'capabilities_restricted',
    minor: 22,
    spec: {
      containers: [
        sc('a', { capabilities: { add: ['FOO', 'BAR'] } }),
        sc('b', { capabilities: { add: ['BAR', 'BAZ'] } }),
        sc('c', { capabilities: { add: ['NET_BIND_SERVICE', 'CHOWN'], drop: ['ALL', 'FOO'] } }),
      ],
    },
    reason: 'unrestricted capabilities',
    detail: 'containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add',
  },
  { name: 'capabilities_restricted: Windows pod from v1.25', id: 'capabilities_restricted', minor: 25, spec: { os: { name: 'windows' }, containers: [{ name: 'a' }] } },
  { name: 'capabilities_restricted: drop ALL, add NET_BIND_SERVICE', id: 'capabilities_restricted', minor: 32, spec: { containers: [sc('a', { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } })] } },
  {
    name: 'capabilities_restricted: no security context',
    id: 'capabilities_restricted',
    minor: 25,
    spec: { os: { name: 'linux' }, containers: [{ name: 'a' }] },
    reason: 'unrestricted capabilities',
    detail: 'container "a" must set securityContext.capabilities.drop=["ALL"]',
  },
  // host namespaces, hostPath, hostPorts, privileged
  { name: 'hostNamespaces: all three', id: 'hostNamespaces', spec: { hostNetwork: true, hostIPC: true, hostPID: true }, reason: 'host namespaces', detail: 'hostNetwork=true, hostPID=true, hostIPC=true' },
  { name: 'hostNamespaces: false is allowed', id: 'hostNamespaces', spec: { hostNetwork: false, hostIPC: false, hostPID: false } },
  {
    name: 'hostPathVolumes',
    id: 'hostPathVolumes',
    spec: { volumes: [{ name: 'a', hostPath: { path: '/' } }, { name: 'b', hostPath: {} }, { name: 'c', emptyDir: {} }] },
    reason: 'hostPath volumes',
    detail: 'volumes "a", "b"',
  },
  { name: 'hostPorts: one container', id: 'hostPorts', spec: { containers: [{ name: 'a', ports: [{ hostPort: 0 }] }, { name: 'b', ports: [{ hostPort: 0 }, { hostPort: 20 }] }] }, reason: 'hostPort', detail: 'container "b" uses hostPort 20' },
  {
    name: 'hostPorts: several containers',
    id: 'hostPorts',
    spec: { containers: [{ name: 'a', ports: [{ hostPort: 0 }] }, { name: 'b', ports: [{ hostPort: 0 }, { hostPort: 10 }, { hostPort: 20 }] }, { name: 'c', ports: [{ hostPort: 0 }, { hostPort: 10 }, { hostPort: 30 }] }] },
    reason: 'hostPort',
    detail: 'containers "b", "c" use hostPorts 10, 20, 30',
  },
  {
    name: 'privileged',
    id: 'privileged',
    spec: { containers: [{ name: 'a' }, sc('b', {}), sc('c', { privileged: false }), sc('d', { privileged: true }), sc('e', { privileged: true })] },
    reason: 'privileged',
    detail: 'containers "d", "e" must not set securityContext.privileged=true',
  },
  {
    name: 'privileged: ephemeral containers are visited too',
    id: 'privileged',
    spec: { containers: [{ name: 'a' }], ephemeralContainers: [sc('debug', { privileged: true })] },
    reason: 'privileged',
    detail: 'container "debug" must not set securityContext.privileged=true',
  },
  // procMount
  {
    name: 'procMount',
    id: 'procMount',
    spec: { hostUsers: false, containers: [{ name: 'a' }, sc('b', {}), sc('c', { procMount: 'Default' }), sc('d', { procMount: 'Unmasked' }), sc('e', { procMount: 'other' })] },
    reason: 'procMount',
    detail: 'containers "d", "e" must not set securityContext.procMount to "Unmasked", "other"',
  },
  { name: 'procMount: relaxed for user namespaces', id: 'procMount', relax: true, spec: { hostUsers: false, containers: [sc('d', { procMount: 'Unmasked' })] } },
  // restricted volumes
  {
    name: 'restrictedVolumes',
    id: 'restrictedVolumes',
    spec: {
      volumes: [
        ...['emptyDir', 'secret', 'persistentVolumeClaim', 'downwardAPI', 'configMap', 'projected', 'csi', 'ephemeral'].map((source, i) => ({ name: `a${i + 1}`, [source]: {} })),
        ...[
          'hostPath',
          'gcePersistentDisk',
          'awsElasticBlockStore',
          'gitRepo',
          'nfs',
          'iscsi',
          'glusterfs',
          'rbd',
          'flexVolume',
          'cinder',
          'cephfs',
          'flocker',
          'fc',
          'azureFile',
          'vsphereVolume',
          'quobyte',
          'azureDisk',
          'photonPersistentDisk',
          'portworxVolume',
          'scaleIO',
          'storageos',
        ].map((source, i) => ({ name: `b${i + 1}`, [source]: {} })),
        { name: 'c1' },
      ],
    },
    reason: 'restricted volume types',
    detail:
      'volumes "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11", "b12", "b13", "b14", "b15", "b16", "b17", "b18", "b19", "b20", "b21", "c1" use restricted volume types ' +
      '"awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", ' +
      '"hostPath", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "unknown", "vsphereVolume"',
  },
  { name: 'restrictedVolumes: an image volume is unknown in v1.32', id: 'restrictedVolumes', spec: { volumes: [{ name: 'img', image: { reference: 'x' } }] }, reason: 'restricted volume types', detail: 'volume "img" uses restricted volume type "unknown"' },
  // runAsNonRoot
  { name: 'runAsNonRoot: not set', id: 'runAsNonRoot', spec: { containers: [{ name: 'a' }] }, reason: 'runAsNonRoot != true', detail: 'pod or container "a" must set securityContext.runAsNonRoot=true' },
  { name: 'runAsNonRoot: pod false', id: 'runAsNonRoot', spec: { securityContext: { runAsNonRoot: false }, containers: [{ name: 'a' }] }, reason: 'runAsNonRoot != true', detail: 'pod must not set securityContext.runAsNonRoot=false' },
  {
    name: 'runAsNonRoot: containers false',
    id: 'runAsNonRoot',
    spec: { securityContext: { runAsNonRoot: true }, containers: [{ name: 'a' }, sc('b', {}), sc('c', { runAsNonRoot: false }), sc('d', { runAsNonRoot: false }), sc('e', { runAsNonRoot: true })] },
    reason: 'runAsNonRoot != true',
    detail: 'containers "c", "d" must not set securityContext.runAsNonRoot=false',
  },
  {
    name: 'runAsNonRoot: pod unset, containers fall through',
    id: 'runAsNonRoot',
    spec: { containers: [{ name: 'a' }, sc('b', {}), sc('c', { runAsNonRoot: true })] },
    reason: 'runAsNonRoot != true',
    detail: 'pod or containers "a", "b" must set securityContext.runAsNonRoot=true',
  },
  { name: 'runAsNonRoot: relaxed with hostUsers=false', id: 'runAsNonRoot', relax: true, spec: { hostUsers: false, containers: [{ name: 'a' }] } },
  { name: 'runAsNonRoot: not relaxed with hostUsers=true', id: 'runAsNonRoot', relax: true, spec: { hostUsers: true, containers: [{ name: 'a' }] }, reason: 'runAsNonRoot != true', detail: 'pod or container "a" must set securityContext.runAsNonRoot=true' },
  // runAsUser
  { name: 'runAsUser: pod 0', id: 'runAsUser', minor: 23, spec: { securityContext: { runAsUser: 0 }, containers: [{ name: 'a' }] }, reason: 'runAsUser=0', detail: 'pod must not set runAsUser=0' },
  { name: 'runAsUser: pod non-zero', id: 'runAsUser', minor: 23, spec: { securityContext: { runAsUser: 1000 }, containers: [{ name: 'a' }] } },
  {
    name: 'runAsUser: containers 0',
    id: 'runAsUser',
    minor: 23,
    spec: { securityContext: { runAsUser: 1000 }, containers: [{ name: 'a' }, sc('b', {}), sc('c', { runAsUser: 0 }), sc('d', { runAsUser: 0 }), sc('e', { runAsUser: 1 })] },
    reason: 'runAsUser=0',
    detail: 'containers "c", "d" must not set runAsUser=0',
  },
  // SELinux
  {
    name: 'seLinuxOptions: pod and containers',
    id: 'seLinuxOptions',
    minor: 31,
    spec: {
      securityContext: { seLinuxOptions: { type: 'foo', user: 'bar', role: 'baz' } },
      containers: [
        sc('a', { seLinuxOptions: { type: 'container_t' } }),
        sc('b', { seLinuxOptions: { type: 'container_init_t' } }),
        sc('c', { seLinuxOptions: { type: 'container_kvm_t' } }),
        sc('d', { seLinuxOptions: { type: 'container_engine_t' } }),
        sc('e', { seLinuxOptions: { type: 'bar' } }),
        sc('f', { seLinuxOptions: { user: 'bar' } }),
        sc('g', { seLinuxOptions: { role: 'baz' } }),
      ],
    },
    reason: 'seLinuxOptions',
    detail: 'pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set',
  },
  {
    name: 'seLinuxOptions: container_engine_t is allowed only from v1.31',
    id: 'seLinuxOptions',
    minor: 30,
    spec: { containers: [sc('d', { seLinuxOptions: { type: 'container_engine_t' } })] },
    reason: 'seLinuxOptions',
    detail: 'container "d" set forbidden securityContext.seLinuxOptions: type "container_engine_t"',
  },
  { name: 'seLinuxOptions: bad user', id: 'seLinuxOptions', minor: 31, spec: { securityContext: { seLinuxOptions: { user: 'bad' } } }, reason: 'seLinuxOptions', detail: 'pod set forbidden securityContext.seLinuxOptions: user may not be set' },
  { name: 'seLinuxOptions: bad role', id: 'seLinuxOptions', minor: 31, spec: { securityContext: { seLinuxOptions: { role: 'bad' } } }, reason: 'seLinuxOptions', detail: 'pod set forbidden securityContext.seLinuxOptions: role may not be set' },
  // seccomp, baseline
  {
    name: 'seccompProfile_baseline v1.0: pod annotation',
    id: 'seccompProfile_baseline',
    minor: 0,
    metadata: { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } },
    reason: 'seccompProfile',
    detail: 'forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined"',
  },
  {
    name: 'seccompProfile_baseline v1.0: pod and container annotations',
    id: 'seccompProfile_baseline',
    minor: 0,
    metadata: {
      annotations: {
        'seccomp.security.alpha.kubernetes.io/pod': 'unconfined',
        'container.seccomp.security.alpha.kubernetes.io/a': 'unconfined',
        'container.seccomp.security.alpha.kubernetes.io/b': 'unknown',
      },
    },
    spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    reason: 'seccompProfile',
    detail:
      'forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="unconfined", container.seccomp.security.alpha.kubernetes.io/b="unknown", seccomp.security.alpha.kubernetes.io/pod="unconfined"',
  },
  { name: 'seccompProfile_baseline v1.19: annotations no longer count', id: 'seccompProfile_baseline', minor: 19, metadata: { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } } },
  {
    name: 'seccompProfile_baseline v1.19: pod and containers',
    id: 'seccompProfile_baseline',
    minor: 19,
    spec: {
      securityContext: seccomp('Unconfined'),
      containers: [{ name: 'a' }, sc('b', {}), sc('c', seccomp('Unconfined')), sc('d', seccomp('Unconfined')), sc('e', seccomp('RuntimeDefault')), sc('f', seccomp('Localhost'))],
    },
    reason: 'seccompProfile',
    detail: 'pod and containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"',
  },
  // seccomp, restricted
  {
    name: 'seccompProfile_restricted: not set',
    id: 'seccompProfile_restricted',
    minor: 25,
    spec: { containers: [{ name: 'a' }] },
    reason: 'seccompProfile',
    detail: 'pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
  },
  { name: 'seccompProfile_restricted: Windows pod', id: 'seccompProfile_restricted', minor: 25, spec: { os: { name: 'windows' }, containers: [{ name: 'a' }] } },
  {
    name: 'seccompProfile_restricted: containers invalid',
    id: 'seccompProfile_restricted',
    minor: 19,
    spec: {
      securityContext: seccomp('RuntimeDefault'),
      containers: [{ name: 'a' }, sc('b', {}), sc('c', seccomp('Unconfined')), sc('d', seccomp('Unconfined')), sc('e', seccomp('RuntimeDefault'))],
    },
    reason: 'seccompProfile',
    detail: 'containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"',
  },
  {
    name: 'seccompProfile_restricted: pod unset, containers fall through',
    id: 'seccompProfile_restricted',
    minor: 32,
    spec: { containers: [{ name: 'a' }, sc('b', {}), sc('d', seccomp('RuntimeDefault')), sc('e', seccomp('RuntimeDefault'))] },
    reason: 'seccompProfile',
    detail: 'pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
  },
  // sysctls
  { name: 'sysctls: forbidden', id: 'sysctls', minor: 32, spec: { securityContext: { sysctls: [{ name: 'a' }, { name: 'b' }] } }, reason: 'forbidden sysctls', detail: 'a, b' },
  { name: 'sysctls: ip_local_reserved_ports before v1.27', id: 'sysctls', minor: 26, spec: { securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_reserved_ports', value: '1024-4999' }] } }, reason: 'forbidden sysctls', detail: 'net.ipv4.ip_local_reserved_ports' },
  { name: 'sysctls: ip_local_reserved_ports from v1.27', id: 'sysctls', minor: 27, spec: { securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_reserved_ports', value: '1024-4999' }] } } },
  { name: 'sysctls: tcp_keepalive_time before v1.29', id: 'sysctls', minor: 28, spec: { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_keepalive_time', value: '7200' }] } }, reason: 'forbidden sysctls', detail: 'net.ipv4.tcp_keepalive_time' },
  { name: 'sysctls: tcp_keepalive_time from v1.29', id: 'sysctls', minor: 29, spec: { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_keepalive_time', value: '7200' }] } } },
  { name: 'sysctls: tcp_rmem before v1.32', id: 'sysctls', minor: 31, spec: { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem', value: '4096 87380 16777216' }] } }, reason: 'forbidden sysctls', detail: 'net.ipv4.tcp_rmem' },
  { name: 'sysctls: tcp_wmem from v1.32', id: 'sysctls', minor: 32, spec: { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_wmem', value: '4096 65536 16777216' }] } } },
  // Windows hostProcess
  {
    name: 'windowsHostProcess',
    id: 'windowsHostProcess',
    spec: {
      securityContext: { windowsOptions: { hostProcess: true } },
      containers: [{ name: 'a' }, sc('b', {}), sc('c', { windowsOptions: {} }), sc('d', { windowsOptions: { hostProcess: false } }), sc('e', { windowsOptions: { hostProcess: true } }), sc('f', { windowsOptions: { hostProcess: true } })],
    },
    reason: 'hostProcess',
    detail: 'pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true',
  },
];

describe('Pod Security checks (upstream policy/check_*_test.go)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = run(c.id, c.minor ?? 32, c.spec ?? {}, c.metadata ?? {}, c.relax ?? false);
      if (c.reason === undefined) {
        assert.equal(result.allowed, true, `expected allowed, got ${result.forbiddenReason} (${result.forbiddenDetail})`);
        return;
      }
      assert.equal(result.allowed, false);
      assert.equal(result.forbiddenReason, c.reason);
      assert.equal(result.forbiddenDetail, c.detail);
    });
  }

  it('tolerates nulls and odd shapes where Go would read zero values', () => {
    const odd = {
      securityContext: null,
      containers: [null, { name: 'a', securityContext: null, ports: null }, { name: 'b', securityContext: { capabilities: null, seccompProfile: null } }],
      initContainers: 'not a list',
      volumes: [null, { name: 'v', hostPath: null, emptyDir: {} }],
    } as unknown as PodSpec;
    for (const check of [...baselineChecks, ...restrictedChecks]) {
      for (const version of check.versions) assert.doesNotThrow(() => version.checkPod({ annotations: null }, odd, { relaxForUserNamespacePods: false }), check.id);
    }
    assert.equal(run('hostPathVolumes', 32, odd).allowed, true);
    assert.equal(run('allowPrivilegeEscalation', 32, odd).forbiddenDetail, 'containers "a", "b" must set securityContext.allowPrivilegeEscalation=false');
  });
});
