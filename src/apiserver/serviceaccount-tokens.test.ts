import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { apiAudience, ServiceAccountTokens } from './serviceaccount-tokens.js';

const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const now = new Date('2026-12-01T12:00:00Z');

test('a token names its service account and pod, and verifies until it expires', () => {
  const tokens = new ServiceAccountTokens(key);
  const { token, expires } = tokens.issue({ namespace: 'ns', name: 'robot', uid: 'u1', audiences: [apiAudience], expirationSeconds: 600, pod: { name: 'p', uid: 'pu' }, now });
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
  const authenticate = tokens.authenticator(async (namespace, name) => accounts.get(`${namespace}/${name}`), () => now);
  const good = tokens.issue({ namespace: 'ns', name: 'robot', uid: 'u1', audiences: [apiAudience], expirationSeconds: 3600, now }).token;
  assert.deepEqual(await authenticate(request(good)), {
    username: 'system:serviceaccount:ns:robot',
    uid: 'u1',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'],
  });
  const otherAudience = tokens.issue({ namespace: 'ns', name: 'robot', uid: 'u1', audiences: ['vault'], expirationSeconds: 3600, now }).token;
  assert.equal(await authenticate(request(otherAudience)), undefined);
  accounts.set('ns/robot', 'u2');
  assert.equal(await authenticate(request(good)), undefined, 'a recreated service account does not accept old tokens');
});
