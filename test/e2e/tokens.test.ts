/**
 * Service account tokens: `kubectl create token` (TokenRequest) gives a
 * token that authenticates as the service account; a forged or too-short
 * one does not.
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
    const asToken = (t: string) => ['--kubeconfig=/dev/null', `--server=https://127.0.0.1:${cluster.port}`, '--insecure-skip-tls-verify', `--token=${t}`, 'get', 'namespace', 'default', '-o', 'name'];
    assert.equal((await cluster.kubectl(asToken(token))).stdout.trim(), 'namespace/default');
    const forged = await cluster.kubectl(asToken(`${token.slice(0, -4)}AAAA`), { allowFailure: true });
    assert.match(forged.stderr, /Unauthorized/);

    const short = await cluster.kubectl(['create', 'token', 'robot', '--duration=1m'], { allowFailure: true });
    assert.match(short.stderr, /spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes/);

    await cluster.kubectl(['delete', 'serviceaccount', 'robot']);
    await cluster.kubectl(['create', 'serviceaccount', 'robot']);
    const stale = await cluster.kubectl(asToken(token), { allowFailure: true });
    assert.match(stale.stderr, /Unauthorized/, 'a token of the deleted service account');
  });
});
