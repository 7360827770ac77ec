import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate, type CertificateAndKey } from '../../apiserver/pki/certificates.js';
import { parseRegistries, RegistriesConfigError, registryEndpoints } from './registries.js';

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
    assert.deepEqual(registryEndpoints(parseRegistries(''), '127.0.0.1:5000'), [{ url: 'https://127.0.0.1:5000', plainHttpFallback: true }]);
    assert.deepEqual(registryEndpoints(parseRegistries(''), 'localhost:5000'), [{ url: 'https://localhost:5000', plainHttpFallback: true }]);
    // Named as a mirror of itself over http, it is asked over http only.
    assert.deepEqual(registryEndpoints(parseRegistries('mirrors: { "127.0.0.1:5000": { endpoint: ["http://127.0.0.1:5000"] } }'), '127.0.0.1:5000').map((e) => e.url), ['http://127.0.0.1:5000', 'https://127.0.0.1:5000']);
  });

  it('says what is wrong with a bad file', () => {
    assert.throws(() => parseRegistries('mirrors: [1]'), /mirrors: expected a mapping/);
    assert.throws(() => parseRegistries('mirrors: { docker.io: { endpoint: "x" } }'), /endpoint: expected a list/);
    assert.throws(() => parseRegistries('mirrors: { docker.io: { endpoint: ["http://"] } }'), /is not a URL/);
    assert.throws(() => parseRegistries('mirrors: { docker.io: { rewrite: { "(": "x" } } }'), /not a regular expression/);
    assert.throws(() => parseRegistries('mirrors: {'), /registries.yaml:/);
  });
});

describe('registries.yaml tls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-registries-tls-'));
  const file = (name: string) => join(dir, name);
  let ca: CertificateAndKey;
  let client: CertificateAndKey;

  before(async () => {
    ca = await createCertificateAuthority('registries test CA', 1);
    client = await issueCertificate(ca, { commonName: 'node', usage: 'client', days: 1 });
    const other = await issueCertificate(ca, { commonName: 'other', usage: 'client', days: 1 });
    writeFileSync(file('ca.pem'), ca.certPem);
    writeFileSync(file('client.pem'), client.certPem);
    writeFileSync(file('client-key.pem'), client.keyPem);
    writeFileSync(file('other-key.pem'), other.keyPem);
    writeFileSync(file('junk.pem'), 'not a certificate\n');
    writeFileSync(file('broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const tlsConfig = (tls: string) => parseRegistries(`
mirrors:
  docker.io: { endpoint: ["https://mirror.internal:5000"] }
configs:
  mirror.internal:5000:
    tls: ${tls}
  "127.0.0.1:5000":
    tls: ${tls}
`);

  it('reads the CA and the client certificate into the endpoints of that host', () => {
    const config = tlsConfig(`{ ca_file: ${file('ca.pem')}, cert_file: ${file('client.pem')}, key_file: ${file('client-key.pem')} }`);
    const [mirror, hub] = registryEndpoints(config, 'docker.io');
    assert.deepEqual(mirror.tls, { ca: ca.certPem, cert: client.certPem, key: client.keyPem });
    assert.equal(hub.tls, undefined, 'another host keeps the defaults');
    // A loopback registry keeps its plain-http fallback beside its TLS settings.
    const [own] = registryEndpoints(config, '127.0.0.1:5000');
    assert.equal(own.plainHttpFallback, true);
    assert.equal(own.tls?.ca, ca.certPem);
  });

  it('takes insecure_skip_verify alone, and leaves out a tls that sets nothing', () => {
    assert.deepEqual(registryEndpoints(tlsConfig('{ insecure_skip_verify: true }'), 'docker.io')[0].tls, { insecureSkipVerify: true });
    assert.equal(registryEndpoints(tlsConfig('{ insecure_skip_verify: false }'), 'docker.io')[0].tls, undefined);
    assert.equal(registryEndpoints(tlsConfig(''), 'docker.io')[0].tls, undefined, 'an empty tls: is no tls');
  });

  it('names the file that is missing, unreadable or not PEM, when the file is read', () => {
    const fails = (tls: string, message: RegExp) =>
      assert.throws(() => tlsConfig(tls), (err: Error) => err instanceof RegistriesConfigError && message.test(err.message), `${tls} should fail with ${message}`);
    fails(`{ ca_file: ${file('nope.pem')} }`, new RegExp(`configs\\.mirror\\.internal:5000\\.tls\\.ca_file: ${file('nope.pem')}: ENOENT: no such file or directory$`));
    fails(`{ ca_file: ${dir} }`, new RegExp(`ca_file: ${dir}: EISDIR`));
    fails(`{ ca_file: ${file('junk.pem')} }`, new RegExp(`ca_file: ${file('junk.pem')}: not a PEM certificate file`));
    fails(`{ ca_file: ${file('broken.pem')} }`, new RegExp(`ca_file: ${file('broken.pem')}: certificate 1 does not parse`));
    fails(`{ cert_file: ${file('junk.pem')}, key_file: ${file('client-key.pem')} }`, new RegExp(`cert_file: ${file('junk.pem')}: not a PEM certificate`));
    fails(`{ cert_file: ${file('client.pem')}, key_file: ${file('client.pem')} }`, new RegExp(`key_file: ${file('client.pem')}: not a PEM private key`));
    fails(`{ cert_file: ${file('client.pem')}, key_file: ${file('other-key.pem')} }`, new RegExp(`${file('other-key.pem')} is not the key of cert_file ${file('client.pem')}`));
  });

  it('refuses a certificate without its key, a key without its certificate, and values of the wrong kind', () => {
    assert.throws(() => tlsConfig(`{ cert_file: ${file('client.pem')} }`), /configs\.mirror\.internal:5000\.tls: cert_file needs key_file/);
    assert.throws(() => tlsConfig(`{ key_file: ${file('client-key.pem')} }`), /tls: key_file needs cert_file/);
    assert.throws(() => tlsConfig('{ insecure_skip_verify: "yes" }'), /insecure_skip_verify: expected true or false/);
    assert.throws(() => tlsConfig('{ ca_file: 5 }'), /ca_file: expected a file name/);
    assert.throws(() => tlsConfig('[]'), /tls: expected a mapping/);
  });
});
