import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controllerrevisions, daemonsets, deployments, replicasets, statefulsets, type DaemonSet, type Deployment, type StatefulSet } from './index.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };
function deployment(spec: Record<string, unknown> = {}): Deployment {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template: structuredClone(template), ...spec } };
}
const fields = (errs: { field: string }[]) => errs.map((e) => e.field);

describe('apps/v1 defaults', () => {
  it('gives a Deployment upstream defaults', () => {
    const obj = deployment();
    deployments.defaults!(obj);
    assert.equal(obj.spec!.replicas, 1);
    assert.deepEqual(obj.spec!.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(obj.spec!.revisionHistoryLimit, 10);
    assert.equal(obj.spec!.progressDeadlineSeconds, 600);
    const pod = obj.spec!.template!.spec as Record<string, unknown>;
    assert.equal(pod.restartPolicy, 'Always');
    assert.equal(pod.dnsPolicy, 'ClusterFirst');
  });
  it('gives StatefulSets and DaemonSets theirs', () => {
    const sts: StatefulSet = { metadata: { name: 'db' }, spec: { selector: { matchLabels: { app: 'web' } }, template: structuredClone(template) } };
    statefulsets.defaults!(sts);
    assert.equal(sts.spec!.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(sts.spec!.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(sts.spec!.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    const ds: DaemonSet = { metadata: { name: 'agent' }, spec: { template: structuredClone(template) } };
    daemonsets.defaults!(ds);
    assert.deepEqual(ds.spec!.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  });
});

describe('apps/v1 validation', () => {
  it('accepts a defaulted Deployment', () => {
    const obj = deployment();
    deployments.defaults!(obj);
    assert.deepEqual(deployments.validate!(obj, { operation: 'create' }), []);
  });
  it('requires a selector that matches the template labels', () => {
    const obj = deployment({ selector: { matchLabels: { app: 'other' } } });
    deployments.defaults!(obj);
    const errs = deployments.validate!(obj, { operation: 'create' });
    assert.deepEqual(fields(errs), ['spec.template.metadata.labels']);
    assert.match(errs[0].detail!, /`selector` does not match template `labels`/);
    const missing = deployment({ selector: undefined });
    deployments.defaults!(missing);
    assert.ok(fields(deployments.validate!(missing, { operation: 'create' })).includes('spec.selector'));
  });
  it('rejects negative replicas, bad rolling update values and non-Always restart policies', () => {
    const obj = deployment({ replicas: -1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } });
    (obj.spec!.template!.spec as Record<string, unknown>).restartPolicy = 'Never';
    deployments.defaults!(obj);
    assert.deepEqual(fields(deployments.validate!(obj, { operation: 'create' })).sort(), [
      'spec.replicas',
      'spec.strategy.rollingUpdate.maxUnavailable',
      'spec.template.spec.restartPolicy',
    ]);
    const percent = deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots', maxUnavailable: '150%' } } });
    deployments.defaults!(percent);
    assert.deepEqual(fields(deployments.validate!(percent, { operation: 'create' })).sort(), [
      'spec.strategy.rollingUpdate.maxSurge',
      'spec.strategy.rollingUpdate.maxUnavailable',
    ]);
  });
  it('keeps selectors immutable', () => {
    const old = deployment();
    const changed = deployment({ selector: { matchLabels: { app: 'web', tier: 'x' } } });
    const errs = deployments.validateUpdate!(changed, old);
    assert.deepEqual(fields(errs), ['spec.selector']);
    assert.equal(errs[0].detail, 'field is immutable');
  });
  it('forbids StatefulSet spec changes beyond the mutable fields', () => {
    const old: StatefulSet = { metadata: { name: 'db' }, spec: { serviceName: 'db', replicas: 1, selector: { matchLabels: { app: 'web' } }, template } };
    assert.deepEqual(statefulsets.validateUpdate!({ ...old, spec: { ...old.spec, replicas: 3 } }, old), []);
    const errs = statefulsets.validateUpdate!({ ...old, spec: { ...old.spec, serviceName: 'other' } }, old);
    assert.match(errs[0].detail!, /^updates to statefulset spec for fields other than 'replicas'/);
  });
  it('lets a StatefulSet container mount a volumeClaimTemplate by name (issue 11)', () => {
    const withMount = (mount: string, claims: string[]): StatefulSet => ({
      metadata: { name: 'db', namespace: 'default' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'db', image: 'postgres', volumeMounts: [{ name: mount, mountPath: '/data' }] } as { name: string }] } },
        volumeClaimTemplates: claims.map((name) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } })),
      },
    });
    const cases: { name: string; mount: string; claims: string[]; errors: string[] }[] = [
      { name: 'a mount naming a claim template', mount: 'data', claims: ['data'], errors: [] },
      { name: 'a mount naming one of several templates', mount: 'logs', claims: ['data', 'logs'], errors: [] },
      { name: 'a mount naming nothing', mount: 'data', claims: [], errors: ['spec.template.spec.containers[0].volumeMounts[0].name'] },
      { name: 'a mount naming another template', mount: 'cache', claims: ['data'], errors: ['spec.template.spec.containers[0].volumeMounts[0].name'] },
    ];
    for (const c of cases) {
      const obj = withMount(c.mount, c.claims);
      statefulsets.defaults!(obj);
      assert.deepEqual(fields(statefulsets.validate!(obj, { operation: 'create' })), c.errors, c.name);
    }
    // A Deployment has no claim templates: the same mount is still unknown there.
    const dep = deployment();
    (dep.spec!.template!.spec!.containers![0] as Record<string, unknown>).volumeMounts = [{ name: 'data', mountPath: '/data' }];
    deployments.defaults!(dep);
    assert.deepEqual(fields(deployments.validate!(dep, { operation: 'create' })), ['spec.template.spec.containers[0].volumeMounts[0].name']);
  });
  it('validates the claim retention policy and forbids activeDeadlineSeconds in a StatefulSet', () => {
    const obj: StatefulSet = {
      metadata: { name: 'db', namespace: 'default' },
      spec: { serviceName: 'db', selector: { matchLabels: { app: 'web' } }, template: structuredClone(template), persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Keep' } },
    };
    (obj.spec!.template!.spec as Record<string, unknown>).activeDeadlineSeconds = 30;
    statefulsets.defaults!(obj);
    const errs = statefulsets.validate!(obj, { operation: 'create' });
    assert.deepEqual(fields(errs).sort(), ['spec.persistentVolumeClaimRetentionPolicy.whenScaled', 'spec.template.spec.activeDeadlineSeconds']);
    assert.equal(errs.find((e) => e.field.endsWith('whenScaled'))!.type, 'FieldValueNotSupported');
  });
  it('keeps ControllerRevision data immutable', () => {
    const old = { metadata: { name: 'r', namespace: 'default' }, revision: 1, data: { a: 1 } };
    assert.deepEqual(fields(controllerrevisions.validateUpdate!({ ...old, data: { a: 2 } }, old)), ['data']);
  });
});

describe('apps/v1 tables', () => {
  const now = new Date('2024-01-01T00:10:00Z');
  it('prints deployments like kubectl', () => {
    const obj = deployment({ replicas: 3 });
    obj.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
    obj.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
    assert.deepEqual(deployments.table!.cells(obj, now), ['web', '2/3', 3, 2, '10m', 'web', 'nginx', 'app=web']);
    assert.deepEqual(deployments.table!.columns.map((c) => c.name), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
  });
  it('prints replica sets', () => {
    const rs = { metadata: { name: 'web-1', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template }, status: { replicas: 2, readyReplicas: 1 } };
    assert.deepEqual(replicasets.table!.cells(rs, now).slice(0, 5), ['web-1', 2, 2, 1, '10m']);
  });
});
