/**
 * OIDC users with kubectl 1.32: `skiff up --authentication-config` trusts a
 * JWT issuer the test serves on loopback (discovery and keys over HTTPS);
 * a token it signs authenticates with the claim mappings of the
 * configuration, and RBAC decides what the user may do.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from './harness.js';
import { createCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';

describe('OIDC users (--authentication-config)', () => {
  let cluster: Cluster;
  let issuer: https.Server;
  let issuerURL: string;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'ES256' };

  const token = (claims: Record<string, unknown>) => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'ES256', typ: 'JWT', kid: 'test-key' })}.${encode(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
  const now = () => Math.floor(Date.now() / 1000);
  const asToken = (jwt: string, args: string[]) => cluster.kubectl(['--kubeconfig', '/dev/null', '--server', `https://127.0.0.1:${cluster.port}`, '--insecure-skip-tls-verify', `--token=${jwt}`, ...args], { allowFailure: true });

  before(async () => {
    const ca = await createCertificateAuthority('issuer-ca', 1);
    const serving = await issueCertificate(ca, { commonName: 'issuer', subjectAltNames: ['127.0.0.1'], usage: 'server', days: 1 });
    issuer = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      const body = req.url === '/.well-known/openid-configuration' ? { issuer: issuerURL, jwks_uri: `${issuerURL}/keys` } : req.url === '/keys' ? { keys: [jwk] } : undefined;
      if (!body) return res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
    issuerURL = `https://127.0.0.1:${(issuer.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'skiff-oidc-'));
    const config = join(dir, 'authentication.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        apiVersion: 'apiserver.config.k8s.io/v1beta1',
        kind: 'AuthenticationConfiguration',
        jwt: [
          {
            issuer: { url: issuerURL, audiences: ['skiff'], certificateAuthority: ca.certPem },
            claimValidationRules: [{ expression: "claims.email.endsWith('@example.com')", message: 'only example.com accounts' }],
            claimMappings: { username: { claim: 'email', prefix: 'oidc:' }, groups: { claim: 'groups', prefix: 'oidc:' } },
          },
        ],
      }),
    );
    cluster = await startCluster({ args: ['--authentication-config', config] });
    await cluster.kubectl(['create', 'clusterrolebinding', 'oidc-devs-view', '--clusterrole=view', '--group=oidc:devs']);
  });
  after(async () => {
    issuer?.close();
    await cluster?.stop();
  });

  test("a token of the issuer is its user, with the configuration's mappings", async () => {
    const jwt = token({ iss: issuerURL, aud: 'skiff', sub: 'u-1', email: 'alice@example.com', email_verified: true, groups: ['devs'], exp: now() + 600, iat: now() });
    const review = JSON.parse((await asToken(jwt, ['auth', 'whoami', '-o', 'json'])).stdout);
    assert.equal(review.status.userInfo.username, 'oidc:alice@example.com');
    assert.deepEqual(review.status.userInfo.groups, ['oidc:devs', 'system:authenticated']);
    // The group's binding lets her read, not write.
    assert.equal((await asToken(jwt, ['get', 'configmaps', '-n', 'default', '-o', 'name'])).code, 0);
    assert.match((await asToken(jwt, ['create', 'configmap', 'x', '-n', 'default'])).stderr, /User "oidc:alice@example.com" cannot create resource "configmaps"/);
  });

  test('expired, wrongly addressed or rule-breaking tokens are refused', async () => {
    const claims = { iss: issuerURL, aud: 'skiff', sub: 'u-2', email: 'bob@example.com', email_verified: true, exp: now() + 600 };
    for (const bad of [{ ...claims, exp: now() - 60 }, { ...claims, aud: 'elsewhere' }, { ...claims, email: 'mallory@evil.test' }]) {
      assert.match((await asToken(token(bad), ['auth', 'whoami'])).stderr, /Unauthorized/, JSON.stringify(bad));
    }
  });
});
