/**
 * Lists in chunks (limit + continue), and the discovery-driven commands:
 * api-resources, api-versions, explain.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';

const namespace = 'listed';
const names = Array.from({ length: 30 }, (_, i) => `cm-${String(i).padStart(2, '0')}`);

describe('lists and discovery', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
    await cluster.kubectl(['create', 'namespace', namespace]);
    const manifest = names.map((name, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels:\n    batch: list\ndata:\n  index: "${i}"\n`).join('---\n');
    await cluster.kubectl(['-n', namespace, 'create', '-f', '-'], { input: manifest });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('get --chunk-size=7 returns all 30 objects, in name order, over several requests', async () => {
    // -v=6 makes kubectl log each request URL, which shows the chunking happened.
    const { stdout, stderr } = await cluster.kubectl(['-n', namespace, 'get', 'configmaps', '-l', 'batch=list', '--chunk-size=7', '-v=6']);
    const rows = stdout.trimEnd().split('\n');
    assert.match(rows[0], /^NAME\s+DATA\s+AGE$/);
    assert.deepEqual(rows.slice(1).map((row) => row.split(/\s+/)[0]), names);
    assert.equal(rows.filter((row) => /^NAME\s/.test(row)).length, 1, 'one header across all chunks');
    // Both log formats: "GET https://… 200 OK" and the structured verb="GET" url="https://…".
    const requests = stderr.split('\n').filter((line) => /(GET |verb="GET" url=")https:\/\/\S+\/api\/v1\/namespaces\/listed\/configmaps\?\S*limit=7/.test(line) && line.includes('200 OK'));
    assert.equal(requests.length, 5, `expected 5 chunked requests, saw:\n${requests.join('\n')}`);
    assert.equal(requests.filter((line) => line.includes('continue=')).length, 4);
  });

  test('-o name and -o json with --chunk-size give every item', async () => {
    const byName = await cluster.kubectl(['-n', namespace, 'get', 'configmaps', '-l', 'batch=list', '--chunk-size=7', '-o', 'name']);
    assert.deepEqual(byName.stdout.trimEnd().split('\n'), names.map((name) => `configmap/${name}`));
    const list = JSON.parse((await cluster.kubectl(['-n', namespace, 'get', 'configmaps', '-l', 'batch=list', '--chunk-size=4', '-o', 'json'])).stdout);
    assert.equal(list.kind, 'List');
    assert.equal(list.items.length, 30);
    assert.deepEqual(list.items.map((item: { data: { index: string } }) => item.data.index), names.map((_, i) => String(i)));
  });

  test('api-resources lists the built-in resources with short names, group versions, scope and kind', async () => {
    const { stdout } = await cluster.kubectl(['api-resources']);
    assert.match(stdout, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/m);
    const expectations: [string, string, string, string, string][] = [
      ['configmaps', 'cm', 'v1', 'true', 'ConfigMap'],
      ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
      ['pods', 'po', 'v1', 'true', 'Pod'],
      ['services', 'svc', 'v1', 'true', 'Service'],
      ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
      ['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet'],
      ['cronjobs', 'cj', 'batch/v1', 'true', 'CronJob'],
    ];
    for (const [name, short, version, namespaced, kind] of expectations) {
      assert.match(stdout, new RegExp(`^${name}\\s+${short}\\s+${version.replace('/', '\\/')}\\s+${namespaced}\\s+${kind}$`, 'm'), `${name} row`);
    }
    assert.match(stdout, /^jobs\s+batch\/v1\s+true\s+Job$/m);
    assert.match(stdout, /^secrets\s+v1\s+true\s+Secret$/m);

    const namespaced = await cluster.kubectl(['api-resources', '--namespaced=false', '-o', 'name']);
    const clusterScoped = namespaced.stdout.trimEnd().split('\n');
    assert.ok(clusterScoped.includes('namespaces'));
    assert.ok(clusterScoped.includes('nodes'));
    assert.ok(!clusterScoped.includes('pods'));
    const apps = await cluster.kubectl(['api-resources', '--api-group=apps', '-o', 'name']);
    assert.ok(apps.stdout.split('\n').includes('deployments.apps'), apps.stdout);
  });

  test('api-versions lists every group version, sorted', async () => {
    const versions = (await cluster.kubectl(['api-versions'])).stdout.trimEnd().split('\n');
    for (const expected of ['v1', 'apps/v1', 'batch/v1']) assert.ok(versions.includes(expected), `${expected} in ${versions.join(', ')}`);
    assert.deepEqual(versions, [...versions].sort());
  });

  test('explain deployment.spec.strategy reads the OpenAPI schema', async () => {
    const { stdout } = await cluster.kubectl(['explain', 'deployment.spec.strategy']);
    assert.match(stdout, /^GROUP:\s+apps$/m);
    assert.match(stdout, /^KIND:\s+Deployment$/m);
    assert.match(stdout, /^VERSION:\s+v1$/m);
    assert.match(stdout, /^FIELD:\s+strategy <DeploymentStrategy>$/m);
    assert.match(stdout, /^DESCRIPTION:$/m);
    assert.match(stdout, /^FIELDS:$/m);
    assert.match(stdout, /^ {2}rollingUpdate\t<RollingUpdateDeployment>$/m);
    assert.match(stdout, /^ {2}type\t<string>$/m);
    assert.match(stdout, /^\s+enum: Recreate, RollingUpdate$/m);
  });
});
