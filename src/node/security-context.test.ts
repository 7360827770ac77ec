import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveSecurity, podNeedsAppArmor, podSandboxSecurity } from './security-context.js';
import type { SecurityProfile } from './runtime/runtime.js';
import type { AgentContainer, AgentPod } from './types.js';

const podWith = (spec: Record<string, unknown>, annotations?: Record<string, string>): AgentPod =>
  ({ metadata: { name: 'p', namespace: 'default', uid: 'u', ...(annotations ? { annotations } : {}) }, spec: { containers: [{ name: 'app' }], ...spec } }) as AgentPod;
const containerWith = (securityContext: Record<string, unknown>): AgentContainer => ({ name: 'app', securityContext }) as AgentContainer;

describe('effectiveSecurity: seccomp and AppArmor profiles', () => {
  const runtimeDefault: SecurityProfile = { type: 'RuntimeDefault' };
  const unconfined: SecurityProfile = { type: 'Unconfined' };
  const localhost: SecurityProfile = { type: 'Localhost', localhostProfile: 'audit.json' };

  const seccompCases: { name: string; pod?: SecurityProfile; container?: SecurityProfile; expected?: SecurityProfile }[] = [
    { name: 'neither', expected: undefined },
    { name: 'the pod’s', pod: runtimeDefault, expected: runtimeDefault },
    { name: 'the container’s', container: localhost, expected: localhost },
    { name: 'the container’s over the pod’s', pod: runtimeDefault, container: unconfined, expected: unconfined },
  ];
  for (const { name, pod, container, expected } of seccompCases) {
    it(`seccompProfile: ${name}`, () => {
      const security = effectiveSecurity(podWith({ securityContext: pod ? { seccompProfile: pod } : {} }), containerWith(container ? { seccompProfile: container } : {}));
      assert.deepEqual(security.seccompProfile, expected);
    });
  }

  const annotation = 'container.apparmor.security.beta.kubernetes.io/app';
  const appArmorCases: { name: string; pod?: SecurityProfile; container?: SecurityProfile; annotations?: Record<string, string>; expected?: SecurityProfile }[] = [
    { name: 'none', expected: undefined },
    { name: 'the pod’s field', pod: runtimeDefault, expected: runtimeDefault },
    { name: 'the annotation runtime/default', annotations: { [annotation]: 'runtime/default' }, expected: runtimeDefault },
    { name: 'the annotation unconfined', annotations: { [annotation]: 'unconfined' }, expected: unconfined },
    { name: 'the annotation localhost/<profile>', annotations: { [annotation]: 'localhost/k8s-deny-write' }, expected: { type: 'Localhost', localhostProfile: 'k8s-deny-write' } },
    { name: 'the annotation over the pod’s field', pod: unconfined, annotations: { [annotation]: 'runtime/default' }, expected: runtimeDefault },
    { name: 'the container’s field over the annotation', container: unconfined, annotations: { [annotation]: 'runtime/default' }, expected: unconfined },
    { name: 'an invalid annotation: the pod’s field', pod: runtimeDefault, annotations: { [annotation]: 'bogus' }, expected: runtimeDefault },
    { name: 'another container’s annotation: none', annotations: { 'container.apparmor.security.beta.kubernetes.io/other': 'unconfined' }, expected: undefined },
  ];
  for (const { name, pod, container, annotations, expected } of appArmorCases) {
    it(`appArmorProfile: ${name}`, () => {
      const security = effectiveSecurity(podWith({ securityContext: pod ? { appArmorProfile: pod } : {} }, annotations), containerWith(container ? { appArmorProfile: container } : {}));
      assert.deepEqual(security.appArmorProfile, expected);
    });
  }
});

describe('podNeedsAppArmor (the kubelet\'s isRequired)', () => {
  const cases: { name: string; spec?: Record<string, unknown>; annotations?: Record<string, string>; needs: boolean }[] = [
    { name: 'no profile anywhere', needs: false },
    { name: 'the pod\'s RuntimeDefault', spec: { securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }, needs: true },
    { name: 'the pod\'s Unconfined', spec: { securityContext: { appArmorProfile: { type: 'Unconfined' } } }, needs: false },
    { name: 'a container\'s Localhost', spec: { containers: [{ name: 'app', securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-deny' } } }] }, needs: true },
    { name: 'an init container\'s RuntimeDefault', spec: { initContainers: [{ name: 'i', securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }] }, needs: true },
    { name: 'an ephemeral container\'s RuntimeDefault', spec: { ephemeralContainers: [{ name: 'd', securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }] }, needs: true },
    { name: 'the legacy annotation runtime/default', annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default' }, needs: true },
    { name: 'the legacy annotation unconfined', annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' }, needs: false },
    { name: 'another annotation', annotations: { 'example.com/apparmor': 'runtime/default' }, needs: false },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.needs ? 'needs' : 'does not need'} AppArmor`, () => assert.equal(podNeedsAppArmor(podWith(c.spec ?? {}, c.annotations)), c.needs));
  }
});

describe('podSandboxSecurity', () => {
  it('says nothing for a plain pod', () => {
    assert.deepEqual(podSandboxSecurity(podWith({})), {});
  });

  it("carries the pod's identity for the sandbox: runAsUser, runAsGroup, fsGroup then supplementalGroups, seLinuxOptions", () => {
    const pod = podWith({ securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000], seLinuxOptions: { type: 'spc_t' } } });
    assert.deepEqual(podSandboxSecurity(pod), { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [2000, 4000], seLinuxOptions: { type: 'spc_t' } });
  });

  it("gives a container the pod's seLinuxOptions unless it has its own", () => {
    assert.deepEqual(effectiveSecurity(podWith({ securityContext: { seLinuxOptions: { level: 's0:c1' } } }), containerWith({})).seLinuxOptions, { level: 's0:c1' });
    assert.deepEqual(effectiveSecurity(podWith({ securityContext: { seLinuxOptions: { level: 's0:c1' } } }), containerWith({ seLinuxOptions: { type: 'spc_t' } })).seLinuxOptions, { type: 'spc_t' });
  });

  it('carries the host namespaces, shareProcessNamespace and the sysctls', () => {
    const pod = podWith({ hostPID: true, hostIPC: true, shareProcessNamespace: true, securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }, { name: 'kernel.msgmax', value: '65536' }] } });
    assert.deepEqual(podSandboxSecurity(pod), { hostPID: true, hostIPC: true, shareProcessNamespace: true, sysctls: { 'net.core.somaxconn': '1024', 'kernel.msgmax': '65536' } });
  });

  it('is privileged when any container is: init, app or ephemeral', () => {
    const privileged = { name: 'x', securityContext: { privileged: true } };
    assert.equal(podSandboxSecurity(podWith({ initContainers: [privileged] })).privileged, true);
    assert.equal(podSandboxSecurity(podWith({ containers: [{ name: 'app' }, privileged] })).privileged, true);
    assert.equal(podSandboxSecurity(podWith({ ephemeralContainers: [privileged] })).privileged, true);
    assert.equal(podSandboxSecurity(podWith({ containers: [{ name: 'app', securityContext: { privileged: false } }] })).privileged, undefined);
  });
});
