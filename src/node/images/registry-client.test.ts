/**
 * The registry client against a small in-process registry that challenges
 * as Docker Hub (Bearer, with a token server) and as a plain htpasswd
 * registry (Basic), over http and over https with a CA of the test's own.
 * The real CNCF registry is driven by the image tests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createCertificateAuthority, issueCertificate, type CertificateAndKey } from '../../apiserver/pki/certificates.js';
import { sha256Digest } from './content-store.js';
import { parseReference } from './reference.js';
import { parseChallenge, RegistryClient, type RegistryEndpoint } from './registry-client.js';

const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));
const blob = Buffer.from('0123456789abcdef'.repeat(64));
const basicAuth = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
let server: Server;
let secureServer: Server;
let endpoint: RegistryEndpoint;
let secureUrl: string;
let ca: CertificateAndKey;
const tokenRequests: string[] = [];

/** The fake registry and its token server, at the same address. */
function serve(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url!, 'http://x');
  const base = `${(req.socket as TLSSocket).encrypted ? 'https' : 'http'}://127.0.0.1:${req.socket.localPort}`;
  if (url.pathname === '/token' && req.method === 'POST') {
    // OAuth2: a refresh token (docker login's identity token) for an access token.
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      tokenRequests.push(`${form.get('scope')} oauth ${form.get('grant_type')} ${form.get('refresh_token')} ${form.get('client_id')}`);
      if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== 'refresh-alice') return res.writeHead(401).end();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: `token-for-${form.get('scope')}` }));
    });
    return;
  }
  if (url.pathname === '/token') {
    tokenRequests.push(`${url.searchParams.get('scope')} ${req.headers.authorization ?? 'anonymous'}`);
    const scope = url.searchParams.get('scope') ?? '';
    // Public repositories get anonymous tokens; private ones need alice.
    if (scope.includes('private') && req.headers.authorization !== basicAuth) return res.writeHead(401).end();
    return res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: `token-for-${scope}` }));
  }
  const match = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
  if (!match) return res.writeHead(404).end();
  const [, repository, kind, reference] = match;
  if (repository.startsWith('basic/')) {
    if (req.headers.authorization !== basicAuth) return res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fake"' }).end();
  } else if (req.headers.authorization !== `Bearer token-for-repository:${repository}:pull`) {
    return res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${base}/token",service="fake",scope="repository:${repository}:pull"` }).end();
  }
  if (kind === 'manifests') {
    if (reference !== 'v1' && reference !== sha256Digest(manifest)) return res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    return res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
  }
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range) return res.writeHead(206, { 'Content-Range': `bytes ${range[1]}-${blob.length - 1}/${blob.length}` }).end(blob.subarray(Number(range[1])));
  return res.writeHead(200).end(blob);
}

before(async () => {
  server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  ca = await createCertificateAuthority('registry client test CA', 1);
  const certificate = await issueCertificate(ca, { commonName: '127.0.0.1', subjectAltNames: ['127.0.0.1'], usage: 'server', days: 1 });
  secureServer = createHttpsServer({ cert: certificate.certPem, key: certificate.keyPem }, serve);
  await new Promise<void>((resolve) => secureServer.listen(0, '127.0.0.1', resolve));
  secureUrl = `https://127.0.0.1:${(secureServer.address() as AddressInfo).port}`;
});

after(async () => {
  for (const s of [server, secureServer]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('registry client', () => {
  it('parses auth challenges', () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'), {
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' },
    });
    assert.deepEqual(parseChallenge('Basic realm=x'), { scheme: 'basic', params: { realm: 'x' } });
    assert.equal(parseChallenge(null), undefined);
  });

  it('answers a Bearer challenge with an anonymous token for a public repository, and reuses it', async () => {
    const client = new RegistryClient();
    const ref = parseReference('127.0.0.1:1/team/public:v1');
    tokenRequests.length = 0;
    const got = await client.manifest(endpoint, ref, 'v1', []);
    assert.equal(got.digest, sha256Digest(manifest));
    assert.equal(got.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    await client.manifest(endpoint, ref, got.digest, []);
    assert.deepEqual(tokenRequests, ['repository:team/public:pull anonymous'], 'one token, then reused');
  });

  it('uses the first credentials the token server accepts for a private repository', async () => {
    const client = new RegistryClient();
    const ref = parseReference('127.0.0.1:1/team/private:v1');
    await assert.rejects(client.manifest(endpoint, ref, 'v1', []), /failed to fetch anonymous token: unexpected status .*401/);
    const got = await client.manifest(endpoint, ref, 'v1', [{ username: 'bob', password: 'wrong' }, { username: 'alice', password: 'secret' }]);
    assert.equal(got.digest, sha256Digest(manifest));
  });

  it('trades an identity token (an OAuth2 refresh token) for an access token', async () => {
    const client = new RegistryClient();
    const ref = parseReference('127.0.0.1:1/team/private:v1');
    tokenRequests.length = 0;
    await assert.rejects(client.manifest(endpoint, ref, 'v1', [{ identityToken: 'stale' }]), /failed to fetch oauth token: unexpected status from POST request to .*401/);
    const got = await client.manifest(endpoint, ref, 'v1', [{ identityToken: 'refresh-alice' }]);
    assert.equal(got.digest, sha256Digest(manifest));
    // The stale token, then anonymous (refused too), then the good one.
    assert.deepEqual(tokenRequests, ['repository:team/private:pull oauth refresh_token stale skiff', 'repository:team/private:pull anonymous', 'repository:team/private:pull oauth refresh_token refresh-alice skiff']);
  });

  it('answers a Basic challenge with the credentials', async () => {
    const client = new RegistryClient();
    const ref = parseReference('127.0.0.1:1/basic/app:v1');
    await assert.rejects(client.manifest(endpoint, ref, 'v1', []), /pull access denied/);
    assert.equal((await client.manifest(endpoint, ref, 'v1', [{ username: 'alice', password: 'secret' }])).digest, sha256Digest(manifest));
  });

  it('says not found for a missing tag, and checks a manifest against the digest asked for', async () => {
    const client = new RegistryClient();
    const ref = parseReference('127.0.0.1:1/team/public:nope');
    await assert.rejects(client.manifest(endpoint, ref, 'nope', []), (err: Error & { status?: number }) => err.message === 'not found' && err.status === 404);
    const other = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(client.manifest(endpoint, ref, other, []), /not found/);
  });

  it('fetches a blob from an offset when the registry honours Range', async () => {
    const client = new RegistryClient();
    const ref = parseReference('127.0.0.1:1/team/public:v1');
    const whole = await client.blob(endpoint, ref, sha256Digest(blob), 0, []);
    assert.deepEqual(await readAll(whole.stream), blob);
    const rest = await client.blob(endpoint, ref, sha256Digest(blob), 100, []);
    assert.equal(rest.offset, 100);
    assert.deepEqual(await readAll(rest.stream), blob.subarray(100));
  });

  it('says why a registry cannot be reached', async () => {
    // A port nothing listens on any more.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new RegistryClient();
    await assert.rejects(client.manifest({ url: `http://127.0.0.1:${port}` }, parseReference(`127.0.0.1:${port}/x`), 'latest', []), /ECONNREFUSED/);
  });

  it('over https, trusts the endpoint\'s CA for the registry and its token server, and streams blobs', async () => {
    const client = new RegistryClient();
    const ref = parseReference('127.0.0.1:1/team/private:v1');
    const secure: RegistryEndpoint = { url: secureUrl, tls: { ca: ca.certPem } };
    tokenRequests.length = 0;
    assert.equal((await client.manifest(secure, ref, 'v1', [{ username: 'alice', password: 'secret' }])).digest, sha256Digest(manifest));
    assert.deepEqual(tokenRequests, [`repository:team/private:pull ${basicAuth}`]);
    const rest = await client.blob(secure, ref, sha256Digest(blob), 100, []);
    assert.equal(rest.offset, 100);
    assert.deepEqual(await readAll(rest.stream), blob.subarray(100));
  });

  it('refuses a certificate of an unknown CA, saying so; insecureSkipVerify accepts it', async () => {
    const client = new RegistryClient();
    const ref = parseReference('127.0.0.1:1/team/public:v1');
    await assert.rejects(client.manifest({ url: secureUrl }, ref, 'v1', []), /https:\/\/127\.0\.0\.1:\d+\/v2\/team\/public\/manifests\/v1: tls: failed to verify certificate: UNABLE_TO_VERIFY_LEAF_SIGNATURE unable to verify the first certificate \(registries\.yaml: configs\.<host>\.tls\.ca_file/);
    assert.equal((await client.manifest({ url: secureUrl, tls: { insecureSkipVerify: true } }, ref, 'v1', [])).digest, sha256Digest(manifest));
  });

  it('asks a registry on this machine over plain http when an http server answers its https URL', async () => {
    const client = new RegistryClient();
    const ref = parseReference('127.0.0.1:1/team/public:v1');
    const https = endpoint.url.replace('http:', 'https:');
    await assert.rejects(client.manifest({ url: https }, ref, 'v1', []), /tls: ERR_SSL_WRONG_VERSION_NUMBER wrong version number$/);
    const fallback: RegistryEndpoint = { url: https, plainHttpFallback: true };
    assert.equal((await client.manifest(fallback, ref, 'v1', [])).digest, sha256Digest(manifest));
    const missing = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(client.manifest(fallback, ref, missing, []), /not found/);
    // A server that speaks TLS is not asked over http.
    await assert.rejects(client.manifest({ url: secureUrl, plainHttpFallback: true }, ref, 'v1', []), /failed to verify certificate/);
  });
});
