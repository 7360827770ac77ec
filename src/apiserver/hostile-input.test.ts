/**
 * Bad and hostile input through every verb that takes a body or parameters:
 * each gets a 4xx Status with upstream's reason, never a 500 or a hang; and
 * patches without a resourceVersion never fail because of other writers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer, type TestResponse } from './testing.js';

let api: TestServer;
before(async () => {
  api = await startTestServer();
});
after(async () => {
  await api.close();
});

const ns = '/api/v1/namespaces/default';
const cmPath = (name: string) => `${ns}/configmaps/${name}`;
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });
const deploymentPath = (name: string) => `/apis/apps/v1/namespaces/default/deployments/${name}`;
const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
});

function assertStatus(res: TestResponse, code: number, reason: string, message?: RegExp): void {
  assert.equal(res.status, code, res.body.slice(0, 300));
  const status = res.json();
  assert.equal(status.kind, 'Status');
  assert.equal(status.reason, reason);
  if (message) assert.match(status.message, message);
}

const deepJson = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const deepObject = (levels: number) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${deepJson(levels)}}`;
const mergePatchHeaders = { 'Content-Type': 'application/merge-patch+json' };
const strategicHeaders = { 'Content-Type': 'application/strategic-merge-patch+json' };
const jsonPatchHeaders = { 'Content-Type': 'application/json-patch+json' };
const applyHeaders = { 'Content-Type': 'application/apply-patch+yaml' };

describe('nesting depth', () => {
  before(async () => {
    assert.equal((await api.request('POST', `${ns}/configmaps`, cm('shallow'))).status, 201);
    assert.equal((await api.request('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('deep-web'))).status, 201);
  });

  test('a JSON body nested 100,000 levels is a 400 on create and update', async () => {
    assertStatus(await api.request('POST', `${ns}/configmaps`, deepObject(100_000)), 400, 'BadRequest', /exceeded max depth/);
    assertStatus(await api.request('PUT', cmPath('shallow'), deepObject(100_000)), 400, 'BadRequest', /exceeded max depth/);
  });

  test('a JSON body at upstream\'s limit of 10,000 levels is still decoded', async () => {
    const res = await api.request('POST', `${ns}/configmaps`, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"at-limit"},"x":${deepJson(9_990)}}`);
    assert.equal(res.status, 201, res.body.slice(0, 300));
  });

  test('merge, strategic merge and JSON patches nested 100,000 levels are a 400', async () => {
    const deep = `{"data":{"a":"2"},"x":${deepJson(100_000)}}`;
    assertStatus(await api.request('PATCH', cmPath('shallow'), deep, mergePatchHeaders), 400, 'BadRequest', /exceeded max depth/);
    assertStatus(await api.request('PATCH', cmPath('shallow'), deep, strategicHeaders), 400, 'BadRequest', /exceeded max depth/);
    const jsonPatch = `[{"op":"add","path":"/metadata/annotations","value":${deepJson(100_000)}}]`;
    assertStatus(await api.request('PATCH', cmPath('shallow'), jsonPatch, jsonPatchHeaders), 400, 'BadRequest', /exceeded max depth/);
  });

  test('deep bodies to subresources and deletecollection are a 400', async () => {
    const deep = `{"status":{"x":${deepJson(100_000)}}}`;
    assertStatus(await api.request('PATCH', `${deploymentPath('deep-web')}/status`, deep, mergePatchHeaders), 400, 'BadRequest', /exceeded max depth/);
    assertStatus(await api.request('PATCH', `${deploymentPath('deep-web')}/scale`, `{"spec":{"x":${deepJson(100_000)}}}`, mergePatchHeaders), 400, 'BadRequest', /exceeded max depth/);
    assertStatus(await api.request('DELETE', `${ns}/configmaps?labelSelector=nothing%3Dhere`, `{"kind":"DeleteOptions","x":${deepJson(100_000)}}`), 400, 'BadRequest', /exceeded max depth/);
  });

  test('deeply nested YAML (flow and block) is a 400 on create and apply', async () => {
    const yamlHeaders = { 'Content-Type': 'application/yaml' };
    const flow = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep-yaml\nx: ${'['.repeat(200_000)}\n`;
    assertStatus(await api.request('POST', `${ns}/configmaps`, flow, yamlHeaders), 400, 'BadRequest', /exceeded max depth/);
    let block = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep-yaml\nx:\n';
    for (let i = 1; i < 2_000; i++) block += `${' '.repeat(i)}k:\n`;
    assertStatus(await api.request('POST', `${ns}/configmaps`, block, yamlHeaders), 400, 'BadRequest', /exceeded max depth/);
    const sequences = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep-yaml\nx: \n  ${'- '.repeat(5_000)}x\n`;
    assertStatus(await api.request('POST', `${ns}/configmaps`, sequences, yamlHeaders), 400, 'BadRequest', /exceeded max depth/);
    assertStatus(await api.request('PATCH', `${cmPath('shallow')}?fieldManager=test`, flow, applyHeaders), 400, 'BadRequest', /exceeded max depth/);
  });

  test('ordinary YAML with brackets in strings and block scalars is not mistaken for nesting', async () => {
    const text = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: brackets',
      'data:',
      `  quoted: "${'['.repeat(1000)}"`,
      `  plain: a${'{'.repeat(1000)}`,
      '  script: |',
      ...Array.from({ length: 1000 }, () => '    {'),
      'extra: {"x": [1, [2, [3]]], "y": \'it\'\'s [\'}',
      '',
    ].join('\n');
    const res = await api.request('POST', `${ns}/configmaps`, text, { 'Content-Type': 'application/yaml' });
    assert.equal(res.status, 201, res.body.slice(0, 300));
    assert.equal(res.json().data.script.length, 1000 * 2);
  });
});

describe('YAML size', () => {
  test('a YAML body over 1 MiB is a 413; the same object as JSON with a YAML content type is decoded', async () => {
    // Just under a ConfigMap's 1 MB of data; the YAML text, with a long comment, is over 1 MiB.
    const data = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'x'.repeat(1000)]));
    const yaml = `# ${'-'.repeat(60_000)}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big-yaml\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`;
    assert.ok(yaml.length > 1024 * 1024);
    assertStatus(await api.request('POST', `${ns}/configmaps`, yaml, { 'Content-Type': 'application/yaml' }), 413, 'RequestEntityTooLarge');
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big-yaml' }, data });
    const res = await api.request('POST', `${ns}/configmaps`, json, { 'Content-Type': 'application/yaml' });
    assert.equal(res.status, 201, res.body.slice(0, 300));
    // Server-side apply bodies from kubectl are JSON too (forced: the creator owns k0).
    const applied = await api.request('PATCH', `${cmPath('big-yaml')}?fieldManager=test&force=true`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big-yaml' }, data: { ...data, k0: 'y' } }), applyHeaders);
    assert.equal(applied.status, 200, applied.body.slice(0, 300));
    assert.equal(applied.json().data.k0, 'y');
  });
});

describe('YAML aliases', () => {
  test('an alias bomb is a 400 BadRequest, on create and on apply', async () => {
    let bomb = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\na0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < 9; i++) bomb += `a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]\n`;
    assertStatus(await api.request('POST', `${ns}/configmaps`, bomb, { 'Content-Type': 'application/yaml' }), 400, 'BadRequest', /excessive aliasing/);
    assert.equal((await api.request('POST', `${ns}/configmaps`, cm('apply-bomb'))).status, 201);
    assertStatus(await api.request('PATCH', `${cmPath('apply-bomb')}?fieldManager=test`, bomb.replace('name: bomb', 'name: apply-bomb'), applyHeaders), 400, 'BadRequest', /excessive aliasing/);
  });

  test('an alias to an unknown anchor is a 400', async () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unknown-alias\ndata: *nowhere\n';
    const res = await api.request('POST', `${ns}/configmaps`, text, { 'Content-Type': 'application/yaml' });
    assert.equal(res.status, 400, res.body);
  });
});

describe('URL and query parameters', () => {
  test('a malformed percent-encoding in the path is a 400', async () => {
    assertStatus(await api.request('GET', `${ns}/configmaps/%E0%A4%A`), 400, 'BadRequest');
    assertStatus(await api.request('GET', '/api/v1/namespaces/%zz/configmaps'), 400, 'BadRequest');
  });

  test('unparsable numbers in list, watch and delete options are a 400', async () => {
    assertStatus(await api.request('GET', `${ns}/configmaps?limit=abc`), 400, 'BadRequest', /limit|abc/);
    assertStatus(await api.request('GET', `${ns}/configmaps?limit=1.5`), 400, 'BadRequest');
    assertStatus(await api.request('GET', `${ns}/configmaps?watch=true&timeoutSeconds=soon`), 400, 'BadRequest', /soon/);
    assertStatus(await api.request('GET', `${ns}/configmaps?timeoutSeconds=x`), 400, 'BadRequest');
    assert.equal((await api.request('POST', `${ns}/configmaps`, cm('grace'))).status, 201);
    assertStatus(await api.request('DELETE', `${cmPath('grace')}?gracePeriodSeconds=later`), 400, 'BadRequest', /later/);
    assertStatus(await api.request('DELETE', `${ns}/configmaps?gracePeriodSeconds=later`), 400, 'BadRequest', /later/);
    assertStatus(await api.request('DELETE', cmPath('grace'), { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 'soon' }), 400, 'BadRequest', /gracePeriodSeconds/);
    assert.equal((await api.request('GET', cmPath('grace'))).status, 200, 'the object is still there');
  });

  test('booleans read as upstream does: anything but "false" and "0" is true', async () => {
    const res = await api.request('GET', `${ns}/configmaps?limit=1&allowWatchBookmarks=yes`);
    assert.equal(res.status, 200);
  });
});

describe('strategic merge patch directives', () => {
  before(async () => {
    assert.equal((await api.request('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('order'))).status, 201);
  });

  test('a $setElementOrder list that is not a list of merge keys is a 400', async () => {
    const path = deploymentPath('order');
    for (const order of ['"junk"', '[1, 2, 3]', '[{"image": "x"}]', '{"name": "web"}']) {
      const patch = `{"spec":{"template":{"spec":{"$setElementOrder/containers":${order}}}}}`;
      assertStatus(await api.request('PATCH', path, patch, strategicHeaders), 400, 'BadRequest', /setElementOrder|merge key/);
    }
    // The patch's elements must appear in the order list, in the same order.
    const missing = '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"name":"side","image":"busybox"}]}}}}';
    assertStatus(await api.request('PATCH', path, missing, strategicHeaders), 400, 'BadRequest', /setElementOrder/);
    const good = '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"side"},{"name":"web"}],"containers":[{"name":"side","image":"busybox"}]}}}}';
    const res = await api.request('PATCH', path, good, strategicHeaders);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json().spec.template.spec.containers.map((c: { name: string }) => c.name), ['side', 'web']);
  });
});

describe('concurrent writers', () => {
  const writers = 16;
  const everyWriter = Array.from({ length: writers }, (_, i) => i);

  test('16 concurrent patches of each kind on one object all succeed, and every effect is kept', async () => {
    assert.equal((await api.request('POST', `${ns}/configmaps`, cm('contended'))).status, 201);
    const path = cmPath('contended');
    const results = await Promise.all([
      ...everyWriter.map((i) => api.request('PATCH', path, { data: { [`merge${i}`]: 'x' } }, mergePatchHeaders)),
      ...everyWriter.map((i) => api.request('PATCH', path, { data: { [`strategic${i}`]: 'x' } }, strategicHeaders)),
      ...everyWriter.map((i) => api.request('PATCH', path, [{ op: 'add', path: `/data/json${i}`, value: 'x' }], jsonPatchHeaders)),
      ...everyWriter.map((i) =>
        api.request('PATCH', `${path}?fieldManager=writer-${i}`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: contended\ndata:\n  apply${i}: x\n`, applyHeaders)),
    ]);
    for (const res of results) assert.equal(res.status, 200, res.body);
    const data = (await api.request('GET', path)).json().data;
    for (const kind of ['merge', 'strategic', 'json', 'apply']) {
      for (const i of everyWriter) assert.equal(data[`${kind}${i}`], 'x', `${kind}${i} is kept`);
    }
  });

  test('16 concurrent status and scale patches all succeed', async () => {
    assert.equal((await api.request('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('contended'))).status, 201);
    const path = deploymentPath('contended');
    const results = await Promise.all([
      ...everyWriter.map((i) =>
        api.request('PATCH', `${path}/status`, { status: { conditions: [{ type: `Writer${i}`, status: 'True' }] } }, strategicHeaders)),
      ...everyWriter.map((i) => api.request('PATCH', `${path}/scale`, { spec: { replicas: i + 1 } }, mergePatchHeaders)),
    ]);
    for (const res of results) assert.equal(res.status, 200, res.body);
    const object = (await api.request('GET', path)).json();
    const types = new Set(object.status.conditions.map((c: { type: string }) => c.type));
    for (const i of everyWriter) assert.ok(types.has(`Writer${i}`), `Writer${i} is kept`);
    assert.ok(object.spec.replicas >= 1 && object.spec.replicas <= writers);
  });

  test('a patch that names a stale resourceVersion still fails with 409', async () => {
    const res = await api.request('PATCH', cmPath('contended'), { metadata: { resourceVersion: '1' }, data: { late: 'x' } }, mergePatchHeaders);
    assertStatus(res, 409, 'Conflict');
  });
});
