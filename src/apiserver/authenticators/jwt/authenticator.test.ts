/**
 * The JWT authenticator against a real OIDC issuer: an HTTPS server on
 * loopback (its certificate from a test CA) serving discovery and a key
 * set that the tests rotate, and tokens signed with Node's crypto.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createCertificateAuthority, issueCertificate, type CertificateAndKey } from '../../pki/certificates.js';
import type { LogEvent } from '../../../util/log.js';
import { parseAuthenticationConfiguration } from './config.js';
import { jwtAuthenticator, type JwtAuthentication, type JwtAuthenticatorOptions } from './authenticator.js';
import { TokenCache } from './token-cache.js';

type Alg = 'RS256' | 'ES256' | 'PS256';

interface SigningKey {
  kid: string;
  alg: Alg;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

function signingKey(kid: string, alg: Alg = 'RS256'): SigningKey {
  const { privateKey, publicKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, alg, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg } };
}

function signToken(key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header })}.${encode(claims)}`;
  const signer =
    key.alg === 'ES256'
      ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' as const }
      : key.alg === 'PS256'
        ? { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : key.privateKey;
  return `${input}.${sign('sha256', Buffer.from(input), signer).toString('base64url')}`;
}

/** An OIDC issuer on loopback: discovery at the well-known path, keys at /keys. */
class TestIssuer {
  keys: SigningKey[] = [];
  keyFetches = 0;
  /** What discovery says the issuer is; a test may make it lie. */
  claimedIssuer?: string;
  private server?: Server;
  url = '';

  async start(serving: CertificateAndKey): Promise<void> {
    this.server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      if (req.url === '/.well-known/openid-configuration' || req.url === '/custom/discovery') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer: this.claimedIssuer ?? this.url, jwks_uri: `${this.url}/keys` }));
      } else if (req.url === '/keys') {
        this.keyFetches++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: this.keys.map((key) => key.publicJwk) }));
      } else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}

const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as IncomingMessage;
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function until(condition: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let ca: CertificateAndKey;
const issuer = new TestIssuer();
const rsaKey = signingKey('rsa-1');

before(async () => {
  ca = await createCertificateAuthority('jwt-test-ca', 1);
  const serving = await issueCertificate(ca, { commonName: 'issuer', subjectAltNames: ['127.0.0.1', 'localhost'], usage: 'server', days: 1 });
  issuer.keys = [rsaKey, signingKey('ec-1', 'ES256'), signingKey('ps-1', 'PS256')];
  await issuer.start(serving);
});
after(() => issuer.stop());

function configText(url: string, extra = '', caPem = ca.certPem): string {
  return `
apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: ${url}
    audiences: [kubernetes, other]
    audienceMatchPolicy: MatchAny
    certificateAuthority: |
${caPem.trim().split('\n').map((line) => `      ${line}`).join('\n')}
  claimValidationRules:
  - claim: tenant
    requiredValue: blue
  - expression: 'claims.?level.orValue(0) < 10'
    message: level too high
  claimMappings:
    username: {claim: sub, prefix: 'oidc:'}
    groups: {claim: groups, prefix: 'oidc:'}
    uid: {expression: '"uid-" + claims.sub'}
    extra:
    - key: example.com/tenant
      valueExpression: 'claims.?tenant.orValue("")'
    - key: example.com/empty
      valueExpression: '""'
  userValidationRules:
  - expression: '!user.username.startsWith("oidc:system:")'
    message: no system users
${extra}`;
}

interface Harness {
  auth: JwtAuthentication;
  reasons: string[];
}

async function harness(url: string, options: JwtAuthenticatorOptions = {}, extra = ''): Promise<Harness> {
  const reasons: string[] = [];
  const log = (event: LogEvent) => {
    if (event.msg === 'token rejected') reasons.push(String(event.why));
  };
  const auth = jwtAuthenticator(parseAuthenticationConfiguration(configText(url, extra)), { minKeyRefreshIntervalMs: 0, ...options, log });
  return { auth, reasons };
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: issuer.url, sub: 'alice', aud: ['kubernetes'], exp: nowSeconds() + 600, iat: nowSeconds(), tenant: 'blue', groups: ['dev', 'ops'], jti: 'token-1', ...overrides };
}

describe('JWT authenticator', () => {
  let h: Harness;
  before(async () => {
    h = await harness(issuer.url);
    await until(() => h.auth.healthCheck().length === 0, 'the issuer to be discovered');
  });
  after(() => h.auth.close());

  it('maps a valid token to its user: prefixes, groups, uid and extra from expressions', async () => {
    const user = await h.auth.authenticator(request(signToken(rsaKey, claims())));
    assert.deepEqual(user, {
      username: 'oidc:alice',
      uid: 'uid-alice',
      groups: ['oidc:dev', 'oidc:ops', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': ['JTI=token-1'], 'example.com/tenant': ['blue'] },
    });
  });

  it('verifies ES256 and PS256 signatures, and a groups claim that is one string', async () => {
    const [, ecKey, psKey] = issuer.keys;
    assert.equal((await h.auth.authenticator(request(signToken(ecKey, claims({ sub: 'ec' })))))?.username, 'oidc:ec');
    const user = await h.auth.authenticator(request(signToken(psKey, claims({ sub: 'ps', groups: 'admins', aud: 'other' }))));
    assert.deepEqual(user?.groups, ['oidc:admins', 'system:authenticated']);
  });

  const refusals: [string, () => string, RegExp][] = [
    ['wrong audience', () => signToken(rsaKey, claims({ aud: 'someone-else' })), /oidc: verify token: oidc: expected audience in \["kubernetes" "other"\] got \["someone-else"\]/],
    ['expired', () => signToken(rsaKey, claims({ exp: nowSeconds() - 1 })), /token is expired/],
    ['not yet valid (past the minute of leeway)', () => signToken(rsaKey, claims({ nbf: nowSeconds() + 120 })), /before the nbf/],
    ['no exp', () => signToken(rsaKey, claims({ exp: undefined })), /token is expired/],
    ['bad signature', () => signToken({ ...signingKey('rsa-1'), kid: 'rsa-1' }, claims()), /failed to verify signature/],
    ['alg none', () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`, /unsupported algorithm/],
    ['an ES256 key claimed as RS256', () => signToken({ ...issuer.keys[1], alg: 'RS256' } as SigningKey, claims()), /failed to verify signature|unsupported|malformed/],
    ['required claim missing', () => signToken(rsaKey, claims({ tenant: undefined })), /^oidc: required claim tenant not present in ID token$/],
    ['required claim different', () => signToken(rsaKey, claims({ tenant: 'red' })), /^oidc: required claim tenant value does not match. Got = red, want = blue$/],
    ['claim validation expression', () => signToken(rsaKey, claims({ level: 12 })), /validation expression 'claims.\?level.orValue\(0\) < 10' failed: level too high/],
    ['user validation rule', () => signToken(rsaKey, claims({ sub: 'system:admin' })), /user info validation rule: validation expression '!user.username.startsWith\("oidc:system:"\)' failed: no system users/],
    ['groups of the wrong type', () => signToken(rsaKey, claims({ groups: [1, 2] })), /parse groups claim "groups"/],
    ['a header that is not JSON', () => `${Buffer.from('{"alg":').toString('base64url')}.${signToken(rsaKey, claims()).split('.').slice(1).join('.')}`, /oidc: verify token: oidc: malformed jwt: header/],
    ['an exp that is not a time', () => signToken(rsaKey, claims({ exp: 'tomorrow' })), /cannot unmarshal string into Go struct field idToken.exp/],
    ['username claim missing', () => signToken(rsaKey, claims({ sub: undefined })), /parse username claims "sub": claim not present/],
  ];
  for (const [name, token, reason] of refusals) {
    it(`refuses: ${name}`, async () => {
      const before = h.reasons.length;
      assert.equal(await h.auth.authenticator(request(token())), undefined);
      assert.match(h.reasons.slice(before).join('\n'), reason);
    });
  }

  it('leaves tokens of other issuers, and non-JWT tokens, to other authenticators without a word', async () => {
    const before = h.reasons.length;
    assert.equal(await h.auth.authenticator(request(signToken(rsaKey, claims({ iss: 'https://kubernetes.default.svc' })))), undefined);
    assert.equal(await h.auth.authenticator(request('abcdef.0123456789abcdef')), undefined);
    assert.equal(await h.auth.authenticator({ headers: {} } as IncomingMessage), undefined);
    assert.equal(h.reasons.length, before);
  });

  it('fetches the keys again for an unknown kid, picking up a rotation', async () => {
    const rotated = signingKey('rsa-2');
    const token = signToken(rotated, claims({ sub: 'bob' }));
    const fetches = issuer.keyFetches;
    issuer.keys = [...issuer.keys, rotated];
    assert.equal((await h.auth.authenticator(request(token)))?.username, 'oidc:bob');
    assert.equal(issuer.keyFetches, fetches + 1);
  });
});

describe('JWT authenticator limits and failures', () => {
  it('fetches the keys at most once per interval, however many unknown kids arrive', async () => {
    const { auth, reasons } = await harness(issuer.url, { minKeyRefreshIntervalMs: 60_000 });
    try {
      await until(() => auth.healthCheck().length === 0, 'the issuer to be discovered');
      const fetches = issuer.keyFetches;
      for (let i = 0; i < 5; i++) assert.equal(await auth.authenticator(request(signToken(signingKey(`made-up-${i}`, 'ES256'), claims()))), undefined);
      assert.equal(issuer.keyFetches, fetches);
      assert.equal(reasons.length, 5);
    } finally {
      auth.close();
    }
  });

  it('fails the tokens of an issuer that is down, and reports it unhealthy', async () => {
    const down = new TestIssuer();
    const serving = await issueCertificate(ca, { commonName: 'down', subjectAltNames: ['127.0.0.1'], usage: 'server', days: 1 });
    await down.start(serving);
    const url = down.url;
    await down.stop();
    const logged: LogEvent[] = [];
    const auth = jwtAuthenticator(parseAuthenticationConfiguration(configText(url)), { log: (event) => logged.push(event) });
    try {
      await until(() => logged.some((event) => event.msg === 'initializing issuer failed'), 'the failed discovery to be logged');
      assert.equal(await auth.authenticator(request(signToken(rsaKey, claims({ iss: url })))), undefined);
      assert.match(logged.find((event) => event.msg === 'token rejected')?.why as string, /oidc: authenticator not initialized/);
      assert.match(auth.healthCheck()[0], new RegExp(`issuer "${url}" is not healthy`));
    } finally {
      auth.close();
    }
  });

  it('keeps verifying with the keys it holds when the issuer goes down later', async () => {
    const flaky = new TestIssuer();
    flaky.keys = [rsaKey];
    await flaky.start(await issueCertificate(ca, { commonName: 'flaky', subjectAltNames: ['127.0.0.1'], usage: 'server', days: 1 }));
    const { auth } = await harness(flaky.url);
    try {
      await until(() => auth.healthCheck().length === 0, 'the issuer to be discovered');
      await flaky.stop();
      const user = await auth.authenticator(request(signToken(rsaKey, claims({ iss: flaky.url, jti: randomUUID() }))));
      assert.equal(user?.username, 'oidc:alice');
      assert.equal(await auth.authenticator(request(signToken(signingKey('unknown'), claims({ iss: flaky.url })))), undefined);
    } finally {
      auth.close();
    }
  });

  it('refuses an issuer whose discovery names another issuer', async () => {
    const liar = new TestIssuer();
    liar.keys = [rsaKey];
    await liar.start(await issueCertificate(ca, { commonName: 'liar', subjectAltNames: ['127.0.0.1'], usage: 'server', days: 1 }));
    liar.claimedIssuer = 'https://someone-else.example.com';
    const { auth } = await harness(liar.url);
    try {
      await until(() => /issuer did not match the issuer returned by provider/.test(auth.healthCheck()[0] ?? ''), 'the mismatch to be reported');
    } finally {
      auth.close();
      await liar.stop();
    }
  });

  it('reads discovery from discoveryURL as given', async () => {
    const config = parseAuthenticationConfiguration(configText('https://issuer.example.com').replace('audiences:', `discoveryURL: ${issuer.url}/custom/discovery\n    audiences:`));
    issuer.claimedIssuer = 'https://issuer.example.com';
    const auth = jwtAuthenticator(config, { minKeyRefreshIntervalMs: 0 });
    try {
      await until(() => auth.healthCheck().length === 0, 'discovery through discoveryURL');
      const user = await auth.authenticator(request(signToken(rsaKey, claims({ iss: 'https://issuer.example.com' }))));
      assert.equal(user?.username, 'oidc:alice');
    } finally {
      auth.close();
      issuer.claimedIssuer = undefined;
    }
  });

  it('takes the email claim as username only when email_verified is absent or true', async () => {
    const config = parseAuthenticationConfiguration(configText(issuer.url).replace("username: {claim: sub, prefix: 'oidc:'}", "username: {claim: email, prefix: ''}"));
    const reasons: string[] = [];
    const auth = jwtAuthenticator(config, { log: (event) => void reasons.push(String(event.why)) });
    try {
      await until(() => auth.healthCheck().length === 0, 'the issuer to be discovered');
      const email = (verified?: boolean) => auth.authenticator(request(signToken(rsaKey, claims({ email: 'a@example.com', email_verified: verified }))));
      assert.equal((await email(true))?.username, 'a@example.com');
      assert.equal((await email(undefined))?.username, 'a@example.com');
      assert.equal(await email(false), undefined);
      assert.match(reasons.join('\n'), /oidc: email not verified/);
    } finally {
      auth.close();
    }
  });

  it('trusts only the configured CA', async () => {
    const otherCa = await createCertificateAuthority('other-ca', 1);
    const auth = jwtAuthenticator(parseAuthenticationConfiguration(configText(issuer.url, '', otherCa.certPem)));
    try {
      await until(() => /certificate/i.test(auth.healthCheck()[0] ?? ''), 'the TLS failure to be reported');
      assert.equal(await auth.authenticator(request(signToken(rsaKey, claims()))), undefined);
    } finally {
      auth.close();
    }
  });
});

describe('token cache', () => {
  it('keeps users for the TTL but never past the token expiry, and stays bounded', () => {
    const cache = new TokenCache(10_000, 2);
    const user = { username: 'a', groups: [] };
    cache.set('t1', user, 0, 5_000);
    assert.equal(cache.get('t1', 4_999), user);
    assert.equal(cache.get('t1', 5_000), undefined);
    cache.set('t2', user, 0, 60_000);
    assert.equal(cache.get('t2', 9_999), user);
    assert.equal(cache.get('t2', 10_000), undefined);
    cache.set('a', user, 0, 60_000);
    cache.set('b', user, 0, 60_000);
    cache.set('c', user, 0, 60_000);
    assert.equal(cache.get('a', 1), undefined);
    assert.equal(cache.get('c', 1), user);
  });
});
