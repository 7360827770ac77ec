/**
 * CustomResourceDefinitions with kubectl 1.32: the CronTab example of the
 * Kubernetes documentation — served once Established, printer columns,
 * short name and category, scale and status subresources, `kubectl
 * explain`, strict field validation and the schema's 422 — then a
 * cluster-scoped kind with selectable fields, and the deletion of a CRD,
 * which deletes its objects first and refuses new ones meanwhile.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from './harness.js';
import { crontab, crontabDefinition } from './crontab-fixtures.js';

const colorDefinition = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: colors.paint.example.com
spec:
  group: paint.example.com
  scope: Cluster
  names: { plural: colors, singular: color, kind: Color }
  versions:
  - name: v1
    served: true
    storage: true
    selectableFields:
    - jsonPath: .spec.hue
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              hue: { type: string, enum: [red, green, blue] }
`;

describe('CustomResourceDefinitions with kubectl', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectl(args, { input });
  const attempt = (args: string[], input?: string) => cluster.kubectl(args, { input, allowFailure: true });

  test('a CRD is Established, and its kind is served like a built-in one', async () => {
    await kubectl(['apply', '-f', '-'], crontabDefinition);
    await kubectl(['wait', '--for', 'condition=established', 'crd/crontabs.stable.example.com', '--timeout=20s']);
    const status = JSON.parse((await kubectl(['get', 'crd', 'crontabs.stable.example.com', '-o', 'jsonpath={.status}'])).stdout);
    assert.deepEqual(status.acceptedNames, { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'], categories: ['all'] });
    assert.deepEqual(status.storedVersions, ['v1']);
    assert.deepEqual(
      status.conditions.map((c: { type: string; status: string; reason: string }) => [c.type, c.status, c.reason]),
      [['NamesAccepted', 'True', 'NoConflicts'], ['Established', 'True', 'InitialNamesAccepted']],
    );

    assert.match((await kubectl(['apply', '-f', '-'], crontab('nightly'))).stdout, /crontab.stable.example.com\/nightly created/);
    // Applying the same file again is a merge patch (kubectl reads from OpenAPI that there is no strategic one).
    assert.match((await kubectl(['apply', '-f', '-'], crontab('nightly'))).stdout, /unchanged/);
    assert.match((await kubectl(['apply', '-f', '-'], crontab('nightly', 2))).stdout, /configured/);

    const table = (await kubectl(['get', 'crontabs'])).stdout.trim().split('\n');
    assert.match(table[0], /^NAME\s+SPEC\s+REPLICAS\s+AGE$/);
    assert.match(table[1], /^nightly\s+\* \* \* \* \*\/5\s+2\s+\d+s$/);
    assert.match((await kubectl(['get', 'ct'])).stdout, /nightly/);
    assert.match((await kubectl(['get', 'all'])).stdout, /crontab.stable.example.com\/nightly/);
    const explained = (await kubectl(['explain', 'crontab.spec'])).stdout;
    assert.match(explained, /What the CronTab runs and how often/);
    assert.match(explained, /replicas\s+<integer>/);
  });

  test('the schema prunes, defaults and validates with upstream messages', async () => {
    // A default is applied on create.
    await kubectl(['apply', '-f', '-'], crontab('defaulted'));
    assert.equal((await kubectl(['get', 'ct', 'defaulted', '-o', 'jsonpath={.spec.replicas}'])).stdout, '1');
    // kubectl validates strictly by default: an unknown field is a 400 from the server.
    const strict = await attempt(['apply', '-f', '-'], crontab('unknown', 1, '  colour: blue\n'));
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /CronTab in version "v1" cannot be handled as a CronTab: strict decoding error: unknown field "spec.colour"/);
    // Without validation the field is pruned, with a warning.
    const pruned = await attempt(['apply', '--validate=warn', '-f', '-'], crontab('unknown', 1, '  colour: blue\n'));
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stderr, /unknown field "spec.colour"/);
    assert.equal((await kubectl(['get', 'ct', 'unknown', '-o', 'jsonpath={.spec}'])).stdout, '{"cronSpec":"* * * * */5","image":"my-awesome-cron-image","replicas":1}');
    // Values against the schema: 422 with every failing field.
    const invalid = await attempt(['create', '-f', '-'], crontab('invalid', 20).replace('"* * * * */5"', '"every minute"'));
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /The CronTab "invalid" is invalid: /);
    assert.match(invalid.stderr, /spec.cronSpec: Invalid value: "every minute": spec.cronSpec in body should match '\^\(\\d\+\|\\\*\)/);
    assert.match(invalid.stderr, /spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10/);
    const wrongType = await attempt(['create', '-f', '-'], crontab('wrong-type').replace('image: my-awesome-cron-image', 'image: 5'));
    assert.match(wrongType.stderr, /spec.image: Invalid value: "integer": spec.image in body must be of type string: "integer"/);
    // Strategic merge patch needs Go types: custom resources refuse it as upstream does.
    const strategic = await attempt(['patch', 'ct', 'nightly', '-p', '{"spec":{"replicas":3}}']);
    assert.match(strategic.stderr, /application\/strategic-merge-patch\+json is not supported by stable.example.com\/v1, Kind=CronTab: the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml/);
  });

  test('CEL rules: a failing rule and a transition rule answer with their messages; a rule that does not compile refuses the CRD', async () => {
    const tooMany = await attempt(['create', '-f', '-'], crontab('too-many', 5, '  maxReplicas: 3\n'));
    assert.notEqual(tooMany.code, 0);
    assert.match(tooMany.stderr, /The CronTab "too-many" is invalid: spec: Invalid value: "object": replicas should be smaller than or equal to maxReplicas\./);
    await kubectl(['apply', '-f', '-'], crontab('fixed-image', 1));
    const changed = await attempt(['patch', 'ct', 'fixed-image', '--type=merge', '-p', '{"spec":{"image":"other"}}']);
    assert.match(changed.stderr, /The CronTab "fixed-image" is invalid: spec: Invalid value: "object": image is immutable/);
    const broken = await attempt(['apply', '-f', '-'], colorDefinition.replace('hue: { type: string, enum: [red, green, blue] }', 'hue: { type: string }\n            x-kubernetes-validations: [{rule: "self.hue ==" }]').replace(/colors/g, 'brokens').replace('Color', 'Broken').replace('color,', 'broken,'));
    assert.notEqual(broken.code, 0);
    assert.match(broken.stderr, /spec.validation.openAPIV3Schema.properties\[spec\].x-kubernetes-validations\[0\].rule: Invalid value: apiextensions.ValidationRule\{Rule:"self.hue ==".*compilation failed: ERROR: <input>:1:/);
  });

  test('a changed schema: a stricter one ratchets (old values may stay on update), a new default shows on old objects', async () => {
    await kubectl(['apply', '-f', '-'], crontab('ratcheted', 1));
    await kubectl(['patch', 'crd', 'crontabs.stable.example.com', '--type=json', '-p', '[{"op":"add","path":"/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/image/maxLength","value":5}]']);
    // The long image is unchanged: an update of another field goes through.
    await waitFor(async () => (await attempt(['create', '-f', '-'], crontab('new-long-image', 1))).stderr.includes('spec.image: Too long: may not be more than 5 bytes'), {
      message: 'the stricter schema to be served',
    });
    await kubectl(['patch', 'ct', 'ratcheted', '--type=merge', '-p', '{"spec":{"cronSpec":"0 * * * *"}}']);
    assert.equal((await kubectl(['get', 'ct', 'ratcheted', '-o', 'jsonpath={.spec.cronSpec}'])).stdout, '0 * * * *');
    await kubectl(['patch', 'crd', 'crontabs.stable.example.com', '--type=json', '-p', '[{"op":"remove","path":"/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/image/maxLength"}]']);
    // A default added later shows on objects stored before it, when they are read.
    await kubectl(['patch', 'crd', 'crontabs.stable.example.com', '--type=json', '-p', '[{"op":"add","path":"/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/owner","value":{"type":"string","default":"nobody"}}]']);
    await waitFor(async () => (await kubectl(['get', 'ct', 'ratcheted', '-o', 'jsonpath={.spec.owner}'])).stdout === 'nobody', { message: 'the new default on an old object' });
  });

  test('scale and status subresources: generation moves with spec only', async () => {
    await kubectl(['scale', 'crontab/nightly', '--replicas=3']);
    const scaled = JSON.parse((await kubectl(['get', 'ct', 'nightly', '-o', 'json'])).stdout);
    assert.equal(scaled.spec.replicas, 3);
    const generation = scaled.metadata.generation;
    await kubectl(['patch', 'ct', 'nightly', '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":3,"labelSelector":"app=nightly"}}']);
    const withStatus = JSON.parse((await kubectl(['get', 'ct', 'nightly', '-o', 'json'])).stdout);
    assert.deepEqual(withStatus.status, { replicas: 3, labelSelector: 'app=nightly' });
    assert.equal(withStatus.metadata.generation, generation);
    // Status is not written through the main resource.
    await kubectl(['patch', 'ct', 'nightly', '--type=merge', '-p', '{"status":{"replicas":9}}']);
    assert.equal((await kubectl(['get', 'ct', 'nightly', '-o', 'jsonpath={.status.replicas}'])).stdout, '3');
    const scale = JSON.parse((await kubectl(['get', '--raw', '/apis/stable.example.com/v1/namespaces/default/crontabs/nightly/scale'])).stdout);
    assert.deepEqual([scale.kind, scale.spec, scale.status], ['Scale', { replicas: 3 }, { replicas: 3, selector: 'app=nightly' }]);
  });

  test('a cluster-scoped kind with selectable fields', async () => {
    await kubectl(['apply', '-f', '-'], colorDefinition);
    await kubectl(['wait', '--for', 'condition=established', 'crd/colors.paint.example.com', '--timeout=20s']);
    for (const [name, hue] of [['sky', 'blue'], ['grass', 'green'], ['sea', 'blue']]) {
      await kubectl(['apply', '-f', '-'], `apiVersion: paint.example.com/v1\nkind: Color\nmetadata:\n  name: ${name}\nspec:\n  hue: ${hue}\n`);
    }
    const blue = (await kubectl(['get', 'colors', '--field-selector', 'spec.hue=blue', '-o', 'name'])).stdout.trim().split('\n');
    assert.deepEqual(blue, ['color.paint.example.com/sea', 'color.paint.example.com/sky']);
    const unsupported = await attempt(['get', 'colors', '--field-selector', 'spec.shade=dark']);
    assert.match(unsupported.stderr, /field label not supported: spec.shade/);
    // Without columns, the table has the default Age column.
    assert.match((await kubectl(['get', 'colors'])).stdout.split('\n')[0], /^NAME\s+AGE$/);
  });

  test('deleting a CRD deletes its objects first, and refuses new ones meanwhile', async () => {
    await kubectl(['patch', 'ct', 'nightly', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
    await kubectl(['delete', 'crd', 'crontabs.stable.example.com', '--wait=false']);
    await waitFor(async () => (await kubectl(['get', 'crd', 'crontabs.stable.example.com', '-o', 'jsonpath={.status.conditions[?(@.type=="Terminating")].reason}'])).stdout === 'InstanceDeletionCheck', {
      message: 'the CRD waiting for its last object',
    });
    // The objects without finalizers are gone; the held one waits.
    assert.deepEqual((await kubectl(['get', 'ct', '-o', 'name'])).stdout.trim().split('\n'), ['crontab.stable.example.com/nightly']);
    const refused = await attempt(['create', '-f', '-'], crontab('late', 1));
    assert.match(refused.stderr, /create not allowed while custom resource definition is terminating/);
    await kubectl(['patch', 'ct', 'nightly', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await waitFor(async () => (await attempt(['get', 'crd', 'crontabs.stable.example.com'])).stderr.includes('NotFound'), { message: 'the CRD to be gone' });
    const resources = (await kubectl(['api-resources', '--api-group=stable.example.com'])).stdout;
    assert.doesNotMatch(resources, /crontabs/);
  });
});
