/**
 * Delegated authentication without TLS (certificates are covered by
 * guard.test.ts on a real HTTPS server): bearer tokens through TokenReview,
 * what is cached and for how long, anonymous requests, and the WebSocket
 * token subprotocol — cases from upstream's bearertoken, websocket and
 * cached token authenticator tests.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { bearerToken, delegatedAuthenticator, webSocketToken } from './authenticate.js';
import { fakeReviewer } from './testing.js';

const request = (headers: Record<string, string | string[]> = {}) => ({ headers: { ...headers }, socket: {} }) as unknown as IncomingMessage;
const bearer = (token: string) => request({ authorization: `Bearer ${token}` });
const alice = { username: 'system:serviceaccount:monitoring:prometheus', uid: 'u-1', groups: ['system:serviceaccounts', 'system:serviceaccounts:monitoring'] };

describe('bearer tokens', () => {
  it('reads the Authorization header as upstream', () => {
    const cases: [string | undefined, string | undefined][] = [
      ['Bearer abc', 'abc'],
      ['bearer abc', 'abc'],
      ['BEARER abc', 'abc'],
      ['  Bearer abc  ', 'abc'],
      ['Bearer abc def', 'abc'],
      ['Bearer  abc', undefined], // an empty token, then the token: ignored
      ['Bearer', undefined],
      ['Bearer ', undefined],
      ['Basic YWxpY2U6cGFzcw==', undefined],
      ['', undefined],
      [undefined, undefined],
    ];
    for (const [header, token] of cases) assert.equal(bearerToken(header), token, JSON.stringify(header));
  });

  it('asks a TokenReview (no audiences), adds system:authenticated and removes the header', async () => {
    const reviewer = fakeReviewer({ tokens: { good: alice } });
    const authn = delegatedAuthenticator({ client: reviewer.client });
    const req = bearer('good');
    assert.deepEqual(await authn.authenticate(req), { ...alice, groups: [...alice.groups, 'system:authenticated'] });
    assert.equal(req.headers.authorization, undefined);
    assert.deepEqual(reviewer.tokenReviews, [{ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: { token: 'good' } }]);
  });

  it('keeps the answer for cacheTtlMs (2 minutes by default), then asks again', async () => {
    let now = 0;
    const reviewer = fakeReviewer({ tokens: { good: alice } });
    const authn = delegatedAuthenticator({ client: reviewer.client, now: () => now });
    await authn.authenticate(bearer('good'));
    now += 119_999;
    await authn.authenticate(bearer('good'));
    assert.equal(reviewer.tokenReviews.length, 1);
    now += 1;
    await authn.authenticate(bearer('good'));
    assert.equal(reviewer.tokenReviews.length, 2);
  });

  it('refuses an unknown token (401), and keeps that answer too', async () => {
    const reviewer = fakeReviewer();
    const authn = delegatedAuthenticator({ client: reviewer.client, cacheTtlMs: 10_000 });
    assert.equal(await authn.authenticate(bearer('forged')), 'unauthorized');
    assert.equal(await authn.authenticate(bearer('forged')), 'unauthorized');
    assert.equal(reviewer.tokenReviews.length, 1);
  });

  it('never keeps an error: a review that says why, or one that could not be made', async () => {
    const reviewer = fakeReviewer({ tokens: { expired: { error: 'token has expired' } } });
    const logged: unknown[] = [];
    const authn = delegatedAuthenticator({ client: reviewer.client, log: (event) => logged.push(event) });
    assert.equal(await authn.authenticate(bearer('expired')), 'unauthorized');
    assert.equal(await authn.authenticate(bearer('expired')), 'unauthorized');
    assert.equal(reviewer.tokenReviews.length, 2);
    reviewer.failing = true;
    assert.equal(await authn.authenticate(bearer('other')), 'unauthorized');
    reviewer.failing = false;
    assert.equal(await authn.authenticate(bearer('other')), 'unauthorized');
    assert.equal(reviewer.tokenReviews.length, 3);
    assert.match(JSON.stringify(logged[0]), /Unable to authenticate the request due to an error.*token has expired/);
  });

  it('asks once for a token many requests bring at the same time', async () => {
    const reviewer = fakeReviewer({ tokens: { good: alice } });
    const authn = delegatedAuthenticator({ client: reviewer.client });
    const users = await Promise.all(Array.from({ length: 20 }, () => authn.authenticate(bearer('good'))));
    assert.equal(reviewer.tokenReviews.length, 1);
    assert.ok(users.every((user) => typeof user === 'object' && user.username === alice.username));
  });

  it('keeps at most cacheSize answers: a flood of tokens pushes the oldest out', async () => {
    const reviewer = fakeReviewer({ tokens: { good: alice } });
    const authn = delegatedAuthenticator({ client: reviewer.client, cacheSize: 2 });
    await authn.authenticate(bearer('good'));
    await authn.authenticate(bearer('junk-1'));
    await authn.authenticate(bearer('junk-2'));
    await authn.authenticate(bearer('good'));
    assert.equal(reviewer.tokenReviews.length, 4);
  });

  it('with audiences: sends them, and refuses a token the review says is for others', async () => {
    const forUs = fakeReviewer({ tokens: { good: alice } });
    const authn = delegatedAuthenticator({ client: forUs.client, audiences: ['https://kubernetes.default.svc'] });
    assert.equal(typeof (await authn.authenticate(bearer('good'))), 'object');
    assert.deepEqual(forUs.tokenReviews[0].spec, { token: 'good', audiences: ['https://kubernetes.default.svc'] });
    const forOthers = fakeReviewer({ tokens: { good: alice }, tokenAudiences: ['vault'] });
    const strict = delegatedAuthenticator({ client: forOthers.client, audiences: ['https://kubernetes.default.svc'] });
    assert.equal(await strict.authenticate(bearer('good')), 'unauthorized');
  });

  it('does not add system:authenticated twice', async () => {
    const reviewer = fakeReviewer({ tokens: { good: { username: 'bob', groups: ['system:authenticated', 'devs'] } } });
    const authn = delegatedAuthenticator({ client: reviewer.client });
    assert.deepEqual(await authn.authenticate(bearer('good')), { username: 'bob', groups: ['system:authenticated', 'devs'] });
  });
});

describe('no credentials', () => {
  it('is system:anonymous in system:unauthenticated (the kubelet default), or nobody when anonymous requests are off', async () => {
    const reviewer = fakeReviewer();
    assert.deepEqual(await delegatedAuthenticator({ client: reviewer.client }).authenticate(request()), { username: 'system:anonymous', groups: ['system:unauthenticated'] });
    assert.deepEqual(await delegatedAuthenticator({ client: reviewer.client }).authenticate(request({ authorization: 'Basic YTpi' })), {
      username: 'system:anonymous',
      groups: ['system:unauthenticated'],
    });
    assert.equal(await delegatedAuthenticator({ client: reviewer.client, anonymous: false }).authenticate(request()), undefined);
    assert.equal(reviewer.tokenReviews.length, 0);
  });
});

describe('WebSocket bearer token subprotocol', () => {
  const upgrade = (protocols: string) => request({ connection: 'keep-alive, Upgrade', upgrade: 'websocket', 'sec-websocket-protocol': protocols });
  const encoded = (token: string) => `base64url.bearer.authorization.k8s.io.${Buffer.from(token).toString('base64url')}`;

  it('reads the token and leaves the other subprotocols, as upstream', () => {
    const cases: [string, ReturnType<typeof webSocketToken>][] = [
      [`${encoded('good')}, v5.channel.k8s.io`, { token: 'good', otherProtocols: ['v5.channel.k8s.io'] }],
      ['v5.channel.k8s.io', undefined],
      [encoded('good'), { error: 'missing additional subprotocol' }],
      [`${encoded('a')},${encoded('b')},v5.channel.k8s.io`, { error: 'multiple base64.bearer.authorization tokens specified' }],
      ['base64url.bearer.authorization.k8s.io.not+url/safe, v5.channel.k8s.io', { error: 'invalid base64.bearer.authorization token encoding' }],
      [`base64url.bearer.authorization.k8s.io.${Buffer.from([0xff, 0xfe]).toString('base64url')}, v5.channel.k8s.io`, { error: 'invalid base64.bearer.authorization token' }],
    ];
    for (const [protocols, expected] of cases) assert.deepEqual(webSocketToken(upgrade(protocols)), expected, protocols);
    assert.equal(webSocketToken(request({ 'sec-websocket-protocol': encoded('good') })), undefined, 'not an upgrade');
  });

  it('authenticates with it and takes it out of the offered subprotocols', async () => {
    const reviewer = fakeReviewer({ tokens: { good: alice } });
    const req = upgrade(`${encoded('good')}, v5.channel.k8s.io`);
    const user = await delegatedAuthenticator({ client: reviewer.client }).authenticate(req);
    assert.equal(typeof user === 'object' && user.username, alice.username);
    assert.equal(req.headers['sec-websocket-protocol'], 'v5.channel.k8s.io');
    assert.equal(await delegatedAuthenticator({ client: reviewer.client }).authenticate(upgrade(`${encoded('forged')}, v5.channel.k8s.io`)), 'unauthorized');
  });
});
