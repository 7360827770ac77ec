/**
 * Who may do what, with kubectl 1.32 against `skiff up` (Node + RBAC, the
 * default policy): a user bound to `view` reads and cannot write, with
 * upstream's Forbidden message; `auth can-i` (--list, --as) and `whoami`
 * under impersonation; escalation through roles and bindings is refused; a
 * pod's default token can do nothing of note; impersonation needs the
 * `impersonate` verb; a node's certificate reaches only what its pods need.
 *
 * Every cluster the harness stops also fails when a component was refused
 * a request: the controllers, scheduler, node agent and network components
 * of every e2e test prove their default roles suffice.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { startCluster, waitFor, type Cluster } from './harness.js';
import { issueClientCertificate, type ClusterPki } from '../../src/apiserver/pki/index.js';

describe('RBAC with kubectl', () => {
  let cluster: Cluster;
  const kubectl = (args: string[]) => cluster.kubectl(args, { allowFailure: true });
  /** A kubeconfig-less kubectl with only these credentials (a client certificate in the kubeconfig would win). */
  let asCredentials: (credentials: string[]) => (args: string[]) => ReturnType<typeof kubectl>;

  before(async () => {
    // The node certificate below is refused on purpose; nothing else may be.
    cluster = await startCluster({ expectComponentRefusals: /"user":"system:node:intruder"/ });
    asCredentials = (credentials) => (args) => kubectl(['--kubeconfig', '/dev/null', '--server', `https://127.0.0.1:${cluster.port}`, '--insecure-skip-tls-verify', ...credentials, ...args]);
    await cluster.kubectl(['create', 'namespace', 'team']);
    await cluster.kubectl(['create', 'rolebinding', 'alice-view', '--clusterrole=view', '--user=alice', '-n', 'team']);
    await cluster.kubectl(['create', 'configmap', 'settings', '--from-literal=a=b', '-n', 'team']);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a user bound to view reads and cannot write, refused in upstream words', async () => {
    const read = await kubectl(['--as=alice', 'get', 'configmap', 'settings', '-n', 'team', '-o', 'name']);
    assert.equal(read.stdout.trim(), 'configmap/settings', read.stderr);
    const write = await kubectl(['--as=alice', 'delete', 'configmap', 'settings', '-n', 'team']);
    assert.equal(write.code, 1);
    assert.equal(write.stderr.trim(), 'Error from server (Forbidden): configmaps "settings" is forbidden: User "alice" cannot delete resource "configmaps" in API group "" in the namespace "team"');
    const elsewhere = await kubectl(['--as=alice', 'get', 'pods', '-n', 'default']);
    assert.equal(elsewhere.stderr.trim(), 'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
    // view holds no Secrets (upstream keeps them out of it).
    const secrets = await kubectl(['--as=alice', 'get', 'secrets', '-n', 'team']);
    assert.match(secrets.stderr, /secrets is forbidden: User "alice" cannot list resource "secrets"/);
  });

  test('auth can-i answers for a user, and lists what they may do', async () => {
    assert.equal((await kubectl(['auth', 'can-i', 'list', 'pods', '--as=alice', '-n', 'team'])).stdout.trim(), 'yes');
    const no = await kubectl(['auth', 'can-i', 'delete', 'pods', '--as=alice', '-n', 'team']);
    assert.equal(no.stdout.trim(), 'no');
    assert.equal(no.code, 1);
    const list = (await kubectl(['auth', 'can-i', '--list', '--as=alice', '-n', 'team'])).stdout;
    assert.match(list, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(list, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.match(list, /^\s+\[\/api\/\*\]\s+\[\]\s+\[get\]$/m);
    assert.doesNotMatch(list, /^secrets/m);
    // The admin may do anything.
    assert.equal((await kubectl(['auth', 'can-i', '*', '*'])).stdout.trim(), 'yes');
  });

  test('whoami shows the impersonated user', async () => {
    const review = JSON.parse((await kubectl(['auth', 'whoami', '--as=alice', '--as-group=devs', '-o', 'json'])).stdout);
    assert.deepEqual(review.status.userInfo, { username: 'alice', groups: ['devs', 'system:authenticated'] });
  });

  test('roles and bindings cannot grant more than their writer holds', async () => {
    // bob may write roles and bindings in team, and holds nothing else.
    await cluster.kubectl(['create', 'role', 'rbac-writer', '--verb=create,get,list,update', '--resource=roles,rolebindings', '-n', 'team']);
    await cluster.kubectl(['create', 'rolebinding', 'bob-rbac', '--role=rbac-writer', '--user=bob', '-n', 'team']);
    const bindAdmin = await kubectl(['--as=bob', 'create', 'rolebinding', 'bob-admin', '--clusterrole=admin', '--user=bob', '-n', 'team']);
    assert.equal(bindAdmin.code, 1);
    assert.match(bindAdmin.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "bob-admin" is forbidden: user "bob" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["bindings"\], Verbs:\["get" "list" "watch"\]\}/);
    const role = await kubectl(['--as=bob', 'create', 'role', 'pod-deleter', '--verb=delete', '--resource=pods', '-n', 'team']);
    assert.equal(role.code, 1);
    assert.match(role.stderr, /roles\.rbac\.authorization\.k8s\.io "pod-deleter" is forbidden: user "bob" .* is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["delete"\]\}/);
    // What bob holds he may pass on; with `bind` on view he may bind it without holding it.
    assert.equal((await kubectl(['--as=bob', 'create', 'role', 'role-reader', '--verb=get,list', '--resource=roles', '-n', 'team'])).code, 0);
    await cluster.kubectl(['create', 'role', 'view-binder', '--verb=bind', '--resource=clusterroles', '--resource-name=view', '-n', 'team']);
    await cluster.kubectl(['create', 'rolebinding', 'bob-binds-view', '--role=view-binder', '--user=bob', '-n', 'team']);
    const bindView = await kubectl(['--as=bob', 'create', 'rolebinding', 'carol-view', '--clusterrole=view', '--user=carol', '-n', 'team']);
    assert.equal(bindView.code, 0, bindView.stderr);
  });

  test("a pod's default token can do nothing of note", async () => {
    await waitFor(async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', 'team'])).code === 0, { message: "team's default service account" });
    const token = (await cluster.kubectl(['create', 'token', 'default', '-n', 'team'])).stdout.trim();
    const asPod = asCredentials(['--token', token]);
    const secrets = await asPod(['get', 'secrets', '-n', 'kube-system']);
    assert.equal(secrets.stderr.trim(), 'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:team:default" cannot list resource "secrets" in API group "" in the namespace "kube-system"');
    assert.match((await asPod(['delete', 'node', 'any'])).stderr, /nodes "any" is forbidden: User "system:serviceaccount:team:default" cannot delete resource "nodes"/);
    assert.match((await asPod(['create', 'clusterrolebinding', 'me', '--clusterrole=cluster-admin', '--serviceaccount=team:default'])).stderr, /is forbidden: User "system:serviceaccount:team:default" cannot create resource "clusterrolebindings"/);
    assert.match((await asPod(['create', 'token', 'default', '-n', 'kube-system'])).stderr, /is forbidden: User "system:serviceaccount:team:default" cannot create resource "serviceaccounts\/token"/);
    const impersonate = await asPod(['--as=alice', 'get', 'pods', '-n', 'team']);
    assert.equal(impersonate.stderr.trim(), 'Error from server (Forbidden): users "alice" is forbidden: User "system:serviceaccount:team:default" cannot impersonate resource "users" in API group "" at the cluster scope');
    // Discovery is open to every authenticated user, as upstream's system:discovery.
    assert.equal((await asPod(['auth', 'can-i', 'get', 'pods', '-n', 'team'])).stdout.trim(), 'no');
  });

  test('anonymous requests reach only the public endpoints', async () => {
    // kubectl without credentials asks for a password: plain HTTPS instead.
    const anonymous = (path: string) =>
      new Promise<{ code: number; body: string }>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port: cluster.port, path, rejectUnauthorized: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    assert.match((await anonymous('/version')).body, /"gitVersion"/);
    assert.deepEqual(await anonymous('/readyz'), { code: 200, body: 'ok' });
    const api = await anonymous('/api/v1/namespaces');
    assert.equal(api.code, 403);
    assert.equal(JSON.parse(api.body).message, 'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope');
  });

  test("a Secret's value is encrypted at rest, and reads back", async () => {
    const value = 'correct-horse-battery-staple-2f8e1c';
    await cluster.kubectl(['create', 'secret', 'generic', 'vault', `--from-literal=password=${value}`, '-n', 'team']);
    const read = await cluster.kubectl(['get', 'secret', 'vault', '-n', 'team', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(read.stdout, 'base64').toString(), value);
    // Neither the value nor its base64 is in the database files (the write-ahead log included).
    const db = join(cluster.dataDir, 'db');
    const bytes = readdirSync(db).map((file) => readFileSync(join(db, file)));
    for (const needle of [value, Buffer.from(value).toString('base64')]) assert.ok(!bytes.some((content) => content.includes(needle)), `${needle} found in ${db}`);
    assert.ok(bytes.some((content) => content.includes('k8s:enc:aescbc:v1:')), 'the stored Secret carries the aescbc prefix');
    assert.match(readFileSync(join(cluster.dataDir, 'encryption-config.yaml'), 'utf8'), /aescbc/);
  });

  test("a node's certificate reaches what its pods need and writes only its own objects", async () => {
    const pki = join(cluster.dataDir, 'pki');
    const ca = { caCertPem: readFileSync(join(pki, 'ca.crt'), 'utf8'), caKeyPem: readFileSync(join(pki, 'ca.key'), 'utf8') } as ClusterPki;
    const issued = await issueClientCertificate(ca, { commonName: 'system:node:intruder', organizations: ['system:nodes'] });
    writeFileSync(join(cluster.dataDir, 'intruder.crt'), issued.certPem);
    writeFileSync(join(cluster.dataDir, 'intruder.key'), issued.keyPem);
    const asNode = asCredentials(['--client-certificate', join(cluster.dataDir, 'intruder.crt'), '--client-key', join(cluster.dataDir, 'intruder.key')]);
    await cluster.kubectl(['create', 'secret', 'generic', 'db', '--from-literal=password=x', '-n', 'team']);
    const secret = await asNode(['get', 'secret', 'db', '-n', 'team']);
    assert.equal(secret.stderr.trim(), `Error from server (Forbidden): secrets "db" is forbidden: User "system:node:intruder" cannot get resource "secrets" in API group "" in the namespace "team": no relationship found between node 'intruder' and this object`);
    // Nodes may list pods (the node role), and may not touch another node.
    assert.equal((await asNode(['get', 'pods', '-A', '-o', 'name'])).code, 0);
    const other = await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'other' } }), allowFailure: true });
    assert.equal(other.code, 0, other.stderr);
    const label = await asNode(['label', 'node', 'other', 'stolen=yes']);
    assert.match(label.stderr, /nodes "other" is forbidden: node "intruder" is not allowed to modify node "other"/);
    // Nor evict a pod another node runs (the node role may evict; NodeRestriction narrows it to its own pods).
    await cluster.kubectl(['run', 'elsewhere', '--image=busybox', '-n', 'team', '--overrides={"spec":{"nodeName":"other"}}']);
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'elsewhere', namespace: 'team' } });
    const evict = await cluster.kubectl(
      ['--kubeconfig', '/dev/null', '--server', `https://127.0.0.1:${cluster.port}`, '--insecure-skip-tls-verify', '--client-certificate', join(cluster.dataDir, 'intruder.crt'), '--client-key', join(cluster.dataDir, 'intruder.key'), 'create', '--raw', '/api/v1/namespaces/team/pods/elsewhere/eviction', '-f', '-'],
      { input: eviction, allowFailure: true },
    );
    assert.match(evict.stderr, /node intruder can only evict pods with spec.nodeName set to itself/);
  });
});
