/**
 * Server-side apply with kubectl 1.32: field ownership between two managers
 * (conflict, --force-conflicts), what a manager stops applying is removed,
 * the move from client-side apply, dry run and diff, resetting
 * managedFields, and a CRD too big for client-side apply's annotation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';

const deployment = (name: string, replicas: number, withPorts = true) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
${withPorts ? '        ports:\n        - containerPort: 80\n' : ''}`;

interface Entry {
  manager: string;
  operation: string;
  subresource?: string;
  fieldsV1: Record<string, unknown>;
}

describe('server-side apply with kubectl', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });
  const kubectl = (args: string[], input?: string) => cluster.kubectl(args, { input });
  const attempt = (args: string[], input?: string) => cluster.kubectl(args, { input, allowFailure: true });
  const managedFields = async (name: string): Promise<Entry[]> =>
    JSON.parse((await kubectl(['get', 'deployment', name, '--show-managed-fields', '-o', 'json'])).stdout).metadata.managedFields;

  test('two managers: a conflict names the owner, --force-conflicts takes the field over', async () => {
    await kubectl(['apply', '--server-side', '--field-manager=ci', '-f', '-'], deployment('web', 2));
    const entries = await managedFields('web');
    const ci = entries.find((e) => e.manager === 'ci')!;
    assert.equal(ci.operation, 'Apply');
    assert.deepEqual(Object.keys((ci.fieldsV1['f:spec'] as Record<string, unknown>)).sort(), ['f:replicas', 'f:selector', 'f:template']);

    const conflict = await attempt(['apply', '--server-side', '--field-manager=ops', '-f', '-'], deployment('web', 5));
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "ci": \.spec\.replicas/);
    // The same values are shared without conflict.
    await kubectl(['apply', '--server-side', '--field-manager=ops', '-f', '-'], deployment('web', 2));
    const forced = await kubectl(['apply', '--server-side', '--field-manager=ops', '--force-conflicts', '-f', '-'], deployment('web', 5));
    assert.match(forced.stdout, /serverside-applied/);
    assert.equal((await kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])).stdout, '5');
    const after = await managedFields('web');
    assert.equal((after.find((e) => e.manager === 'ci')!.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], undefined, 'ci lost replicas');
    assert.deepEqual((after.find((e) => e.manager === 'ops')!.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], {});
    // kubectl scale is an update through /scale: it owns replicas afterwards, with its subresource.
    await kubectl(['scale', 'deployment/web', '--replicas=3']);
    const scaled = (await managedFields('web')).find((e) => e.subresource === 'scale');
    assert.ok(scaled, 'an Update entry for the scale subresource');
  });

  test('a create owns what it set, defaults included: applying another replica count conflicts with it', async () => {
    await kubectl(['create', 'deployment', 'created', '--image=nginx:1.27']);
    const conflict = await attempt(['apply', '--server-side', '--field-manager=ci', '-f', '-'], deployment('created', 3));
    assert.match(conflict.stderr, /conflict with "kubectl-create" using apps\/v1: \.spec\.replicas/);
  });

  test('a field a manager stops applying is removed', async () => {
    await kubectl(['apply', '--server-side', '--field-manager=ci', '-f', '-'], deployment('ports', 1));
    assert.equal((await kubectl(['get', 'deployment', 'ports', '-o', 'jsonpath={.spec.template.spec.containers[0].ports[0].containerPort}'])).stdout, '80');
    await kubectl(['apply', '--server-side', '--field-manager=ci', '-f', '-'], deployment('ports', 1, false));
    assert.equal((await kubectl(['get', 'deployment', 'ports', '-o', 'jsonpath={.spec.template.spec.containers[0].ports}'])).stdout, '');
  });

  test('client-side apply moves to server-side apply without conflicts', async () => {
    await kubectl(['apply', '-f', '-'], deployment('moved', 1));
    assert.ok((await managedFields('moved')).some((e) => e.manager === 'kubectl-client-side-apply'));
    const applied = await kubectl(['apply', '--server-side', '-f', '-'], deployment('moved', 4));
    assert.doesNotMatch(applied.stderr, /Warning|conflict/);
    assert.equal((await kubectl(['get', 'deployment', 'moved', '-o', 'jsonpath={.spec.replicas}'])).stdout, '4');
    const managers = (await managedFields('moved')).map((e) => `${e.manager}/${e.operation}`);
    assert.ok(managers.includes('kubectl/Apply'), managers.join());
    assert.ok(!managers.includes('kubectl-client-side-apply/Update'), managers.join());
    // The client-side annotation follows what was applied, for a way back.
    const annotation = (await kubectl(['get', 'deployment', 'moved', '-o', 'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}'])).stdout;
    assert.equal(JSON.parse(annotation).spec.replicas, 4);
  });

  test('dry run and diff change nothing; managedFields [{}] clears the entries', async () => {
    const dry = await kubectl(['apply', '--server-side', '--field-manager=ci', '--dry-run=server', '-f', '-'], deployment('ghost', 1));
    assert.match(dry.stdout, /serverside-applied \(server dry run\)/);
    assert.match((await attempt(['get', 'deployment', 'ghost'])).stderr, /NotFound/);
    const diff = await attempt(['diff', '--server-side', '--field-manager=ci', '-f', '-'], deployment('ports', 6, false));
    assert.equal(diff.code, 1, diff.stderr);
    assert.match(diff.stdout, /-  replicas: 1\n\+  replicas: 6/);
    await kubectl(['patch', 'deployment', 'ports', '--type=json', '-p', '[{"op":"replace","path":"/metadata/managedFields","value":[{}]}]']);
    assert.equal((await kubectl(['get', 'deployment', 'ports', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields}'])).stdout, '');
  });

  test('a CRD too big for the last-applied annotation is applied server-side', async () => {
    // Several hundred kilobytes of schema: client-side apply's annotation may hold 256 KiB at most.
    const properties = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`field${i}`, { type: 'string', description: `Field number ${i} of a large generated schema, as operators' CRDs often are.` }]));
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'bigs.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'bigs', singular: 'big', kind: 'Big' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties } } } } }],
      },
    };
    const text = JSON.stringify(crd);
    assert.ok(text.length > 300_000, `${text.length} bytes`);
    const clientSide = await attempt(['apply', '-f', '-'], text);
    assert.notEqual(clientSide.code, 0);
    assert.match(clientSide.stderr, /metadata.annotations: Too long: may not be (longer|more) than 262144 bytes/);
    const serverSide = await kubectl(['apply', '--server-side', '-f', '-'], text);
    assert.match(serverSide.stdout, /bigs.example.com serverside-applied/);
    await kubectl(['wait', '--for', 'condition=established', 'crd/bigs.example.com', '--timeout=20s']);
    await kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Big', metadata: { name: 'b' }, spec: { field2999: 'last' } }));
    assert.equal((await kubectl(['get', 'big', 'b', '-o', 'jsonpath={.spec.field2999}'])).stdout, 'last');
  });
});
