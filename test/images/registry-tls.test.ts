/**
 * Pulls over TLS from real registries on loopback (Debian's docker-registry
 * with a certificate from a throwaway CA; one also requires client
 * certificates), configured as k3s's registries.yaml `configs.<host>.tls`
 * configures them: ca_file, cert_file with key_file, insecure_skip_verify.
 * A loopback registry that speaks plain http still works beside a tls entry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate, type CertificateAndKey } from '../../src/apiserver/pki/certificates.js';
import { LocalImageService } from '../../src/node/images/image-service.js';
import { loadRegistries, registryEndpoints } from '../../src/node/images/registries.js';
import { shimBinary } from '../../src/node/runtime/process/shim-client.js';
import { buildImage, type BuiltImage } from './build-image.js';
import { pushImage } from './push.js';
import { registrySkipReason, startRegistry, type TestRegistry } from './registry.js';

const skip = registrySkipReason();
const root = mkdtempSync(join(tmpdir(), 'skiff-registry-tls-'));
const file = (name: string) => join(root, name);
let ca: CertificateAndKey;
let client: CertificateAndKey;
/** Serves https with a certificate from `ca`. */
let secure: TestRegistry;
/** Serves https and requires a client certificate from `ca`. */
let mutual: TestRegistry;
/** Serves plain http. */
let plain: TestRegistry;
let app: BuiltImage;
let counter = 0;

/** A fresh image service whose registries.yaml is `yaml`, read as the node reads it. */
function service(yaml: string): LocalImageService {
  const dir = join(root, `service-${counter++}`);
  const registriesFile = `${dir}-registries.yaml`;
  writeFileSync(registriesFile, yaml);
  const registries = loadRegistries(registriesFile, true);
  return new LocalImageService({ root: dir, endpoints: (registry) => registryEndpoints(registries, registry), nodeHelper: shimBinary() });
}

/** registries.yaml with a tls entry for `host`. */
function tlsFor(host: string, tls: string): string {
  return `configs:\n  "${host}":\n    tls: ${tls}\n`;
}

async function assertPullFails(images: LocalImageService, name: string, why: RegExp): Promise<void> {
  await assert.rejects(images.pullImage(name), (err: Error & { reason?: string }) => {
    assert.equal(err.reason, 'ErrImagePull');
    assert.match(err.message, why);
    return true;
  });
}

before(async () => {
  if (skip) return;
  ca = await createCertificateAuthority('skiff registry test CA', 1);
  const server = await issueCertificate(ca, { commonName: '127.0.0.1', subjectAltNames: ['127.0.0.1'], usage: 'server', days: 1 });
  client = await issueCertificate(ca, { commonName: 'skiff-node', usage: 'client', days: 1 });
  writeFileSync(file('ca.pem'), ca.certPem);
  writeFileSync(file('client.pem'), client.certPem);
  writeFileSync(file('client-key.pem'), client.keyPem, { mode: 0o600 });
  [secure, mutual, plain] = await Promise.all([
    startRegistry({ tls: { certificate: server.certPem, key: server.keyPem } }),
    startRegistry({ tls: { certificate: server.certPem, key: server.keyPem, clientCA: ca.certPem } }),
    startRegistry(),
  ]);
  app = await buildImage({ layers: [{ entries: [{ path: 'srv/index.html', content: 'hello over tls' }] }], config: { Cmd: ['cat', '/srv/index.html'] } });
  await pushImage(secure.url, 'team/app', 'v1', app, undefined, { ca: ca.certPem });
  await pushImage(mutual.url, 'team/app', 'v1', app, undefined, { ca: ca.certPem, cert: client.certPem, key: client.keyPem });
  await pushImage(plain.url, 'team/app', 'v1', app);
});

after(async () => {
  await Promise.all([secure?.stop(), mutual?.stop(), plain?.stop()]);
  rmSync(root, { recursive: true, force: true });
});

describe('pulls over TLS, as registries.yaml configures them (real registries on loopback)', { skip }, () => {
  it('refuses a certificate from an unknown CA, and says so', async () => {
    assert.match(secure.url, /^https:/);
    await assertPullFails(service(''), `${secure.host}/team/app:v1`, /tls: failed to verify certificate: UNABLE_TO_VERIFY_LEAF_SIGNATURE .*ca_file/);
  });

  it('trusts the registry with ca_file', async () => {
    const { image } = await service(tlsFor(secure.host, `{ ca_file: ${file('ca.pem')} }`)).pullImage(`${secure.host}/team/app:v1`);
    assert.equal(image.id, app.configDigest);
  });

  it('accepts any certificate with insecure_skip_verify', async () => {
    const { image } = await service(tlsFor(secure.host, '{ insecure_skip_verify: true }')).pullImage(`${secure.host}/team/app:v1`);
    assert.equal(image.id, app.configDigest);
  });

  it('trusts a mirror with the ca_file of its host', async () => {
    const yaml = `mirrors:\n  mirror.test:\n    endpoint: ["${secure.url}"]\n${tlsFor(secure.host, `{ ca_file: ${file('ca.pem')} }`)}`;
    const { image } = await service(yaml).pullImage('mirror.test/team/app:v1');
    assert.equal(image.id, app.configDigest);
  });

  it('presents cert_file and key_file to a registry that requires a client certificate, and fails without them', async () => {
    const name = `${mutual.host}/team/app:v1`;
    await assertPullFails(service(tlsFor(mutual.host, `{ ca_file: ${file('ca.pem')} }`)), name, /other side closed without an answer .*client certificate.*cert_file/);
    const { image } = await service(tlsFor(mutual.host, `{ ca_file: ${file('ca.pem')}, cert_file: ${file('client.pem')}, key_file: ${file('client-key.pem')} }`)).pullImage(name);
    assert.equal(image.id, app.configDigest);
  });

  it('still reaches a loopback registry over plain http when its host has a ca_file', async () => {
    const { image } = await service(tlsFor(plain.host, `{ ca_file: ${file('ca.pem')} }`)).pullImage(`${plain.host}/team/app:v1`);
    assert.equal(image.id, app.configDigest);
  });
});
