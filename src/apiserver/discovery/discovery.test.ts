import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Registry } from '../../api/registry.js';
import { s } from '../../machinery/schema/build.js';
import { kindSchema } from '../../machinery/schema/meta.js';
import { storageVersionHash } from './documents.js';
import { negotiateDiscovery } from './negotiation.js';
import { discoveryRoute } from './routes.js';
import { testRegistry } from './testing.js';

const CLIENT_GO_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const search = new URLSearchParams();

function route(registry = testRegistry()) {
  return discoveryRoute(registry, { serverAddress: () => '10.0.0.1:6443' });
}

function get(r: ReturnType<typeof route>, path: string, accept = 'application/json') {
  const answer = r(path, search, accept);
  assert.ok(answer, `no answer for ${path}`);
  return { ...answer, json: JSON.parse(answer.body as string) };
}

describe('discovery negotiation', () => {
  it('prefers aggregated v2 for client-go, v2beta1 when only that is asked', () => {
    assert.deepEqual(negotiateDiscovery(CLIENT_GO_ACCEPT, true), { kind: 'aggregated', version: 'v2' });
    assert.deepEqual(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList', true), { kind: 'aggregated', version: 'v2beta1' });
    assert.deepEqual(negotiateDiscovery('application/json;q=0.9,application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io', true), { kind: 'aggregated', version: 'v2' });
  });

  it('falls back to the regular document', () => {
    assert.deepEqual(negotiateDiscovery(CLIENT_GO_ACCEPT, false), { kind: 'regular', encoding: 'json' });
    assert.deepEqual(negotiateDiscovery('application/json;as=Table;v=v1;g=meta.k8s.io,application/json', true), { kind: 'regular', encoding: 'json' });
    assert.deepEqual(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList', true), { kind: 'regular', encoding: 'json' });
    assert.deepEqual(negotiateDiscovery('text/html', true), { kind: 'regular', encoding: 'json' });
    assert.deepEqual(negotiateDiscovery(undefined, true), { kind: 'regular', encoding: 'json' });
    assert.deepEqual(negotiateDiscovery('application/yaml', true), { kind: 'regular', encoding: 'yaml' });
  });
});

describe('regular discovery documents', () => {
  it('/api lists v1 and the server address', () => {
    const { json, contentType } = get(route(), '/api');
    assert.equal(contentType, 'application/json');
    assert.deepEqual(json, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }] });
  });

  it('/apis and /apis/<group> list named groups with preferred versions', () => {
    const r = route();
    assert.deepEqual(get(r, '/apis/').json, {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
    });
    assert.equal(get(r, '/apis/apps').json.kind, 'APIGroup');
    assert.equal(r('/apis/nope', search, undefined), undefined);
    assert.equal(r('/api/v1/pods', search, undefined), undefined);
    assert.equal(r('/healthz', search, undefined), undefined);
  });

  it('/apis/apps/v1 lists resources and subresources as upstream does', () => {
    const { json } = get(route(), '/apis/apps/v1');
    assert.equal(json.kind, 'APIResourceList');
    assert.equal(json.groupVersion, 'apps/v1');
    assert.deepEqual(json.resources, [
      {
        name: 'deployments',
        singularName: 'deployment',
        namespaced: true,
        kind: 'Deployment',
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['deploy'],
        categories: ['all'],
        storageVersionHash: '8aSe+NMegvE=',
      },
      { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] },
      { name: 'deployments/status', singularName: '', namespaced: true, kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
    ]);
  });

  it('/api/v1 is unversioned and carries the pod, namespace and service account subresources', () => {
    const { json } = get(route(), '/api/v1');
    assert.equal(json.apiVersion, undefined);
    const byName = new Map<string, Record<string, unknown>>(json.resources.map((r: Record<string, unknown>) => [r.name, r]));
    assert.deepEqual([...byName.keys()], [...byName.keys()].sort());
    assert.deepEqual(byName.get('pods/eviction'), { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    assert.deepEqual(byName.get('pods/binding')?.verbs, ['create']);
    assert.deepEqual(byName.get('pods/log')?.verbs, ['get']);
    assert.deepEqual(byName.get('pods/exec'), { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
    assert.equal(byName.get('pods/proxy')?.kind, 'PodProxyOptions');
    assert.deepEqual(byName.get('namespaces/finalize'), { name: 'namespaces/finalize', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['update'] });
    assert.deepEqual(byName.get('serviceaccounts/token'), {
      name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'],
    });
    assert.equal(byName.get('pods')?.storageVersionHash, storageVersionHash('', 'v1', 'Pod'));
  });

  it('answers YAML when asked', () => {
    const answer = route()('/apis/apps/v1', search, 'application/yaml');
    assert.equal(answer?.contentType, 'application/yaml');
    assert.match(answer?.body as string, /^kind: APIResourceList/);
  });
});

describe('aggregated discovery', () => {
  it('answers /apis with the APIGroupDiscoveryList content type client-go checks', () => {
    const r = route();
    const answer = get(r, '/apis', CLIENT_GO_ACCEPT);
    assert.equal(answer.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(answer.json.apiVersion, 'apidiscovery.k8s.io/v2');
    const [apps] = answer.json.items;
    assert.deepEqual(apps.metadata, { name: 'apps', creationTimestamp: null });
    const [version] = apps.versions;
    assert.equal(version.freshness, 'Current');
    assert.deepEqual(version.resources[0], {
      resource: 'deployments',
      responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      scope: 'Namespaced',
      singularResource: 'deployment',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['deploy'],
      categories: ['all'],
      subresources: [
        { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
        { subresource: 'status', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
      ],
    });
  });

  it('answers /api with the core group only, cluster scope for namespaces', () => {
    const answer = get(route(), '/api', 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    assert.equal(answer.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    assert.equal(answer.json.items.length, 1);
    assert.deepEqual(answer.json.items[0].metadata, { creationTimestamp: null });
    const resources = answer.json.items[0].versions[0].resources;
    assert.deepEqual(resources.map((r: { resource: string }) => r.resource), ['configmaps', 'namespaces', 'pods', 'serviceaccounts']);
    assert.equal(resources[1].scope, 'Cluster');
    const eviction = resources[2].subresources.find((s: { subresource: string }) => s.subresource === 'eviction');
    assert.deepEqual(eviction, { subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
  });

  it('carries an ETag and answers 304 when it matches', () => {
    const r = route();
    const first = r('/apis', search, CLIENT_GO_ACCEPT)!;
    const etag = first.headers!.ETag;
    assert.match(etag, /^"[0-9A-F]{128}"$/);
    assert.equal(first.headers!.Vary, 'Accept');
    assert.equal(r('/apis', search, CLIENT_GO_ACCEPT, etag)!.status, 304);
    assert.equal(r('/apis', search, CLIENT_GO_ACCEPT, '"other"')!.status, 200);
  });

  it('follows registry changes', () => {
    const registry = testRegistry();
    const r = route(registry);
    const before = r('/apis', search, CLIENT_GO_ACCEPT)!;
    registry.add({
      group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', singular: 'job', namespaced: true,
      schema: kindSchema({ group: 'batch', version: 'v1', kind: 'Job', definitionName: 'io.k8s.api.batch.v1.Job', description: 'A job.', fields: { spec: s.any() } }),
    });
    const after = get(r, '/apis', CLIENT_GO_ACCEPT);
    assert.notEqual(after.headers!.ETag, before.headers!.ETag);
    assert.deepEqual(after.json.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['apps', 'batch']);
    assert.equal(get(r, '/apis/batch/v1').json.resources[0].name, 'jobs');
    registry.remove('batch', 'v1', 'jobs');
    assert.equal(r('/apis/batch/v1', search, undefined), undefined);
  });

  it('serves an empty registry', () => {
    const r = route(new Registry());
    assert.deepEqual(get(r, '/apis', CLIENT_GO_ACCEPT).json.items, []);
    assert.deepEqual(get(r, '/api', CLIENT_GO_ACCEPT).json.items, []);
  });
});
