/**
 * Errors as kubectl prints them from a real kube-apiserver's Status objects:
 * NotFound, AlreadyExists, Invalid, Forbidden; and the namespaces every
 * cluster starts with.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';

describe('errors and namespaces', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  const failing = async (args: string[], input?: string) => {
    const result = await cluster.kubectl(args, { input, allowFailure: true });
    assert.equal(result.code, 1, `kubectl ${args.join(' ')} should fail; stdout: ${result.stdout}`);
    return result.stderr;
  };

  test('NotFound names the resource with its group', async () => {
    assert.equal(await failing(['get', 'configmap', 'missing']), 'Error from server (NotFound): configmaps "missing" not found\n');
    assert.equal(await failing(['get', 'deployment', 'missing']), 'Error from server (NotFound): deployments.apps "missing" not found\n');
    assert.equal(await failing(['delete', 'secret', 'missing']), 'Error from server (NotFound): secrets "missing" not found\n');
    assert.equal(await failing(['get', 'namespace', 'missing']), 'Error from server (NotFound): namespaces "missing" not found\n');
  });

  test('an unknown resource type is a discovery error, not a server error', async () => {
    assert.equal(await failing(['get', 'widgets']), 'error: the server doesn\'t have a resource type "widgets"\n');
  });

  test('AlreadyExists, from create -f and from the create generators', async () => {
    await cluster.kubectl(['create', 'configmap', 'twice']);
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n';
    assert.equal(await failing(['create', '-f', '-'], manifest), 'Error from server (AlreadyExists): error when creating "STDIN": configmaps "twice" already exists\n');
    assert.equal(await failing(['create', 'configmap', 'twice']), 'error: failed to create configmap: configmaps "twice" already exists\n');
    assert.equal(await failing(['create', 'namespace', 'default']), 'Error from server (AlreadyExists): namespaces "default" already exists\n');
  });

  test('Invalid lists the field, the value and the rule', async () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: invalid
spec:
  replicas: -1
  selector:
    matchLabels:
      app: invalid
  template:
    metadata:
      labels:
        app: invalid
    spec:
      containers:
      - name: app
        image: nginx:1.27
`;
    assert.equal(await failing(['create', '-f', '-'], deployment), 'The Deployment "invalid" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n');

    const badName = await failing(['create', 'configmap', 'Not_Valid']);
    assert.equal(
      badName,
      'error: failed to create configmap: ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": ' +
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character " +
        "(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n",
    );

    const mismatch = deployment.replace('replicas: -1', 'replicas: 1').replace(/app: invalid\n {4}spec:/, 'app: other\n    spec:');
    assert.equal(
      await failing(['create', '-f', '-'], mismatch),
      'The Deployment "invalid" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`\n',
    );
  });

  test('the four system namespaces exist and are Active', async () => {
    const { stdout } = await cluster.kubectl(['get', 'namespaces']);
    assert.match(stdout, /^NAME\s+STATUS\s+AGE$/m);
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      assert.match(stdout, new RegExp(`^${name}\\s+Active\\s+\\S+$`, 'm'), name);
    }
  });

  test('creating in a missing namespace fails; listing there is empty', async () => {
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: orphan\n';
    assert.equal(await failing(['-n', 'nowhere', 'create', '-f', '-'], manifest), 'Error from server (NotFound): error when creating "STDIN": namespaces "nowhere" not found\n');
    assert.equal(await failing(['-n', 'nowhere', 'create', 'configmap', 'orphan']), 'error: failed to create configmap: namespaces "nowhere" not found\n');
    const list = await cluster.kubectl(['-n', 'nowhere', 'get', 'configmaps']);
    assert.equal(list.stdout, '');
    assert.equal(list.stderr, 'No resources found in nowhere namespace.\n');
  });

  test('system namespaces cannot be deleted', async () => {
    assert.equal(await failing(['delete', 'namespace', 'default']), 'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted\n');
    assert.equal(await failing(['delete', 'namespace', 'kube-system']), 'Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted\n');
  });
});
