import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { s } from '../../machinery/schema/build.js';
import { kindSchema } from '../../machinery/schema/meta.js';
import { testRegistry } from '../discovery/testing.js';
import { openapiRoute } from './routes.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const none = new URLSearchParams();
const REF = '#/components/schemas/';

function setup() {
  const registry = testRegistry();
  const route = openapiRoute(registry);
  const v3 = (key: string): Json => JSON.parse(route.documents.documentV3(key)!.body);
  return { registry, route, v3 };
}

describe('OpenAPI v3 index and caching', () => {
  it('lists every document with its hash', () => {
    const { route } = setup();
    const answer = route('/openapi/v3', none, 'application/json')!;
    assert.equal(answer.status, 200);
    const index = JSON.parse(answer.body as string);
    assert.deepEqual(Object.keys(index.paths), ['api', 'api/v1', 'apis', 'apis/apps', 'apis/apps/v1']);
    assert.match(index.paths['apis/apps/v1'].serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    assert.match(answer.headers!.ETag, /^"[0-9A-F]{128}"$/);
  });

  it('serves hashed URLs as immutable and redirects stale hashes', () => {
    const { route } = setup();
    const index = JSON.parse(route('/openapi/v3', none, undefined)!.body as string);
    const url = new URL(index.paths['api/v1'].serverRelativeURL, 'http://x');
    const fresh = route(url.pathname, url.searchParams, 'application/json')!;
    assert.equal(fresh.status, 200);
    assert.equal(fresh.contentType, 'application/json');
    assert.equal(fresh.headers!['Cache-Control'], 'public, immutable');
    const expires = Date.parse(fresh.headers!.Expires);
    assert.ok(expires - Date.now() > 364 * 24 * 3600 * 1000);
    assert.equal(fresh.headers!.ETag, `"${url.searchParams.get('hash')}"`);

    const stale = route(url.pathname, new URLSearchParams({ hash: 'ABC' }), 'application/json')!;
    assert.equal(stale.status, 301);
    assert.equal(stale.headers!.Location, index.paths['api/v1'].serverRelativeURL);

    const unhashed = route('/openapi/v3/api/v1', none, undefined)!;
    assert.equal(unhashed.status, 200);
    assert.equal(unhashed.headers!['Cache-Control'], undefined);
    assert.equal(route('/openapi/v3/api/v1', none, undefined, fresh.headers!.ETag)!.status, 304);
  });

  it('answers 404 for unknown documents and 406 for formats it does not serve', () => {
    const { route } = setup();
    assert.equal(route('/openapi/v3/apis/nope/v1', none, 'application/json')!.status, 404);
    assert.equal(route('/openapi/v3/api/v1', none, 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf')!.status, 406);
    assert.equal(route('/openapi/v3/api/v1', none, 'text/html,*/*;q=0.8')!.status, 200);
    assert.equal(route('/openapi/v2', none, 'text/html')!.status, 406);
    assert.equal(route('/apis', none, undefined), undefined);
  });

  it('regenerates after the registry changes', () => {
    const { registry, route } = setup();
    const before = JSON.parse(route('/openapi/v3', none, undefined)!.body as string);
    registry.add({
      group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', singular: 'job', namespaced: true,
      schema: kindSchema({ group: 'batch', version: 'v1', kind: 'Job', definitionName: 'io.k8s.api.batch.v1.Job', description: 'A job.', fields: { spec: s.any() } }),
    });
    const after = JSON.parse(route('/openapi/v3', none, undefined)!.body as string);
    assert.ok(!before.paths['apis/batch/v1']);
    assert.ok(after.paths['apis/batch/v1']);
    const v2 = JSON.parse(route('/openapi/v2', none, 'application/json')!.body as string);
    assert.ok(v2.definitions['io.k8s.api.batch.v1.JobList']);
  });
});

describe('OpenAPI v3 group-version documents', () => {
  it('has upstream operation ids, actions and kinds for every path', () => {
    const doc = setup().v3('apis/apps/v1');
    assert.equal(doc.openapi, '3.0.0');
    const ids = (path: string) => Object.fromEntries(Object.entries(doc.paths[path]).filter(([k]) => k !== 'parameters').map(([method, op]) => [method, (op as Json).operationId]));
    assert.deepEqual(ids('/apis/apps/v1/namespaces/{namespace}/deployments'), {
      get: 'listAppsV1NamespacedDeployment', post: 'createAppsV1NamespacedDeployment', delete: 'deleteAppsV1CollectionNamespacedDeployment',
    });
    assert.deepEqual(ids('/apis/apps/v1/namespaces/{namespace}/deployments/{name}'), {
      get: 'readAppsV1NamespacedDeployment', put: 'replaceAppsV1NamespacedDeployment', patch: 'patchAppsV1NamespacedDeployment', delete: 'deleteAppsV1NamespacedDeployment',
    });
    assert.deepEqual(ids('/apis/apps/v1/deployments'), { get: 'listAppsV1DeploymentForAllNamespaces' });
    assert.deepEqual(ids('/apis/apps/v1/watch/namespaces/{namespace}/deployments'), { get: 'watchAppsV1NamespacedDeploymentList' });
    assert.deepEqual(ids('/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'), {
      get: 'readAppsV1NamespacedDeploymentScale', put: 'replaceAppsV1NamespacedDeploymentScale', patch: 'patchAppsV1NamespacedDeploymentScale',
    });
    const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    assert.equal(scale.get.responses['200'].content['application/json'].schema.$ref, `${REF}io.k8s.api.autoscaling.v1.Scale`);
    assert.equal(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].get['x-kubernetes-action'], 'list');
    assert.equal(doc.paths['/apis/apps/v1/watch/namespaces/{namespace}/deployments'].get['x-kubernetes-action'], 'watchlist');
    assert.deepEqual(doc.paths['/apis/apps/v1/'].get.tags, ['apps_v1']);
  });

  it('patch operations list fieldValidation and accept the four patch types', () => {
    const doc = setup().v3('apis/apps/v1');
    const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    for (const path of Object.keys(doc.paths)) {
      const patch = doc.paths[path].patch;
      if (!patch) continue;
      assert.ok(patch.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query'), `${path} patch lacks fieldValidation`);
    }
    assert.deepEqual(item.patch.parameters.map((p: Json) => p.name), ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    assert.deepEqual(Object.keys(item.patch.requestBody.content), [
      'application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json',
    ]);
    assert.equal(item.patch.requestBody.required, true);
    assert.deepEqual(item.put.parameters.map((p: Json) => p.name), ['dryRun', 'fieldManager', 'fieldValidation']);
    assert.deepEqual(item.delete.parameters.map((p: Json) => p.name), ['dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'orphanDependents', 'propagationPolicy']);
    assert.equal(item.delete.requestBody.required, undefined);
    // Parameters every operation shares sit on the path, sorted by name.
    assert.deepEqual(item.parameters.map((p: Json) => p.name), ['name', 'namespace', 'pretty']);
    assert.deepEqual(item.parameters[0], { name: 'name', in: 'path', description: 'Name of the Deployment.', required: true, schema: { type: 'string', uniqueItems: true } });
  });

  it('list and delete-collection operations carry the list parameters', () => {
    const doc = setup().v3('apis/apps/v1');
    const collection = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
    assert.deepEqual(collection.get.parameters.map((p: Json) => p.name), [
      'allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch',
    ]);
    const deleteNames = collection.delete.parameters.map((p: Json) => p.name);
    assert.ok(deleteNames.includes('labelSelector') && deleteNames.includes('propagationPolicy') && !deleteNames.includes('watch'));
    assert.deepEqual(collection.post.parameters.map((p: Json) => p.name), ['dryRun', 'fieldManager', 'fieldValidation']);
    // A path with one operation keeps all its parameters at path level, as upstream's builder does.
    const all = doc.paths['/apis/apps/v1/deployments'];
    assert.equal(all.get.parameters, undefined);
    assert.ok(all.parameters.some((p: Json) => p.name === 'labelSelector'));
  });

  it('documents the core subresources', () => {
    const doc = setup().v3('api/v1');
    const pod = '/api/v1/namespaces/{namespace}/pods/{name}';
    assert.equal(doc.paths[`${pod}/eviction`].post.operationId, 'createCoreV1NamespacedPodEviction');
    assert.deepEqual(doc.paths[`${pod}/eviction`].post['x-kubernetes-group-version-kind'], { group: 'policy', version: 'v1', kind: 'Eviction' });
    assert.equal(doc.paths[`${pod}/eviction`].post.requestBody.content['*/*'].schema.$ref, `${REF}io.k8s.api.policy.v1.Eviction`);
    assert.equal(doc.paths[`${pod}/binding`].post.operationId, 'createCoreV1NamespacedPodBinding');
    assert.equal(doc.paths[`${pod}/log`].get.operationId, 'readCoreV1NamespacedPodLog');
    assert.ok(doc.paths[`${pod}/log`].parameters.some((p: Json) => p.name === 'tailLines'), 'a lone operation shares its parameters at path level');
    assert.equal(doc.paths[`${pod}/exec`].get.operationId, 'connectCoreV1GetNamespacedPodExec');
    assert.equal(doc.paths[`${pod}/exec`].post['x-kubernetes-action'], 'connect');
    assert.equal(doc.paths[`${pod}/proxy/{path}`].put.operationId, 'connectCoreV1PutNamespacedPodProxyWithPath');
    assert.equal(doc.paths[`${pod}/portforward`].post.operationId, 'connectCoreV1PostNamespacedPodPortforward');
    assert.equal(doc.paths['/api/v1/namespaces/{name}/finalize'].put.operationId, 'replaceCoreV1NamespaceFinalize');
    assert.equal(doc.paths['/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token'].post.operationId, 'createCoreV1NamespacedServiceAccountToken');
    assert.equal(doc.paths['/api/v1/pods'].get.operationId, 'listCoreV1PodForAllNamespaces');
    assert.equal(doc.paths['/api/v1/namespaces'].get.operationId, 'listCoreV1Namespace');
    assert.equal(doc.paths['/api/v1/namespaces'].delete, undefined, 'namespaces have no deletecollection');
    for (const name of ['io.k8s.api.policy.v1.Eviction', 'io.k8s.api.core.v1.Binding', 'io.k8s.api.authentication.v1.TokenRequest', 'io.k8s.api.core.v1.PodList']) {
      assert.ok(doc.components.schemas[name], name);
    }
  });

  it('emits named schemas once and refers to them, with field descriptions beside the reference', () => {
    const schemas = setup().v3('apis/apps/v1').components.schemas;
    const deployment = schemas['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(deployment['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    assert.deepEqual(deployment.properties.metadata, { allOf: [{ $ref: `${REF}io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta` }], description: 'Standard object metadata.' });
    assert.equal(deployment.properties.definitionName, undefined);
    assert.equal(JSON.stringify(schemas).includes('definitionName'), false);
    const list = schemas['io.k8s.api.apps.v1.DeploymentList'];
    assert.deepEqual(list['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'DeploymentList' }]);
    assert.deepEqual(list.properties.items.items, { $ref: `${REF}io.k8s.api.apps.v1.Deployment` });
    assert.deepEqual(list.required, ['items']);
    // Patch directives stay on the field, where strategic merge patch looks for them.
    assert.equal(schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy['x-kubernetes-patch-strategy'], 'retainKeys');
    assert.equal(schemas['io.k8s.api.core.v1.PodSpec'].properties.containers['x-kubernetes-patch-merge-key'], 'name');
    // Time, IntOrString and Quantity are upstream's named types.
    assert.deepEqual(schemas['io.k8s.api.apps.v1.RollingUpdateDeployment'].properties.maxSurge, {
      allOf: [{ $ref: `${REF}io.k8s.apimachinery.pkg.util.intstr.IntOrString` }],
      description: 'Pods that can be scheduled above the desired number.',
    });
    assert.deepEqual(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].oneOf, [{ type: 'integer' }, { type: 'string' }]);
    assert.equal(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.creationTimestamp.allOf[0].$ref, `${REF}io.k8s.apimachinery.pkg.apis.meta.v1.Time`);
    for (const name of ['Status', 'DeleteOptions', 'WatchEvent', 'Patch', 'ListMeta', 'APIResourceList']) {
      assert.ok(schemas[`io.k8s.apimachinery.pkg.apis.meta.v1.${name}`], name);
    }
  });

  it('serves the root documents', () => {
    const { v3 } = setup();
    assert.equal(v3('api').paths['/api/'].get.operationId, 'getCoreAPIVersions');
    assert.equal(v3('apis').paths['/apis/'].get.operationId, 'getAPIVersions');
    assert.equal(v3('apis/apps').paths['/apis/apps/'].get.operationId, 'getAppsAPIGroup');
  });
});

describe('references', () => {
  function danglingRefs(doc: Json, prefix: string, definitions: Json): string[] {
    const dangling: string[] = [];
    JSON.stringify(doc, (key, value) => {
      if (key === '$ref' && !(typeof value === 'string' && value.startsWith(prefix) && definitions[value.slice(prefix.length)])) dangling.push(value);
      return value;
    });
    return dangling;
  }

  it('every $ref of every document resolves inside that document', () => {
    const { route, v3 } = setup();
    const index = JSON.parse(route('/openapi/v3', none, undefined)!.body as string);
    for (const key of Object.keys(index.paths)) {
      const doc = v3(key);
      assert.deepEqual(danglingRefs(doc, REF, doc.components.schemas), [], key);
    }
    const v2 = JSON.parse(route('/openapi/v2', none, undefined)!.body as string);
    assert.deepEqual(danglingRefs(v2, '#/definitions/', v2.definitions), []);
  });
});

describe('OpenAPI v2', () => {
  it('is one Swagger 2.0 document with definitions and body parameters', () => {
    const { route } = setup();
    const answer = route('/openapi/v2', none, 'application/json')!;
    assert.equal(answer.contentType, 'application/json');
    const doc = JSON.parse(answer.body as string);
    assert.equal(doc.swagger, '2.0');
    const create = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].post;
    assert.deepEqual(create.parameters[0], { name: 'body', in: 'body', schema: { $ref: '#/definitions/io.k8s.api.apps.v1.Deployment' }, required: true });
    assert.ok(create.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query' && p.type === 'string'));
    assert.deepEqual(create.consumes, ['*/*']);
    const deployment = doc.definitions['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(deployment.properties.metadata, { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', description: 'Standard object metadata.' });
    assert.equal(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, 'string');
    assert.ok(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post);
    assert.ok(!JSON.stringify(doc).includes('#/components/'));
  });

  it('answers the protobuf client-go asks for, with the same ETag', () => {
    const { route } = setup();
    const json = route('/openapi/v2', none, 'application/json')!;
    const pb = route('/openapi/v2', none, 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf')!;
    assert.equal(pb.contentType, 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    assert.equal(pb.headers!.ETag, json.headers!.ETag);
    const bytes = pb.body as Uint8Array;
    // Field 1 (swagger), length 3, "2.0".
    assert.deepEqual([...bytes.subarray(0, 5)], [0x0a, 0x03, 0x32, 0x2e, 0x30]);
    assert.ok(Buffer.from(bytes).includes('io.k8s.api.apps.v1.Deployment'));
  });
});
