import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StatefulSet } from '../../api/apps/index.js';
import type { OwnerReference } from '../../machinery/object.js';
import type { Pod } from '../util/pods.js';
import { claimName, claimOwnerReferences, isClaimStale, newClaim, podVolumes } from './claims.js';

const dataTemplate = {
  metadata: { name: 'data', labels: { tier: 'storage', app: 'overridden' }, annotations: { note: 'kept' } },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  status: { phase: 'Bound' },
};

function set(policy?: { whenDeleted?: string; whenScaled?: string }): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'prod', uid: 'set-uid' },
    spec: {
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'main', image: 'postgres' }] } },
      volumeClaimTemplates: [dataTemplate, { metadata: { name: 'logs' }, spec: {} }],
      ...(policy ? { persistentVolumeClaimRetentionPolicy: policy } : {}),
    },
  };
}
const pod: Pod = { metadata: { name: 'db-2', namespace: 'prod', uid: 'pod-uid' } } as Pod;
const setRef: OwnerReference = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'set-uid', controller: true, blockOwnerDeletion: true };
const podRef: OwnerReference = { apiVersion: 'v1', kind: 'Pod', name: 'db-2', uid: 'pod-uid', controller: true, blockOwnerDeletion: true };

describe('StatefulSet claims', () => {
  it('names a claim <template>-<set>-<ordinal>', () => {
    assert.equal(claimName(dataTemplate, 'db-0'), 'data-db-0');
    assert.equal(claimName({ metadata: { name: 'www' } }, 'web-12'), 'www-web-12');
  });

  it('builds a claim from its template: spec kept, status dropped, selector labels win', () => {
    const claim = newClaim(set(), dataTemplate, 'db-1');
    assert.deepEqual(claim, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data-db-1', namespace: 'prod', labels: { tier: 'storage', app: 'db' }, annotations: { note: 'kept' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    assert.deepEqual(newClaim(set(), { metadata: { name: 'logs' }, spec: {} }, 'db-1').metadata, { name: 'logs-db-1', namespace: 'prod', labels: { app: 'db' } });
  });

  it('gives each pod a volume per claim template, replacing template volumes of the same name', () => {
    const templateVolumes = [{ name: 'data', emptyDir: {} }, { name: 'config', configMap: { name: 'db' } }];
    assert.deepEqual(podVolumes(set(), 'db-0', templateVolumes), [
      { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } },
      { name: 'logs', persistentVolumeClaim: { claimName: 'logs-db-0' } },
      { name: 'config', configMap: { name: 'db' } },
    ]);
    const noClaims = set();
    delete noClaims.spec!.volumeClaimTemplates;
    assert.deepEqual(podVolumes(noClaims, 'db-0', templateVolumes), templateVolumes);
  });

  it('sets owner references by the retention policy', () => {
    const cases: { name: string; policy?: { whenDeleted?: string; whenScaled?: string }; scaledDown: boolean; refs?: OwnerReference[]; want: OwnerReference[] | undefined }[] = [
      { name: 'default Retain/Retain: no owner', scaledDown: true, want: undefined },
      { name: 'Retain/Retain removes our old references', policy: { whenDeleted: 'Retain', whenScaled: 'Retain' }, scaledDown: false, refs: [setRef], want: [] },
      { name: 'whenDeleted Delete: owned by the set', policy: { whenDeleted: 'Delete', whenScaled: 'Retain' }, scaledDown: false, want: [setRef] },
      { name: 'whenDeleted Delete, scaled down: still the set', policy: { whenDeleted: 'Delete', whenScaled: 'Retain' }, scaledDown: true, want: [setRef] },
      { name: 'whenScaled Delete, in range: no owner', policy: { whenDeleted: 'Retain', whenScaled: 'Delete' }, scaledDown: false, want: undefined },
      { name: 'whenScaled Delete, scaled down: owned by the pod', policy: { whenDeleted: 'Retain', whenScaled: 'Delete' }, scaledDown: true, want: [podRef] },
      { name: 'both Delete, in range: the set', policy: { whenDeleted: 'Delete', whenScaled: 'Delete' }, scaledDown: false, want: [setRef] },
      { name: 'both Delete, scaled down: the pod instead of the set', policy: { whenDeleted: 'Delete', whenScaled: 'Delete' }, scaledDown: true, refs: [setRef], want: [podRef] },
      { name: 'already right: nothing to do', policy: { whenDeleted: 'Delete', whenScaled: 'Retain' }, scaledDown: false, refs: [setRef], want: undefined },
      {
        name: 'other owners are kept',
        policy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
        scaledDown: false,
        refs: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'cm' }],
        want: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'cm' }, setRef],
      },
      {
        name: 'another controller: ours go, none added',
        policy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
        scaledDown: true,
        refs: [{ apiVersion: 'v1', kind: 'Other', name: 'x', uid: 'other', controller: true }, setRef],
        want: [{ apiVersion: 'v1', kind: 'Other', name: 'x', uid: 'other', controller: true }],
      },
      { name: 'a stale set of the same name: left alone', policy: { whenDeleted: 'Retain', whenScaled: 'Retain' }, scaledDown: false, refs: [{ ...setRef, uid: 'old-set' }], want: undefined },
    ];
    for (const c of cases) {
      const claim = { metadata: { name: 'data-db-2', ...(c.refs ? { ownerReferences: c.refs } : {}) } };
      assert.deepEqual(claimOwnerReferences(claim, set(c.policy), pod, c.scaledDown), c.want, c.name);
    }
  });

  it('holds a new pod back while its claim is stale', () => {
    const claim = (meta: Record<string, unknown>) => ({ metadata: { name: 'data-db-2', ...meta } });
    const cases: { name: string; policy?: { whenScaled?: string }; meta: Record<string, unknown>; stale: boolean }[] = [
      { name: 'a plain claim', meta: {}, stale: false },
      { name: 'a claim being deleted', meta: { deletionTimestamp: '2024-01-01T00:00:00Z' }, stale: true },
      { name: 'owned by an earlier db-2, whenScaled Delete', policy: { whenScaled: 'Delete' }, meta: { ownerReferences: [podRef] }, stale: true },
      { name: 'owned by an earlier db-2, but Retain', meta: { ownerReferences: [podRef] }, stale: false },
      { name: 'owned by the set only', policy: { whenScaled: 'Delete' }, meta: { ownerReferences: [setRef] }, stale: false },
    ];
    for (const c of cases) assert.equal(isClaimStale(claim(c.meta), set(c.policy), 'db-2'), c.stale, c.name);
  });
});
