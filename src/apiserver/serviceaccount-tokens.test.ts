import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { apiAudience, boundObjectsProblem, ServiceAccountTokens, type BoundKind, type BoundObject } from './serviceaccount-tokens.js';

const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const now = new Date('2026-12-01T12:00:00Z');

test('a token names its service account and pod, and verifies until it expires', () => {
  const tokens = new ServiceAccountTokens(key);
  const { token, expires } = tokens.issue({ namespace: 'ns', name: 'robot', uid: 'u1', audiences: [apiAudience], expirationSeconds: 600, bound: { pod: { name: 'p', uid: 'pu' } }, now });
  assert.equal(expires.toISOString(), '2026-12-01T12:10:00.000Z');
  const claims = tokens.verify(token, now)!;
  assert.equal(claims.sub, 'system:serviceaccount:ns:robot');
  assert.deepEqual(claims['kubernetes.io'].pod, { name: 'p', uid: 'pu' });
  assert.equal(tokens.verify(token, new Date('2026-12-01T12:10:01Z')), undefined, 'expired');
  const [header, payload, signature] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:ns:admin' })).toString('base64url');
  assert.equal(tokens.verify(`${header}.${forged}.${signature}`, now), undefined, 'a changed payload does not verify');
  assert.equal(new ServiceAccountTokens(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).verify(token, now), undefined, 'another key');
  assert.ok(payload);
});

test('the authenticator accepts tokens for the apiserver while the service account (same uid) exists', async () => {
  const tokens = new ServiceAccountTokens(key);
  const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as IncomingMessage;
  const accounts = new Map([['ns/robot', 'u1']]);
  const authenticate = tokens.authenticator(async (kind, namespace, name) => (kind === 'ServiceAccount' && accounts.has(`${namespace}/${name}`) ? { uid: accounts.get(`${namespace}/${name}`) } : undefined), () => now);
  const good = tokens.issue({ namespace: 'ns', name: 'robot', uid: 'u1', audiences: [apiAudience], expirationSeconds: 3600, now }).token;
  const user = await authenticate(request(good));
  const jti = (tokens.verify(good, now) as { jti: string }).jti;
  assert.deepEqual(user, {
    username: 'system:serviceaccount:ns:robot',
    uid: 'u1',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'],
    // As upstream: the token's id rides along (a bound token adds its pod and node).
    extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${jti}`] },
  });
  const otherAudience = tokens.issue({ namespace: 'ns', name: 'robot', uid: 'u1', audiences: ['vault'], expirationSeconds: 3600, now }).token;
  assert.equal(await authenticate(request(otherAudience)), undefined);
  accounts.set('ns/robot', 'u2');
  assert.equal(await authenticate(request(good)), undefined, 'a recreated service account does not accept old tokens');
});

/** A cluster of a few objects, by kind and namespace/name. */
function objects(entries: [BoundKind, string, BoundObject][]) {
  const map = new Map(entries.map(([kind, key, object]) => [`${kind}:${key}`, object]));
  return {
    map,
    read: async (kind: BoundKind, namespace: string | undefined, name: string) => map.get(`${kind}:${namespace ? `${namespace}/` : ''}${name}`),
  };
}

test('a bound token is valid while the pod, secret or node it is bound to exists with the same uid', async () => {
  const tokens = new ServiceAccountTokens(key);
  const cluster = objects([
    ['ServiceAccount', 'ns/robot', { uid: 'sa1' }],
    ['Pod', 'ns/web', { uid: 'pod1' }],
    ['Secret', 'ns/creds', { uid: 'sec1' }],
    ['Node', 'n1', { uid: 'node1' }],
  ]);
  const claimsOf = (bound: Parameters<ServiceAccountTokens['issue']>[0]['bound']) =>
    tokens.verify(tokens.issue({ namespace: 'ns', name: 'robot', uid: 'sa1', audiences: [apiAudience], expirationSeconds: 3600, bound, now }).token, now)!;
  const podBound = claimsOf({ pod: { name: 'web', uid: 'pod1' }, node: { name: 'n1', uid: 'node1' } });
  const secretBound = claimsOf({ secret: { name: 'creds', uid: 'sec1' } });
  const nodeBound = claimsOf({ node: { name: 'n1', uid: 'node1' } });
  for (const claims of [podBound, secretBound, nodeBound]) assert.equal(await boundObjectsProblem(claims, cluster.read, now), undefined);

  // A pod-bound token names its node for information only: the node going away does not matter to it.
  cluster.map.delete('Node:n1');
  assert.equal(await boundObjectsProblem(podBound, cluster.read, now), undefined);
  assert.equal(await boundObjectsProblem(nodeBound, cluster.read, now), 'service account token has been invalidated');
  cluster.map.set('Node:n1', { uid: 'node2' });
  assert.equal(await boundObjectsProblem(nodeBound, cluster.read, now), 'node UID (node2) does not match service account node ref claim (node1)');

  cluster.map.delete('Pod:ns/web');
  assert.equal(await boundObjectsProblem(podBound, cluster.read, now), 'service account token has been invalidated');
  cluster.map.set('Pod:ns/web', { uid: 'pod2' });
  assert.equal(await boundObjectsProblem(podBound, cluster.read, now), 'pod UID (pod2) does not match service account pod ref claim (pod1)');
  // Terminating: still valid within the leeway after its deletion time, then not.
  cluster.map.set('Pod:ns/web', { uid: 'pod1', deletionTimestamp: new Date(now.getTime() - 30_000).toISOString() });
  assert.equal(await boundObjectsProblem(podBound, cluster.read, now), undefined);
  cluster.map.set('Pod:ns/web', { uid: 'pod1', deletionTimestamp: new Date(now.getTime() - 61_000).toISOString() });
  assert.equal(await boundObjectsProblem(podBound, cluster.read, now), 'service account token has been invalidated');

  cluster.map.delete('Secret:ns/creds');
  assert.equal(await boundObjectsProblem(secretBound, cluster.read, now), 'service account token has been invalidated');

  // The service account itself: gone, or another one of the same name.
  cluster.map.set('ServiceAccount:ns/robot', { uid: 'sa2' });
  assert.equal(await boundObjectsProblem(claimsOf(undefined), cluster.read, now), 'service account UID (sa2) does not match claim (sa1)');
  cluster.map.delete('ServiceAccount:ns/robot');
  assert.equal(await boundObjectsProblem(claimsOf(undefined), cluster.read, now), 'serviceaccounts "robot" not found');
});
