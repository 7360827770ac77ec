import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate, type CertificateAndKey } from '../../../../apiserver/pki/certificates.js';
import { parseRegistries } from '../../../images/registries.js';
import { renderContainerdRegistries, writeHostsDirectories, type ContainerdRegistries } from './registries.js';
import { readTomlSubset } from './toml-testing.js';

function hostsToml(rendered: ContainerdRegistries, name: string): Record<string, unknown> {
  const dir = rendered.hosts.find((host) => host.name === name);
  assert.ok(dir, `no hosts directory ${name}`);
  return readTomlSubset(dir.files.find((file) => file.name === 'hosts.toml')!.content);
}

describe("registries.yaml as containerd's hosts directories", () => {
  let dir: string;
  let ca: CertificateAndKey;
  let client: CertificateAndKey;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-containerd-registries-'));
    ca = await createCertificateAuthority('containerd registries test CA', 1);
    client = await issueCertificate(ca, { commonName: 'node', usage: 'client', days: 1 });
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'client.pem'), client.certPem);
    writeFileSync(join(dir, 'client-key.pem'), client.keyPem);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("lists a registry's mirrors in order, pull and resolve only, then the registry itself as server", () => {
    const rendered = renderContainerdRegistries(
      parseRegistries(`
mirrors:
  docker.io:
    endpoint: ["mirror.example.com:5000", "http://10.0.0.5:5000/", "https://registry-1.docker.io"]
  "*":
    endpoint: ["http://cache.local"]
`),
    );
    const text = rendered.hosts.find((host) => host.name === 'docker.io')!.files[0].content;
    // Order matters: containerd tries the [host] tables in the order written.
    assert.ok(text.indexOf('https://mirror.example.com:5000') < text.indexOf('http://10.0.0.5:5000'));
    assert.deepEqual(hostsToml(rendered, 'docker.io'), {
      server: 'https://registry-1.docker.io',
      host: {
        'https://mirror.example.com:5000': { capabilities: ['pull', 'resolve'] },
        'http://10.0.0.5:5000': { capabilities: ['pull', 'resolve'] },
      },
    });
    // "*" is _default, with no server: containerd fills in the registry asked for.
    assert.deepEqual(hostsToml(rendered, '_default'), { host: { 'http://cache.local': { capabilities: ['pull', 'resolve'] } } });
    assert.deepEqual(rendered.warnings, []);
  });

  it('puts TLS settings beside the host they are for, with the files written into the directory', () => {
    const rendered = renderContainerdRegistries(
      parseRegistries(`
mirrors:
  registry.example.com:
    endpoint: ["https://mirror.example.com:5000"]
configs:
  registry.example.com:
    tls: { ca_file: ${join(dir, 'ca.pem')} }
  mirror.example.com:5000:
    tls: { ca_file: ${join(dir, 'ca.pem')}, cert_file: ${join(dir, 'client.pem')}, key_file: ${join(dir, 'client-key.pem')} }
  insecure.example.com:
    tls: { insecure_skip_verify: true }
`),
    );
    assert.deepEqual(hostsToml(rendered, 'registry.example.com'), {
      server: 'https://registry.example.com',
      ca: 'registry.ca.crt',
      host: { 'https://mirror.example.com:5000': { capabilities: ['pull', 'resolve'], ca: 'mirror.example.com_5000.ca.crt', client: [['mirror.example.com_5000.client.cert', 'mirror.example.com_5000.client.key']] } },
    });
    // A registry with TLS settings and no mirrors gets its own directory.
    assert.deepEqual(hostsToml(rendered, 'insecure.example.com'), { server: 'https://insecure.example.com', skip_verify: true });

    const certsDir = join(dir, 'certs.d');
    writeHostsDirectories(certsDir, rendered.hosts);
    const hostDir = join(certsDir, 'registry.example.com');
    assert.deepEqual(readdirSync(hostDir).sort(), ['hosts.toml', 'mirror.example.com_5000.ca.crt', 'mirror.example.com_5000.client.cert', 'mirror.example.com_5000.client.key', 'registry.ca.crt']);
    assert.equal(readFileSync(join(hostDir, 'registry.ca.crt'), 'utf8'), ca.certPem);
    assert.equal(statSync(join(hostDir, 'mirror.example.com_5000.client.key')).mode & 0o777, 0o600);
    // Written again without a registry: its directory goes.
    writeHostsDirectories(certsDir, []);
    assert.deepEqual(readdirSync(certsDir), []);
  });

  it('keeps a loopback registry on containerd\'s plain-http default unless it has TLS settings', () => {
    const rendered = renderContainerdRegistries(parseRegistries('mirrors: { "127.0.0.1:5000": { endpoint: ["http://127.0.0.1:5001"] } }'));
    assert.deepEqual(hostsToml(rendered, '127.0.0.1:5000'), { host: { 'http://127.0.0.1:5001': { capabilities: ['pull', 'resolve'] } } });
  });

  it('renders credentials for config.toml, and says what containerd 1.6 cannot do', () => {
    const rendered = renderContainerdRegistries(
      parseRegistries(`
mirrors:
  docker.io:
    endpoint: ["mirror.example.com"]
    rewrite: { "^library/(.*)": "hub/$1" }
configs:
  docker.io:
    auth: { username: alice, password: secret }
  mirror.example.com:
    auth: { auth: ${Buffer.from('bob:pw').toString('base64')} }
  token.example.com:
    auth: { token: abc }
`),
    );
    assert.deepEqual(rendered.auths, {
      'docker.io': { username: 'alice', password: 'secret' },
      // containerd asks for the credentials of the host it talks to.
      'registry-1.docker.io': { username: 'alice', password: 'secret' },
      'mirror.example.com': { auth: Buffer.from('bob:pw').toString('base64') },
    });
    assert.equal(rendered.warnings.length, 2);
    assert.match(rendered.warnings[0], /mirrors\.docker\.io\.rewrite: containerd 1\.6's hosts\.toml has no repository rewrites/);
    assert.match(rendered.warnings[1], /configs\.token\.example\.com\.auth\.token: containerd 1\.6 takes no registry token/);
  });

  it('leaves out a registry name that is not a host name, rather than write outside the directory', () => {
    const rendered = renderContainerdRegistries(parseRegistries('mirrors: { "../../etc": { endpoint: ["http://x"] }, "a/b": { endpoint: ["http://y"] } }'));
    assert.deepEqual(rendered.hosts, []);
    assert.equal(rendered.warnings.length, 2);
    assert.match(rendered.warnings[0], /not a registry host name/);
  });
});
