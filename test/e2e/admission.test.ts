/**
 * Admission with kubectl 1.32: Pod Security (enforce, warn, a namespace made
 * stricter, the cluster-wide level of --pod-security).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';

describe('Pod Security admission', () => {
  let cluster: Cluster;
  const kubectl = (args: string[], input?: string) => cluster.kubectl(args, { allowFailure: true, input });

  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('restricted refuses a privileged pod in upstream words', async () => {
    await cluster.kubectl(['create', 'namespace', 'locked']);
    await cluster.kubectl(['label', 'namespace', 'locked', 'pod-security.kubernetes.io/enforce=restricted']);
    const refused = await kubectl(['run', 'priv', '--image=busybox', '--privileged', '-n', 'locked']);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr.trim(),
      'Error from server (Forbidden): pods "priv" is forbidden: violates PodSecurity "restricted:latest": privileged (container "priv" must not set securityContext.privileged=true), ' +
        'allowPrivilegeEscalation != false (container "priv" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "priv" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "priv" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "priv" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    // A pod that meets restricted is admitted.
    const compliant = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'fine', namespace: 'locked' },
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{ name: 'app', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      },
    };
    const admitted = await kubectl(['create', '-f', '-'], JSON.stringify(compliant));
    assert.equal(admitted.code, 0, admitted.stderr);
  });

  test('warn admits and tells; making a namespace stricter warns about its pods', async () => {
    await cluster.kubectl(['create', 'namespace', 'loose']);
    await cluster.kubectl(['label', 'namespace', 'loose', 'pod-security.kubernetes.io/warn=baseline']);
    const warned = await kubectl(['run', 'priv', '--image=busybox', '--privileged', '-n', 'loose']);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /^Warning: would violate PodSecurity "baseline:latest": privileged \(container "priv" must not set securityContext.privileged=true\)$/m);
    const stricter = await kubectl(['label', 'namespace', 'loose', 'pod-security.kubernetes.io/enforce=baseline']);
    assert.equal(stricter.code, 0, stricter.stderr);
    assert.match(stricter.stderr, /Warning: existing pods in namespace "loose" violate the new PodSecurity enforce level "baseline:latest"/);
    assert.match(stricter.stderr, /Warning: priv: privileged/);
  });

  test('a bad level label is refused', async () => {
    const bad = await kubectl(['label', 'namespace', 'loose', 'pod-security.kubernetes.io/audit=strictest']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /pod-security\.kubernetes\.io\/audit/);
  });
});

describe('a cluster-wide Pod Security level', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ args: ['--pod-security=baseline'] });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('namespaces without labels get --pod-security', async () => {
    const refused = await cluster.kubectl(['run', 'priv', '--image=busybox', '--privileged'], { allowFailure: true });
    assert.equal(refused.stderr.trim(), 'Error from server (Forbidden): pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "priv" must not set securityContext.privileged=true)');
    // A label still decides for its namespace.
    await cluster.kubectl(['create', 'namespace', 'open']);
    await cluster.kubectl(['label', 'namespace', 'open', 'pod-security.kubernetes.io/enforce=privileged']);
    assert.equal((await cluster.kubectl(['run', 'priv', '--image=busybox', '--privileged', '-n', 'open'], { allowFailure: true })).code, 0);
  });
});
