import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRegistries, registryEndpoints } from './registries.js';

describe('registries.yaml', () => {
  const config = parseRegistries(`
mirrors:
  docker.io:
    endpoint: ["mirror.example.com:5000", "http://10.0.0.5:5000/"]
    rewrite:
      "^library/(.*)": "hub/$1"
  "*":
    endpoint: ["http://cache.local"]
configs:
  mirror.example.com:5000:
    auth: { username: alice, password: secret }
  cache.local:
    auth: { auth: ${Buffer.from('bob:pa:ss').toString('base64')} }
  registry.example.com:
    auth: { token: abc }
`);

  it('lists a registry\'s mirrors in order, then the registry itself', () => {
    const endpoints = registryEndpoints(config, 'docker.io');
    assert.deepEqual(
      endpoints.map((e) => e.url),
      ['https://mirror.example.com:5000', 'http://10.0.0.5:5000', 'https://registry-1.docker.io'],
    );
    assert.deepEqual(endpoints[0].credentials, { username: 'alice', password: 'secret' });
    assert.equal(endpoints[0].rewrite?.('library/nginx'), 'hub/nginx');
    assert.equal(endpoints[0].rewrite?.('bitnami/redis'), 'bitnami/redis');
    assert.equal(endpoints[2].rewrite, undefined, 'the registry itself is not rewritten');
  });

  it('uses the "*" mirrors for registries without their own, and the registry\'s own credentials', () => {
    const endpoints = registryEndpoints(config, 'registry.example.com');
    assert.deepEqual(endpoints.map((e) => e.url), ['http://cache.local', 'https://registry.example.com']);
    assert.deepEqual(endpoints[0].credentials, { username: 'bob', password: 'pa:ss' });
    assert.deepEqual(endpoints[1].credentials, { registryToken: 'abc' });
  });

  it('without a file, a registry is reached directly (one on this machine over https, then plain http)', () => {
    assert.deepEqual(registryEndpoints(parseRegistries(''), 'quay.io'), [{ url: 'https://quay.io' }]);
    assert.deepEqual(registryEndpoints(parseRegistries(''), '127.0.0.1:5000'), [{ url: 'https://127.0.0.1:5000' }, { url: 'http://127.0.0.1:5000' }]);
    assert.deepEqual(registryEndpoints(parseRegistries(''), 'localhost:5000').map((e) => e.url), ['https://localhost:5000', 'http://localhost:5000']);
  });

  it('says what is wrong with a bad file', () => {
    assert.throws(() => parseRegistries('mirrors: [1]'), /mirrors: expected a mapping/);
    assert.throws(() => parseRegistries('mirrors: { docker.io: { endpoint: "x" } }'), /endpoint: expected a list/);
    assert.throws(() => parseRegistries('mirrors: { docker.io: { endpoint: ["http://"] } }'), /is not a URL/);
    assert.throws(() => parseRegistries('mirrors: { docker.io: { rewrite: { "(": "x" } } }'), /not a regular expression/);
    assert.throws(() => parseRegistries('mirrors: {'), /registries.yaml:/);
  });
});
