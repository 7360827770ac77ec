/** LimitRanger, with upstream's admission_test.go cases (plugin/pkg/admission/limitranger). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import type { AdmissionAttributes, Operation } from './chain.js';
import { applyContainerDefaults, claimLimitProblems, limitRangerAnnotation, limitRangerPlugin, podLimitProblems } from './limit-ranger.js';

type List = Record<string, string>;
const compute = (cpu = '', memory = ''): List => ({ ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) });
const ephemeral = (amount = ''): List => (amount ? { 'ephemeral-storage': amount } : {});

const limitRange = (type: string, min: List = {}, max: List = {}, ratio: List = {}): KubeObject => ({
  metadata: { name: 'abc', namespace: 'test' },
  spec: { limits: [{ type, min, max, maxLimitRequestRatio: ratio }] },
});

/** upstream's validLimitRange (defaults) and validLimitRangeNoDefaults. */
const withDefaults: KubeObject = {
  metadata: { name: 'abc', namespace: 'test' },
  spec: {
    limits: [
      { type: 'Pod', max: compute('200m', '4Gi'), min: compute('50m', '2Mi') },
      { type: 'Container', max: compute('100m', '2Gi'), min: compute('25m', '1Mi'), default: compute('75m', '10Mi'), defaultRequest: compute('50m', '5Mi') },
    ],
  },
};
const noDefaults: KubeObject = {
  metadata: { name: 'abc', namespace: 'test' },
  spec: { limits: [{ type: 'Pod', max: compute('200m', '4Gi'), min: compute('50m', '2Mi') }, { type: 'Container', max: compute('100m', '2Gi'), min: compute('25m', '1Mi') }] },
};

interface Container {
  name: string;
  image: string;
  restartPolicy?: string;
  resources: { requests?: List; limits?: List };
}
type Pod = KubeObject & { spec: { containers: Container[]; initContainers?: Container[] } };

const pod = (name: string, count: number, requests: List = {}, limits: List = {}, init: { requests?: List; limits?: List }[] = []): Pod => ({
  metadata: { name, namespace: 'test' },
  spec: {
    containers: Array.from({ length: count }, (_, i) => ({ name: `foo-${i}`, image: `foo:V${i}`, resources: { requests: { ...requests }, limits: { ...limits } } })),
    ...(init.length ? { initContainers: init.map((r, i) => ({ name: `foo-${i}`, image: `foo:V${i}`, resources: { requests: { ...r.requests }, limits: { ...r.limits } } })) } : {}),
  },
});
const withSidecar = (p: Pod, requests: List, limits: List = {}): Pod => {
  p.spec.initContainers = [...(p.spec.initContainers ?? []), { name: 'sidecar', image: 'x', restartPolicy: 'Always', resources: { requests, limits } }];
  return p;
};

describe('LimitRanger checks (TestPodLimitFunc)', () => {
  const allowed: [Pod, KubeObject][] = [
    [pod('ctr-min-cpu-request', 1, compute('100m')), limitRange('Container', compute('50m'))],
    [pod('ctr-min-cpu-request-limit', 1, compute('100m'), compute('200m')), limitRange('Container', compute('50m'))],
    [pod('ctr-min-memory-request-limit', 1, compute('', '60Mi'), compute('', '100Mi')), limitRange('Container', compute('', '50Mi'))],
    [pod('ctr-max-cpu-request-limit', 1, compute('500m'), compute('1')), limitRange('Container', {}, compute('2'))],
    [pod('ctr-max-cpu-ratio', 1, compute('500m'), compute('750m')), limitRange('Container', {}, {}, compute('1.5'))],
    [pod('pod-min-cpu-request', 2, compute('75m')), limitRange('Pod', compute('100m'))],
    [pod('pod-init-min-memory-request', 2, compute('', '60Mi'), {}, [{ requests: compute('', '100Mi') }]), limitRange('Pod', compute('', '100Mi'))],
    [pod('pod-init-max-cpu-request-limit', 2, compute('500m'), compute('1'), [{ requests: compute('1'), limits: compute('2') }, { requests: compute('1'), limits: compute('1') }]), limitRange('Pod', {}, compute('2'))],
    [pod('pod-max-mem-ratio', 3, compute('', '300Mi'), compute('', '450Mi')), limitRange('Pod', {}, compute('', '2Gi'), compute('', '1.5'))],
    [pod('ctr-2-max-local-ephemeral-storage-limit', 2, {}, ephemeral('500Mi')), limitRange('Container', {}, ephemeral('600Mi'))],
    [pod('pod-max-local-ephemeral-storage-ratio', 3, ephemeral('300Mi'), ephemeral('450Mi')), limitRange('Pod', {}, ephemeral('2Gi'), ephemeral('1.5'))],
  ];
  for (const [p, range] of allowed) {
    it(`admits ${p.metadata.name}`, () => {
      applyContainerDefaults(range, p);
      assert.deepEqual(podLimitProblems(range, p), []);
    });
  }

  const refused: [Pod, KubeObject, string][] = [
    [pod('ctr-min-cpu-request', 1, compute('40m')), limitRange('Container', compute('50m')), 'minimum cpu usage per Container is 50m, but request is 40m'],
    [pod('ctr-min-cpu-no-request-limit', 1), limitRange('Container', compute('50m')), 'minimum cpu usage per Container is 50m.  No request is specified'],
    [pod('ctr-min-memory-request-limit', 1, compute('', '40Mi'), compute('', '100Mi')), limitRange('Container', compute('', '50Mi')), 'minimum memory usage per Container is 50Mi, but request is 40Mi'],
    [pod('ctr-max-cpu-request-limit', 1, compute('500m'), compute('2500m')), limitRange('Container', {}, compute('2')), 'maximum cpu usage per Container is 2, but limit is 2500m'],
    [pod('ctr-max-cpu-no-request-limit', 1), limitRange('Container', {}, compute('2')), 'maximum cpu usage per Container is 2.  No limit is specified'],
    [pod('ctr-max-cpu-ratio', 1, compute('1250m'), compute('2500m')), limitRange('Container', {}, {}, compute('1')), 'cpu max limit to request ratio per Container is 1, but provided ratio is 2.000000'],
    [pod('ctr-max-mem-request-limit', 1, compute('', '250Mi'), compute('', '2Gi')), limitRange('Container', {}, compute('', '1Gi')), 'maximum memory usage per Container is 1Gi, but limit is 2Gi'],
    [pod('pod-min-cpu-request', 1, compute('75m')), limitRange('Pod', compute('100m')), 'minimum cpu usage per Pod is 100m, but request is 75m'],
    [pod('pod-max-cpu-request-limit', 3, compute('500m'), compute('1')), limitRange('Pod', {}, compute('2')), 'maximum cpu usage per Pod is 2, but limit is 3'],
    [pod('pod-init-max-mem-limit', 1, {}, compute('', '500Mi'), [{ limits: compute('', '1.5Gi') }]), limitRange('Pod', {}, compute('', '1Gi')), 'maximum memory usage per Pod is 1Gi, but limit is 1536Mi'],
    [pod('pod-max-mem-ratio', 3, compute('', '250Mi'), compute('', '500Mi')), limitRange('Pod', {}, compute('', '2Gi'), compute('', '1.5')), 'memory max limit to request ratio per Pod is 1500m, but provided ratio is 2.000000'],
    [pod('ctr-1-max-local-ephemeral-storage-limit', 1, {}, ephemeral('2Gi')), limitRange('Container', {}, ephemeral('1Gi')), 'maximum ephemeral-storage usage per Container is 1Gi, but limit is 2Gi'],
    [pod('pod-min-local-ephemeral-storage-request', 1, ephemeral('60Mi')), limitRange('Pod', ephemeral('100Mi')), 'minimum ephemeral-storage usage per Pod is 100Mi, but request is 60Mi'],
    // A sidecar's request adds to the regular containers'.
    [withSidecar(pod('ctr-max-cpu-limit-restartable-init-container', 1, compute('1000m'), compute('1500m')), compute('1500m')), limitRange('Pod', {}, compute('2')), 'maximum cpu usage per Pod is 2, but request is 2500m'],
  ];
  for (const [p, range, message] of refused) {
    it(`refuses ${p.metadata.name}`, () => {
      applyContainerDefaults(range, p);
      assert.deepEqual(podLimitProblems(range, p), [message]);
    });
  }
});

describe('LimitRanger defaults (TestPodLimitFuncApplyDefault, TestMergePodResourceRequirements)', () => {
  it('gives containers and init containers the default requests and limits, and says so', () => {
    const p = pod('foo', 1, {}, {}, [{}]);
    applyContainerDefaults(withDefaults, p);
    for (const container of [...p.spec.containers, ...p.spec.initContainers!]) {
      assert.deepEqual(container.resources, { requests: { cpu: '50m', memory: '5Mi' }, limits: { cpu: '75m', memory: '10Mi' } });
    }
    assert.equal(
      p.metadata.annotations?.[limitRangerAnnotation],
      'LimitRanger plugin set: cpu, memory request for container foo-0; cpu, memory limit for container foo-0; cpu, memory request for init container foo-0; cpu, memory limit for init container foo-0',
    );
  });

  it('sets only what is missing', () => {
    const p = pod('limit-memory', 1, compute('', '512Mi'));
    applyContainerDefaults(withDefaults, p);
    assert.deepEqual(p.spec.containers[0].resources, { requests: { cpu: '50m', memory: '512Mi' }, limits: { cpu: '75m', memory: '10Mi' } });
    assert.equal(p.metadata.annotations?.[limitRangerAnnotation], 'LimitRanger plugin set: cpu request for container foo-0; cpu, memory limit for container foo-0');
  });

  it('leaves a pod that states everything alone, without an annotation', () => {
    const p = pod('limit-memory', 1, compute('100m', '512Mi'), compute('200m', '1G'), [{ requests: compute('200m', '1G'), limits: compute('400m', '2G') }]);
    applyContainerDefaults(withDefaults, p);
    assert.deepEqual(p.spec.containers[0].resources, { requests: compute('100m', '512Mi'), limits: compute('200m', '1G') });
    assert.equal(p.metadata.annotations, undefined);
  });
});

describe('LimitRanger claims (TestPersistentVolumeClaimLimitFunc)', () => {
  const claim = (name: string, storage: string): KubeObject => ({ metadata: { name, namespace: 'test' }, spec: { resources: { requests: { storage } } } });
  const cases: [KubeObject, KubeObject, string[]][] = [
    [claim('pvc-is-min-storage-request', '1Gi'), limitRange('PersistentVolumeClaim', { storage: '1Gi' }), []],
    [claim('pvc-is-max-storage-request', '1Gi'), limitRange('PersistentVolumeClaim', {}, { storage: '1Gi' }), []],
    [claim('pvc-within-minmax-storage-request', '5Gi'), limitRange('PersistentVolumeClaim', { storage: '1Gi' }, { storage: '10Gi' }), []],
    [claim('pvc-below-min-storage-request', '500Mi'), limitRange('PersistentVolumeClaim', { storage: '1Gi' }), ['minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi']],
    [claim('pvc-exceeds-max-storage-request', '100Gi'), limitRange('PersistentVolumeClaim', { storage: '1Gi' }, { storage: '1Gi' }), ['maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 100Gi']],
  ];
  for (const [c, range, problems] of cases) it(c.metadata.name!, () => assert.deepEqual(claimLimitProblems(range, c), problems));
});

describe('LimitRanger plugin (TestLimitRangerAdmitPod)', () => {
  const attributes = (object: KubeObject, operation: Operation = 'CREATE', extra: Partial<AdmissionAttributes> = {}): AdmissionAttributes =>
    ({ operation, type: { group: '', resource: 'pods', namespaced: true }, namespace: 'test', name: object.metadata.name, object, user: { username: 'u', groups: [] }, dryRun: false, ...extra }) as unknown as AdmissionAttributes;
  const plugin = limitRangerPlugin({ listLimitRanges: (namespace) => (namespace === 'test' ? [noDefaults] : []) });

  it('refuses a pod that states no resources, with every complaint of the LimitRange (403)', async () => {
    const a = attributes(pod('testPod', 1));
    await plugin.admit!(a);
    await assert.rejects(Promise.resolve(plugin.validate!(a)), (err: unknown) => {
      assert.ok(isStatusError(err, 'Forbidden'));
      assert.equal(err.code, 403);
      assert.equal(
        err.message,
        'pods "testPod" is forbidden: [minimum cpu usage per Pod is 50m.  No request is specified, minimum memory usage per Pod is 2Mi.  No request is specified, ' +
          'maximum cpu usage per Pod is 200m.  No limit is specified, maximum memory usage per Pod is 4Gi.  No limit is specified, ' +
          'minimum cpu usage per Container is 25m.  No request is specified, minimum memory usage per Container is 1Mi.  No request is specified, ' +
          'maximum cpu usage per Container is 100m.  No limit is specified, maximum memory usage per Container is 2Gi.  No limit is specified]',
      );
      return true;
    });
  });

  it('ignores pod updates, subresources, objects being deleted and other namespaces', async () => {
    const p = pod('testPod', 1);
    await plugin.validate!(attributes(p, 'UPDATE', { oldObject: p }));
    await plugin.validate!(attributes(p, 'UPDATE', { subresource: 'status', oldObject: p }));
    const terminating = { ...p, metadata: { ...p.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } };
    await plugin.validate!(attributes(terminating, 'UPDATE', { oldObject: terminating }));
    await plugin.validate!(attributes(p, 'CREATE', { namespace: 'other' }));
  });

  it('defaults a pod in the mutating phase so it passes the validating one (async lookups too)', async () => {
    const asyncPlugin = limitRangerPlugin({ listLimitRanges: async () => [withDefaults] });
    const a = attributes(pod('defaulted', 1));
    await asyncPlugin.admit!(a);
    await asyncPlugin.validate!(a);
    assert.match((a.object as Pod).metadata.annotations![limitRangerAnnotation], /^LimitRanger plugin set: cpu, memory request for container foo-0/);
  });

  it('checks claims on create and on a resize', async () => {
    const range = limitRange('PersistentVolumeClaim', {}, { storage: '1Gi' });
    const claims = limitRangerPlugin({ listLimitRanges: () => [range] });
    const claim = { metadata: { name: 'data', namespace: 'test' }, spec: { resources: { requests: { storage: '2Gi' } } } };
    const claimAttributes = (operation: Operation) => attributes(claim, operation, { type: { group: '', resource: 'persistentvolumeclaims', namespaced: true } as never, oldObject: operation === 'UPDATE' ? claim : undefined });
    for (const operation of ['CREATE', 'UPDATE'] as const) {
      await assert.rejects(Promise.resolve(claims.validate!(claimAttributes(operation))), {
        message: 'persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 2Gi',
      });
    }
  });

  it('a failing lookup refuses the request', async () => {
    const broken = limitRangerPlugin({ listLimitRanges: () => Promise.reject(new Error('cache not ready')) });
    await assert.rejects(Promise.resolve(broken.admit!(attributes(pod('p', 1)))), { message: 'pods "p" is forbidden: cache not ready' });
  });
});
