/**
 * A CRD served in two versions whose objects a conversion webhook converts:
 * the webhook is an HTTPS server this test starts on loopback, with a CA of
 * its own in the CRD's caBundle. v1 stores `host` and `port`; v2 has
 * `address: host:port`. Objects written in either version are read in both
 * (get, list, watch), stored in v1, and a webhook that is gone is a 500
 * naming it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { startCluster, type Cluster } from './harness.js';

interface Backend {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
}

/** v1 ⇄ v2, as a user's webhook would do it. */
function convert(object: Backend, desired: string): Backend {
  const spec = object.spec ?? {};
  if (desired === 'conv.example.com/v2' && object.apiVersion === 'conv.example.com/v1') {
    return { ...object, apiVersion: desired, spec: { address: `${spec.host}:${spec.port}` } };
  }
  if (desired === 'conv.example.com/v1' && object.apiVersion === 'conv.example.com/v2') {
    const [host, port] = String(spec.address).split(':');
    return { ...object, apiVersion: desired, spec: { host, port: Number(port) } };
  }
  return object;
}

const definition = (port: number, caBundle: string) => JSON.stringify({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'backends.conv.example.com' },
  spec: {
    group: 'conv.example.com',
    scope: 'Namespaced',
    names: { plural: 'backends', singular: 'backend', kind: 'Backend' },
    conversion: { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: `https://127.0.0.1:${port}/convert`, caBundle } } },
    versions: [
      { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { host: { type: 'string' }, port: { type: 'integer' } } } } } } },
      { name: 'v2', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { address: { type: 'string' } } } } } } },
    ],
  },
});

describe('a CRD with a conversion webhook', () => {
  let cluster: Cluster;
  let webhook: https.Server;
  let reviews = 0;
  before(async () => {
    const ca = await createCertificateAuthority('conversion-test-ca', 1);
    const serving = await issueCertificate(ca, { commonName: '127.0.0.1', subjectAltNames: ['127.0.0.1'], usage: 'server', days: 1 });
    webhook = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        reviews++;
        const review = JSON.parse(body);
        const { uid, desiredAPIVersion, objects } = review.request;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'ConversionReview', response: { uid, result: { status: 'Success' }, convertedObjects: objects.map((o: Backend) => convert(o, desiredAPIVersion)) } }));
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    cluster = await startCluster();
    const port = (webhook.address() as AddressInfo).port;
    await cluster.kubectl(['apply', '-f', '-'], { input: definition(port, Buffer.from(ca.certPem).toString('base64')) });
    await cluster.kubectl(['wait', '--for', 'condition=established', 'crd/backends.conv.example.com', '--timeout=20s']);
  });
  after(async () => {
    await cluster?.stop();
    webhook?.close();
  });
  const get = async (resource: string, name?: string) => JSON.parse((await cluster.kubectl(['get', resource, ...(name ? [name] : []), '-o', 'json'])).stdout);

  test('an object written in v1 reads as v2, and one written in v2 as v1; both are stored in v1', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'conv.example.com/v1', kind: 'Backend', metadata: { name: 'old' }, spec: { host: 'db.local', port: 5432 } }) });
    const asV2 = await get('backends.v2.conv.example.com', 'old');
    assert.deepEqual([asV2.apiVersion, asV2.spec], ['conv.example.com/v2', { address: 'db.local:5432' }]);
    await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'conv.example.com/v2', kind: 'Backend', metadata: { name: 'new', labels: { made: 'v2' } }, spec: { address: 'cache.local:6379' } }) });
    const asV1 = await get('backends.v1.conv.example.com', 'new');
    assert.deepEqual([asV1.apiVersion, asV1.spec, asV1.metadata.labels], ['conv.example.com/v1', { host: 'cache.local', port: 6379 }, { made: 'v2' }]);
    const list = await get('backends.v2.conv.example.com');
    assert.deepEqual(list.items.map((item: Backend) => item.spec.address).sort(), ['cache.local:6379', 'db.local:5432']);
    assert.ok(reviews > 0);
    const crd = await get('crd', 'backends.conv.example.com');
    assert.deepEqual(crd.status.storedVersions, ['v1']);
  });

  test('a patch through v2 is converted both ways; a watch of v2 sees v2', async () => {
    await cluster.kubectl(['patch', 'backends.v2.conv.example.com', 'old', '--type=merge', '-p', '{"spec":{"address":"db.local:6543"}}']);
    assert.equal((await get('backends.v1.conv.example.com', 'old')).spec.port, 6543);
    const watch = cluster.kubectlStream(['get', 'backends.v2.conv.example.com', '--watch', '-o', 'jsonpath={.spec.address}{"\\n"}']);
    try {
      await watch.stdout.waitForLine('db.local:6543', { timeoutMs: 20_000, message: 'the v2 address in the watch' });
    } finally {
      await watch.stop();
    }
  });

  test('without its webhook, reading another version is a 500 that names it', async () => {
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
    webhook.closeAllConnections();
    // A write through the storage version needs no webhook; reading the new object as v2 does.
    await cluster.kubectl(['label', 'backends.v1.conv.example.com', 'old', 'changed=yes']);
    const failed = await cluster.kubectl(['get', 'backends.v2.conv.example.com', 'old'], { allowFailure: true });
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /conversion webhook for conv.example.com\/v1, Kind=Backend failed: Post "https:\/\/127.0.0.1:\d+\/convert"/);
    // The storage version needs no conversion.
    assert.equal((await get('backends.v1.conv.example.com', 'old')).spec.host, 'db.local');
  });
});
