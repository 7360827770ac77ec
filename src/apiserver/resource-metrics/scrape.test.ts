/** Where a node is scraped, and the HTTPS fetch: client certificate, status errors, body bound, deadline. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureClusterPki } from '../pki/index.js';
import { httpsFetcher, scrapeTargetOf, type ScrapedNode } from './scrape.js';

const node = (more: Partial<ScrapedNode['status']> = {}, annotations?: Record<string, string>): ScrapedNode => ({
  metadata: { name: 'n1', annotations },
  status: {
    addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0.7' }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    conditions: [{ type: 'Ready', status: 'True' }],
    ...more,
  },
});

describe('scrapeTargetOf', () => {
  it('a Ready node at its InternalIP and agent port, /metrics/resource', () => {
    assert.deepEqual(scrapeTargetOf(node()), { nodeName: 'n1', host: '10.0.0.7', port: 10250, path: '/metrics/resource' });
  });
  it('no target unless Ready, addressed and with a port in range', () => {
    assert.equal(scrapeTargetOf(node({ conditions: [{ type: 'Ready', status: 'Unknown' }] })), undefined);
    assert.equal(scrapeTargetOf(node({ addresses: [{ type: 'ExternalIP', address: '1.2.3.4' }] })), undefined);
    assert.equal(scrapeTargetOf(node({ daemonEndpoints: { kubeletEndpoint: { Port: 70000 } } })), undefined);
    assert.equal(scrapeTargetOf(node({ daemonEndpoints: {} })), undefined);
  });
  it('metrics-server\'s path annotation, when it is a plain absolute path', () => {
    assert.equal(scrapeTargetOf(node({}, { 'metrics.k8s.io/resource-metrics-path': '/custom/resource' }))?.path, '/custom/resource');
    assert.equal(scrapeTargetOf(node({}, { 'metrics.k8s.io/resource-metrics-path': 'http://elsewhere/' }))?.path, '/metrics/resource');
    assert.equal(scrapeTargetOf(node({}, { 'metrics.k8s.io/resource-metrics-path': '/a b' }))?.path, '/metrics/resource');
  });
});

describe('httpsFetcher', () => {
  let dir: string;
  let server: https.Server;
  let port = 0;
  let client: { caPem: string; certPem: string; keyPem: string };
  const seen: { path?: string; authorized: boolean }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-scrape-'));
    const pki = await ensureClusterPki(dir, { hosts: ['127.0.0.1'] });
    client = { caPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem };
    // Like a node agent: only clients with a certificate of the cluster CA.
    server = https.createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      seen.push({ path: req.url, authorized: (req.socket as import('node:tls').TLSSocket).authorized });
      if (req.url === '/metrics/resource') return res.writeHead(200, { 'Content-Type': 'text/plain' }).end('node_cpu_usage_seconds_total 1 2\n');
      if (req.url === '/big') {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        for (let i = 0; i < 20; i++) res.write(chunk);
        return res.end();
      }
      if (req.url === '/hang') return void res.writeHead(200).flushHeaders();
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const target = (path: string) => ({ nodeName: 'n1', host: '127.0.0.1', port, path });

  it('reads the exposition, presenting the client certificate', async () => {
    const text = await httpsFetcher(client)(target('/metrics/resource'), new AbortController().signal);
    assert.equal(text, 'node_cpu_usage_seconds_total 1 2\n');
    assert.deepEqual(seen.at(-1), { path: '/metrics/resource', authorized: true });
  });

  it('a status other than 200 is an error in metrics-server\'s words', async () => {
    await assert.rejects(httpsFetcher(client)(target('/nope'), new AbortController().signal), /request failed, status: "404 Not Found"/);
  });

  it('a body over the bound is refused', async () => {
    await assert.rejects(httpsFetcher(client, 256 * 1024)(target('/big'), new AbortController().signal), /larger than 262144 bytes/);
  });

  it('the signal ends a scrape that does not finish', async () => {
    const deadline = new AbortController();
    const scrape = httpsFetcher(client)(target('/hang'), deadline.signal);
    deadline.abort(new Error('deadline'));
    await assert.rejects(scrape);
  });
});
