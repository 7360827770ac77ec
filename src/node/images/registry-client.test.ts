/**
 * The registry client against a small in-process registry that challenges
 * as Docker Hub (Bearer, with a token server) and as a plain htpasswd
 * registry (Basic). The real CNCF registry is driven by the image tests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256Digest } from './content-store.js';
import { parseReference } from './reference.js';
import { parseChallenge, RegistryClient, type RegistryEndpoint } from './registry-client.js';

const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));
const blob = Buffer.from('0123456789abcdef'.repeat(64));
const basicAuth = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
let server: Server;
let endpoint: RegistryEndpoint;
const tokenRequests: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

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
});
