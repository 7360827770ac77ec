/**
 * Service account tokens: `kubectl create token` (TokenRequest) gives a
 * token that authenticates as the service account; a forged or too-short
 * one does not. A token bound to a pod, secret or node stops working the
 * moment that object is deleted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';

describe('service account tokens', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kubectl create token: the token is accepted as a bearer token until the service account is recreated', async () => {
    await cluster.kubectl(['create', 'serviceaccount', 'robot']);
    const token = (await cluster.kubectl(['create', 'token', 'robot', '--duration=15m'])).stdout.trim();
    assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    // Only the token: no client certificate.
    const asToken = (t: string) => ['--kubeconfig=/dev/null', `--server=https://127.0.0.1:${cluster.port}`, '--insecure-skip-tls-verify', `--token=${t}`, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'];
    // Whoever a token is may ask who they are (system:basic-user): the answer shows the token was accepted.
    assert.equal((await cluster.kubectl(asToken(token))).stdout.trim(), 'system:serviceaccount:default:robot');
    const forged = await cluster.kubectl(asToken(`${token.slice(0, -4)}AAAA`), { allowFailure: true });
    assert.match(forged.stderr, /Unauthorized/);

    const short = await cluster.kubectl(['create', 'token', 'robot', '--duration=1m'], { allowFailure: true });
    assert.match(short.stderr, /spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes/);

    await cluster.kubectl(['delete', 'serviceaccount', 'robot']);
    await cluster.kubectl(['create', 'serviceaccount', 'robot']);
    const stale = await cluster.kubectl(asToken(token), { allowFailure: true });
    assert.match(stale.stderr, /Unauthorized/, 'a token of the deleted service account');
  });

  test('a token bound to a pod, secret or node is refused once that object is deleted', async () => {
    const asToken = (t: string) => ['--kubeconfig=/dev/null', `--server=https://127.0.0.1:${cluster.port}`, '--insecure-skip-tls-verify', `--token=${t}`, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'];
    await cluster.kubectl(['create', 'serviceaccount', 'bound']);
    await cluster.kubectl(['apply', '-f', '-'], {
      input: [
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: holder\nspec:\n  serviceAccountName: bound\n  containers:\n  - name: c\n    image: busybox\n',
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: holder\nstringData:\n  a: b\n',
        'apiVersion: v1\nkind: Node\nmetadata:\n  name: token-node\n',
      ].join('---\n'),
    });
    const tokenFor = async (kind: string, name: string) => (await cluster.kubectl(['create', 'token', 'bound', `--bound-object-kind=${kind}`, `--bound-object-name=${name}`])).stdout.trim();
    const tokens = { Pod: await tokenFor('Pod', 'holder'), Secret: await tokenFor('Secret', 'holder'), Node: await tokenFor('Node', 'token-node') };
    for (const token of Object.values(tokens)) assert.equal((await cluster.kubectl(asToken(token))).stdout.trim(), 'system:serviceaccount:default:bound');

    // The reference's uid must be the object's, and only these kinds can be bound.
    const stale = await cluster.kubectl(['create', 'token', 'bound', '--bound-object-kind=Pod', '--bound-object-name=holder', '--bound-object-uid=0000'], { allowFailure: true });
    assert.match(stale.stderr, /Operation cannot be fulfilled on Pod "holder": the UID in the bound object reference \(0000\) does not match the UID in record/);
    const missing = await cluster.kubectl(['create', 'token', 'bound', '--bound-object-kind=Pod', '--bound-object-name=nobody'], { allowFailure: true });
    assert.match(missing.stderr, /pods "nobody" not found/);

    // Deleted: refused on the very next request.
    await cluster.kubectl(['delete', 'pod', 'holder', '--grace-period=0', '--force']);
    assert.match((await cluster.kubectl(asToken(tokens.Pod), { allowFailure: true })).stderr, /Unauthorized/, 'the deleted pod\'s token');
    assert.equal((await cluster.kubectl(asToken(tokens.Secret))).stdout.trim(), 'system:serviceaccount:default:bound', 'other tokens still work');
    // A new pod of the same name is another pod: the old token stays refused.
    await cluster.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: holder\nspec:\n  serviceAccountName: bound\n  containers:\n  - name: c\n    image: busybox\n' });
    assert.match((await cluster.kubectl(asToken(tokens.Pod), { allowFailure: true })).stderr, /Unauthorized/, 'a recreated pod of that name');
    await cluster.kubectl(['delete', 'secret', 'holder']);
    assert.match((await cluster.kubectl(asToken(tokens.Secret), { allowFailure: true })).stderr, /Unauthorized/, 'the deleted secret\'s token');
    await cluster.kubectl(['delete', 'node', 'token-node']);
    assert.match((await cluster.kubectl(asToken(tokens.Node), { allowFailure: true })).stderr, /Unauthorized/, 'the deleted node\'s token');
  });
});
