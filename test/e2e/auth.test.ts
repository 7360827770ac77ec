/**
 * Who the apiserver thinks a client is, with kubectl 1.32: `kubectl auth
 * whoami` for the admin's certificate and for a service account's token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from './harness.js';

describe('kubectl auth whoami', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test("the admin certificate's user and groups", async () => {
    const lines = (await cluster.kubectl(['auth', 'whoami'])).stdout.trim().split('\n');
    assert.match(lines[0], /^ATTRIBUTE\s+VALUE$/);
    assert.match(lines[1], /^Username\s+skiff-admin$/);
    assert.match(lines[2], /^Groups\s+\[system:masters system:authenticated\]$/);
  });

  test("a service account token's user and groups", async () => {
    // The service account controller makes `default` shortly after the start.
    await waitFor(async () => (await cluster.kubectl(['get', 'serviceaccount', 'default'], { allowFailure: true })).code === 0, { message: 'the default service account' });
    const token = (await cluster.kubectl(['create', 'token', 'default'])).stdout.trim();
    // A kubeconfig with the token alone: a client certificate, when sent too, would be who the request is.
    const tokenOnly = ['--kubeconfig', '/dev/null', '--server', `https://127.0.0.1:${cluster.port}`, '--insecure-skip-tls-verify', '--token', token];
    const review = JSON.parse((await cluster.kubectl(['auth', 'whoami', ...tokenOnly, '-o', 'json'])).stdout);
    assert.equal(review.kind, 'SelfSubjectReview');
    assert.equal(review.status.userInfo.username, 'system:serviceaccount:default:default');
    assert.deepEqual(review.status.userInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
  });
});
