/** ResourceQuota admission, with upstream's admission_test.go cases (plugin/pkg/admission/resourcequota). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../machinery/object.js';
import type { AdmissionAttributes, Operation } from './chain.js';
import { resourceQuotaPlugin, type ResourceQuotaDependencies } from './resource-quota.js';

type List = Record<string, string>;

/** Quotas in one store with resourceVersions, written by compare-and-swap, as the apiserver does. */
class QuotaStore implements ResourceQuotaDependencies {
  readonly quotas = new Map<string, KubeObject>();
  readonly updates: { name: string; used: List }[] = [];
  /** Called before each swap: lets a test change the quota under the plugin's feet. */
  beforeSwap?: (name: string) => void;

  constructor(...quotas: KubeObject[]) {
    for (const q of quotas) this.quotas.set(q.metadata.name!, structuredClone(q));
  }
  listQuotas = (namespace: string) => [...this.quotas.values()].filter((q) => q.metadata.namespace === namespace).map((q) => structuredClone(q));
  getQuota = async (_namespace: string, name: string) => structuredClone(this.quotas.get(name));
  updateQuotaStatus = async (quota: KubeObject, used: List): Promise<'ok' | 'conflict'> => {
    this.beforeSwap?.(quota.metadata.name!);
    const current = this.quotas.get(quota.metadata.name!)!;
    if (current.metadata.resourceVersion !== quota.metadata.resourceVersion) return 'conflict';
    this.setUsed(quota.metadata.name!, used);
    this.updates.push({ name: quota.metadata.name!, used });
    return 'ok';
  };
  setUsed(name: string, used: List): void {
    const current = this.quotas.get(name)!;
    current.status = { ...(current.status as object), used };
    current.metadata.resourceVersion = String(Number(current.metadata.resourceVersion) + 1);
  }
  used(name: string): List | undefined {
    return (this.quotas.get(name)?.status as { used?: List } | undefined)?.used;
  }
}

const quota = (name: string, hard: List, used: List | undefined, spec: Record<string, unknown> = {}, namespace = 'test'): KubeObject => ({
  metadata: { name, namespace, resourceVersion: '124' },
  spec: { hard, ...spec },
  status: { hard, ...(used ? { used } : {}) },
});

const pod = (name: string, requests: List = {}, limits: List = {}, spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, namespace: 'test' },
  spec: { containers: [{ name: 'c', image: 'foo', resources: { requests, limits } }], ...spec },
});

function attributes(resource: string, object: KubeObject, operation: Operation = 'CREATE', extra: Partial<AdmissionAttributes> & { group?: string } = {}): AdmissionAttributes {
  const { group = '', ...rest } = extra;
  return { operation, type: { group, resource, namespaced: true }, namespace: 'test', name: object.metadata.name, object, user: { username: 'u', groups: [] }, dryRun: false, ...rest } as unknown as AdmissionAttributes;
}

async function refusal(promise: unknown): Promise<{ code?: number; reason?: string; message?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: number; reason: string; message: string };
  }
  assert.fail('expected a refusal');
}

const compute = { cpu: '3', memory: '100Gi', pods: '5' };
const computeUsed = { cpu: '1', memory: '50Gi', pods: '3' };

describe('ResourceQuota admission', () => {
  it('ignores deletes and subresources (TestAdmissionIgnoresDelete, TestAdmissionIgnoresSubresources)', async () => {
    const store = new QuotaStore(quota('quota', { memory: '2Gi' }, { memory: '1Gi' }));
    const plugin = resourceQuotaPlugin(store);
    const big = pod('123', { cpu: '100m', memory: '2Gi' });
    const err = await refusal(plugin.validate!(attributes('pods', big)));
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, 'pods "123" is forbidden: exceeded quota: quota, requested: memory=2Gi, used: memory=1Gi, limited: memory=2Gi');
    await plugin.validate!(attributes('pods', big, 'CREATE', { subresource: 'subresource' }));
    await plugin.validate!(attributes('pods', big, 'DELETE'));
    assert.deepEqual(store.updates, []);
  });

  it('charges a pod below the limit to the quota (TestAdmitBelowQuotaLimit)', async () => {
    const store = new QuotaStore(quota('quota', compute, computeUsed));
    await resourceQuotaPlugin(store).validate!(attributes('pods', pod('allowed-pod', { cpu: '100m', memory: '2Gi' })));
    assert.deepEqual(store.updates, [{ name: 'quota', used: { cpu: '1100m', memory: '52Gi', pods: '4' } }]);
  });

  it('checks a dry run without charging (TestAdmitDryRun)', async () => {
    const store = new QuotaStore(quota('quota', compute, computeUsed));
    const plugin = resourceQuotaPlugin(store);
    await plugin.validate!(attributes('pods', pod('allowed-pod', { cpu: '100m', memory: '2Gi' }), 'CREATE', { dryRun: true }));
    const err = await refusal(plugin.validate!(attributes('pods', pod('too-large-pod', { cpu: '100m', memory: '60Gi' }), 'CREATE', { dryRun: true })));
    assert.equal(err.message, 'pods "too-large-pod" is forbidden: exceeded quota: quota, requested: memory=60Gi, used: memory=50Gi, limited: memory=100Gi');
    assert.deepEqual(store.updates, []);
  });

  it('charges the growth of an update, never a shrink (TestAdmitHandlesOldObjects, PVC updates)', async () => {
    const services = { services: '10', 'services.loadbalancers': '10', 'services.nodeports': '10' };
    const store = new QuotaStore(quota('quota', services, { services: '1', 'services.loadbalancers': '1', 'services.nodeports': '0' }));
    const plugin = resourceQuotaPlugin(store);
    const old = { metadata: { name: 'service', namespace: 'test', resourceVersion: '1' }, spec: { type: 'LoadBalancer' } };
    const nodePort = { metadata: { name: 'service', namespace: 'test' }, spec: { type: 'NodePort', ports: [{ port: 1234, nodePort: 30001 }] } };
    await plugin.validate!(attributes('services', nodePort, 'UPDATE', { oldObject: old }));
    assert.deepEqual(store.used('quota'), { services: '1', 'services.loadbalancers': '1', 'services.nodeports': '1' });

    const claims = new QuotaStore(quota('quota', { persistentvolumeclaims: '3', 'requests.storage': '100Gi' }, { persistentvolumeclaims: '1', 'requests.storage': '10Gi' }));
    const claimPlugin = resourceQuotaPlugin(claims);
    const claim = (storage: string, resourceVersion?: string) => ({ metadata: { name: 'pvc-to-update', namespace: 'test', resourceVersion }, spec: { resources: { requests: { storage } } } });
    await claimPlugin.validate!(attributes('persistentvolumeclaims', claim('5Gi'), 'UPDATE', { oldObject: claim('10Gi', '1') }));
    assert.deepEqual(claims.updates, [], 'a shrink charges nothing');
    await claimPlugin.validate!(attributes('persistentvolumeclaims', claim('15Gi'), 'UPDATE', { oldObject: claim('10Gi', '1') }));
    assert.deepEqual(claims.used('quota'), { persistentvolumeclaims: '1', 'requests.storage': '15Gi' });
  });

  it('charges an update of an object never stored as a create (TestAdmitHandlesCreatingUpdates)', async () => {
    const services = { services: '10', 'services.loadbalancers': '10', 'services.nodeports': '10' };
    const store = new QuotaStore(quota('quota', services, { services: '1', 'services.loadbalancers': '1', 'services.nodeports': '0' }));
    const old = { metadata: { name: 'service', namespace: 'test', resourceVersion: '' }, spec: { type: 'LoadBalancer' } };
    const nodePort = { metadata: { name: 'service', namespace: 'test' }, spec: { type: 'NodePort', ports: [{ port: 1234, nodePort: 30001 }] } };
    await resourceQuotaPlugin(store).validate!(attributes('services', nodePort, 'UPDATE', { oldObject: old }));
    assert.deepEqual(store.used('quota'), { services: '2', 'services.loadbalancers': '1', 'services.nodeports': '1' });
  });

  const refusals: [string, KubeObject[], string, KubeObject, string][] = [
    ['exceeding the quota (TestAdmitExceedQuotaLimit)', [quota('quota', compute, computeUsed)], 'pods', pod('not-allowed-pod', { cpu: '3', memory: '2Gi' }), 'pods "not-allowed-pod" is forbidden: exceeded quota: quota, requested: cpu=3, used: cpu=1, limited: cpu=3'],
    [
      'several resources at once',
      [quota('compute-quota', { 'requests.cpu': '2', 'requests.memory': '1Gi' }, { 'requests.cpu': '1500m', 'requests.memory': '512Mi' })],
      'pods',
      pod('x', { cpu: '1', memory: '1Gi' }),
      'pods "x" is forbidden: exceeded quota: compute-quota, requested: requests.cpu=1,requests.memory=1Gi, used: requests.cpu=1500m,requests.memory=512Mi, limited: requests.cpu=2,requests.memory=1Gi',
    ],
    [
      'a pod that does not state a limited resource (TestAdmitEnforceQuotaConstraints)',
      [quota('quota', { cpu: '3', memory: '100Gi', 'limits.memory': '200Gi', pods: '5' }, { cpu: '1', memory: '50Gi', 'limits.memory': '100Gi', pods: '3' })],
      'pods',
      pod('not-allowed-pod', { cpu: '100m', memory: '2Gi' }, { cpu: '200m' }),
      'pods "not-allowed-pod" is forbidden: failed quota: quota: must specify limits.memory for: c',
    ],
    [
      'a pod that states neither limits.cpu nor requests.cpu',
      [quota('q', { 'limits.cpu': '2', 'requests.cpu': '1' }, { 'limits.cpu': '0', 'requests.cpu': '0' })],
      'pods',
      pod('x', {}, {}, { initContainers: [{ name: 'init', image: 'foo', resources: { requests: { cpu: '1' } } }] }),
      'pods "x" is forbidden: failed quota: q: must specify limits.cpu for: c,init; requests.cpu for: c',
    ],
    ['a quota whose usage is not known yet', [quota('quota', { pods: '3' }, undefined)], 'pods', pod('p'), 'pods "p" is forbidden: status unknown for quota: quota, resources: pods'],
    [
      'a negative storage request (TestAdmitRejectsNegativeUsage)',
      [quota('quota', { persistentvolumeclaims: '3', 'requests.storage': '100Gi' }, { persistentvolumeclaims: '1', 'requests.storage': '10Gi' })],
      'persistentvolumeclaims',
      { metadata: { name: 'not-allowed-pvc', namespace: 'test' }, spec: { resources: { requests: { storage: '-1Gi' } } } },
      'persistentvolumeclaims "not-allowed-pvc" is forbidden: quota usage is negative for resource(s): requests.storage',
    ],
    ['one configmap too many (the legacy name)', [quota('quota', { configmaps: '1' }, { configmaps: '1' })], 'configmaps', { metadata: { name: 'b', namespace: 'test' } }, 'configmaps "b" is forbidden: exceeded quota: quota, requested: configmaps=1, used: configmaps=1, limited: configmaps=1'],
  ];
  for (const [name, quotas, resource, object, message] of refusals) {
    it(`refuses ${name}`, async () => {
      const store = new QuotaStore(...quotas);
      const err = await refusal(resourceQuotaPlugin(store).validate!(attributes(resource, object)));
      assert.deepEqual([err.code, err.message], [403, message]);
      assert.deepEqual(store.updates, []);
    });
  }

  it('admits what no quota of the namespace limits (TestAdmitPodInNamespaceWithoutQuota, TestAdmitWhenUnrelatedResourceExceedsQuota)', async () => {
    const other = new QuotaStore(quota('quota', compute, computeUsed, {}, 'other'));
    await resourceQuotaPlugin(other).validate!(attributes('pods', pod('allowed-pod', { cpu: '100m', memory: '2Gi' })));
    assert.deepEqual(other.updates, []);
    const unrelated = new QuotaStore(quota('quota', { services: '3', pods: '4' }, { services: '4', pods: '1' }));
    await resourceQuotaPlugin(unrelated).validate!(attributes('pods', pod('allowed-pod')));
    assert.deepEqual(unrelated.used('quota'), { services: '4', pods: '2' });
  });

  it('charges only the quotas whose scopes the pod is in (Terminating, BestEffort)', async () => {
    const store = new QuotaStore(quota('quota-non-terminating', compute, computeUsed, { scopes: ['NotTerminating'] }), quota('quota-terminating', compute, computeUsed, { scopes: ['Terminating'] }));
    await resourceQuotaPlugin(store).validate!(attributes('pods', pod('allowed-pod', { cpu: '100m', memory: '2Gi' }, {}, { activeDeadlineSeconds: 30 })));
    assert.deepEqual(store.updates, [{ name: 'quota-terminating', used: { cpu: '1100m', memory: '52Gi', pods: '4' } }]);

    const bestEffort = new QuotaStore(quota('quota-besteffort', { pods: '5' }, { pods: '3' }, { scopes: ['BestEffort'] }), quota('quota-not-besteffort', { pods: '5' }, { pods: '3' }, { scopes: ['NotBestEffort'] }));
    const plugin = resourceQuotaPlugin(bestEffort);
    await plugin.validate!(attributes('pods', pod('allowed-pod')));
    assert.deepEqual(bestEffort.updates, [{ name: 'quota-besteffort', used: { pods: '4' } }]);
    await plugin.validate!(attributes('pods', pod('burstable', { cpu: '100m', memory: '1Gi' })));
    assert.deepEqual(bestEffort.updates.at(-1), { name: 'quota-not-besteffort', used: { pods: '4' } });
  });

  it('matches a PriorityClass scope selector; a scoped quota never counts other kinds', async () => {
    const store = new QuotaStore(quota('high', { pods: '1' }, { pods: '0' }, { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }));
    const plugin = resourceQuotaPlugin(store);
    await plugin.validate!(attributes('pods', pod('low', {}, {}, { priorityClassName: 'low' })));
    await plugin.validate!(attributes('pods', pod('high-1', {}, {}, { priorityClassName: 'high' })));
    const err = await refusal(plugin.validate!(attributes('pods', pod('high-2', {}, {}, { priorityClassName: 'high' }))));
    assert.equal(err.message, 'pods "high-2" is forbidden: exceeded quota: high, requested: pods=1, used: pods=1, limited: pods=1');
    const scoped = new QuotaStore(quota('scoped', { 'count/configmaps': '0' }, { 'count/configmaps': '0' }, { scopes: ['BestEffort'] }));
    await resourceQuotaPlugin(scoped).validate!(attributes('configmaps', { metadata: { name: 'c', namespace: 'test' } }));
  });

  it('counts any kind as count/<resource>.<group>, on create only', async () => {
    const store = new QuotaStore(quota('quota', { 'count/deployments.apps': '1' }, { 'count/deployments.apps': '0' }));
    const plugin = resourceQuotaPlugin(store);
    const deployment = (name: string) => ({ metadata: { name, namespace: 'test', resourceVersion: '5' } });
    await plugin.validate!(attributes('deployments', deployment('a'), 'CREATE', { group: 'apps' }));
    await plugin.validate!(attributes('deployments', deployment('a'), 'UPDATE', { group: 'apps', oldObject: deployment('a') }));
    const err = await refusal(plugin.validate!(attributes('deployments', deployment('b'), 'CREATE', { group: 'apps' })));
    assert.equal(err.message, 'deployments.apps "b" is forbidden: exceeded quota: quota, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1');
  });

  it('after a lost swap reads the quota again and checks anew', async () => {
    const store = new QuotaStore(quota('quota', { pods: '2' }, { pods: '0' }));
    let raced = false;
    store.beforeSwap = (name) => {
      // Another apiserver charges a pod between this one's read and its write.
      if (!raced) store.setUsed(name, { pods: '1' });
      raced = true;
    };
    const plugin = resourceQuotaPlugin(store);
    await plugin.validate!(attributes('pods', pod('first')));
    assert.deepEqual(store.used('quota'), { pods: '2' });
    raced = false;
    store.setUsed('quota', { pods: '0' });
    store.beforeSwap = (name) => {
      if (!raced) store.setUsed(name, { pods: '2' });
      raced = true;
    };
    const err = await refusal(plugin.validate!(attributes('pods', pod('second'))));
    assert.equal(err.message, 'pods "second" is forbidden: exceeded quota: quota, requested: pods=1, used: pods=2, limited: pods=2');
  });

  it('gives up with a 409 after losing every swap', async () => {
    const store = new QuotaStore(quota('quota', { pods: '100' }, { pods: '0' }));
    store.beforeSwap = (name) => store.setUsed(name, { pods: '0' });
    const err = await refusal(resourceQuotaPlugin(store, { retries: 2 }).validate!(attributes('pods', pod('p'))));
    assert.deepEqual([err.code, err.reason, err.message], [409, 'Conflict', 'Operation cannot be fulfilled on resourcequotas "quota": the object has been modified; please apply your changes to the latest version and try again']);
  });

  it('checks one namespace\'s requests one at a time, so they cannot both take the last pod', async () => {
    const store = new QuotaStore(quota('quota', { pods: '1' }, { pods: '0' }));
    const plugin = resourceQuotaPlugin(store);
    const results = await Promise.allSettled([plugin.validate!(attributes('pods', pod('a'))), plugin.validate!(attributes('pods', pod('b')))]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected']);
    assert.deepEqual(store.used('quota'), { pods: '1' });
  });

  it('times out with upstream\'s 500 when the quotas cannot be read, and the namespace goes on', async () => {
    const store = new QuotaStore(quota('quota', { pods: '5' }, { pods: '0' }));
    let hang = true;
    const plugin = resourceQuotaPlugin({ ...store, listQuotas: (namespace) => (hang ? new Promise(() => {}) : store.listQuotas(namespace)) }, { evaluationTimeoutMs: 20 });
    const err = await refusal(plugin.validate!(attributes('pods', pod('p'))));
    assert.deepEqual([err.code, err.message], [500, 'Internal error occurred: resource quota evaluation timed out']);
    hang = false;
    await plugin.validate!(attributes('pods', pod('q')));
    assert.deepEqual(store.used('quota'), { pods: '1' });
  });
});
