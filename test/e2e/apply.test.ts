/**
 * `kubectl apply` of a multi-document file, then of a changed file: the
 * three-way merge (last-applied, live, new) removes what the file no longer
 * says and keeps what others added. Then the read side: get across types and
 * namespaces, the output formats, describe.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';

const first = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    tier: frontend
spec:
  replicas: 2
  minReadySeconds: 5
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: first
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels:
    app: web
data:
  greeting: hello
  farewell: goodbye
`;

// minReadySeconds, the env var, the tier label and the farewell key are gone;
// the image and replicas changed; the Service is the same.
const second = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.28
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels:
    app: web
data:
  greeting: hello again
`;

describe('kubectl apply', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('apply -f of a multi-document file creates each object', async () => {
    const { stdout } = await cluster.kubectl(['apply', '-f', '-'], { input: first });
    assert.equal(stdout, 'deployment.apps/web created\nservice/web created\nconfigmap/web-config created\n');
    const annotation = await cluster.kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}']);
    const lastApplied = JSON.parse(annotation.stdout);
    assert.equal(lastApplied.spec.minReadySeconds, 5);
    assert.equal(lastApplied.metadata.labels.tier, 'frontend');
  });

  test('applying the same file again changes nothing', async () => {
    const { stdout } = await cluster.kubectl(['apply', '-f', '-'], { input: first });
    assert.equal(stdout, 'deployment.apps/web unchanged\nservice/web unchanged\nconfigmap/web-config unchanged\n');
  });

  test('a changed file is a three-way update: removed fields and labels go, labels set by others stay', async () => {
    await cluster.kubectl(['label', 'deployment', 'web', 'owner=ops']);
    const { stdout } = await cluster.kubectl(['apply', '-f', '-'], { input: second });
    assert.equal(stdout, 'deployment.apps/web configured\nservice/web unchanged\nconfigmap/web-config configured\n');

    const deployment = JSON.parse((await cluster.kubectl(['get', 'deployment', 'web', '-o', 'json'])).stdout);
    assert.deepEqual(deployment.metadata.labels, { app: 'web', owner: 'ops' });
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(deployment.spec.minReadySeconds, undefined);
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(container.image, 'nginx:1.28');
    assert.equal(container.env, undefined);
    assert.equal(deployment.metadata.generation, 2);

    const configMap = JSON.parse((await cluster.kubectl(['get', 'configmap', 'web-config', '-o', 'json'])).stdout);
    assert.deepEqual(configMap.data, { greeting: 'hello again' });
  });

  test('get deploy,svc,cm -A prints one table per type with the namespace and type-qualified names', async () => {
    const { stdout } = await cluster.kubectl(['get', 'deploy,svc,cm', '-A']);
    const tables = stdout.trimEnd().split('\n\n');
    assert.equal(tables.length, 3, stdout);
    assert.match(tables[0], /^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
    assert.match(tables[0], /^default\s+deployment\.apps\/web\s+\d+\/3\s+\d+\s+\d+\s+\S+$/m);
    assert.match(tables[1], /^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
    assert.match(tables[1], /^default\s+service\/kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443\/TCP\s+\S+$/m);
    assert.match(tables[1], /^default\s+service\/web\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+$/m);
    assert.match(tables[2], /^NAMESPACE\s+NAME\s+DATA\s+AGE\n/);
    assert.match(tables[2], /^default\s+configmap\/web-config\s+1\s+\S+$/m);
  });

  test('-o json, -o yaml, -o jsonpath, -o name', async () => {
    const json = JSON.parse((await cluster.kubectl(['get', 'svc', 'web', '-o', 'json'])).stdout);
    assert.equal(json.kind, 'Service');
    assert.equal(json.apiVersion, 'v1');
    assert.equal(json.spec.type, 'ClusterIP');
    assert.deepEqual(json.spec.ports, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }]);

    const yaml = (await cluster.kubectl(['get', 'cm', 'web-config', '-o', 'yaml'])).stdout;
    assert.match(yaml, /^apiVersion: v1$/m);
    assert.match(yaml, /^kind: ConfigMap$/m);
    assert.match(yaml, /^data:\n {2}greeting: hello again$/m);
    assert.match(yaml, /^ {2}resourceVersion: "\d+"$/m);

    const image = await cluster.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    assert.equal(image.stdout, 'nginx:1.28');
    const names = await cluster.kubectl(['get', 'deploy,svc', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}']);
    assert.equal(names.stdout, 'Deployment/web\nService/kubernetes\nService/web\n');

    const byName = await cluster.kubectl(['get', 'deploy,cm', '-l', 'app=web', '-o', 'name']);
    assert.equal(byName.stdout, 'deployment.apps/web\nconfigmap/web-config\n');
  });

  test('-o wide adds the wide columns', async () => {
    const deployments = (await cluster.kubectl(['get', 'deploy', '-o', 'wide'])).stdout;
    assert.match(deployments, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
    assert.match(deployments, /^web\s+\d+\/3\s+\d+\s+\d+\s+\S+\s+nginx\s+nginx:1\.28\s+app=web$/m);
    const services = (await cluster.kubectl(['get', 'svc', 'web', '-o', 'wide'])).stdout;
    assert.match(services, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/m);
    assert.match(services, /^web\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+\s+app=web$/m);
  });

  test('describe prints the fields a person reads', async () => {
    const { stdout } = await cluster.kubectl(['describe', 'deployment', 'web']);
    assert.match(stdout, /^Name:\s+web$/m);
    assert.match(stdout, /^Namespace:\s+default$/m);
    assert.match(stdout, /^Labels:\s+app=web$/m);
    assert.match(stdout, /^\s+owner=ops$/m);
    assert.match(stdout, /^Selector:\s+app=web$/m);
    assert.match(stdout, /^Replicas:\s+3 desired \| \d+ updated \| \d+ total \| \d+ available \| \d+ unavailable$/m);
    assert.match(stdout, /^StrategyType:\s+RollingUpdate$/m);
    assert.match(stdout, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    assert.match(stdout, /^\s+Image:\s+nginx:1\.28$/m);
    assert.match(stdout, /^Events:\s+/m);

    const service = (await cluster.kubectl(['describe', 'svc', 'web'])).stdout;
    assert.match(service, /^Name:\s+web$/m);
    assert.match(service, /^Selector:\s+app=web$/m);
    assert.match(service, /^Type:\s+ClusterIP$/m);
    assert.match(service, /^Port:\s+http\s+80\/TCP$/m);
    assert.match(service, /^TargetPort:\s+80\/TCP$/m);

    const configMap = (await cluster.kubectl(['describe', 'cm', 'web-config'])).stdout;
    assert.match(configMap, /^Data\n====\ngreeting:\n----\nhello again\n/m);
  });
});
