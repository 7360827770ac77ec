/**
 * The real kubectl against our discovery and OpenAPI documents: a plain-HTTP
 * server on 127.0.0.1 serves only those routes for a test registry, and
 * `kubectl explain`, `api-resources` and `api-versions` must work from them.
 * The binary comes from SKIFF_KUBECTL, else `kubectl` on the PATH; without one
 * the test is skipped.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { discoveryRoute } from '../discovery/routes.js';
import { testRegistry } from '../discovery/testing.js';
import { openapiRoute } from './routes.js';

const kubectlBinary = process.env.SKIFF_KUBECTL || 'kubectl';
const available = spawnSync(kubectlBinary, ['version', '--client'], { encoding: 'utf8' }).status === 0;

describe('kubectl against the discovery and OpenAPI documents', { skip: available ? false : `no kubectl (${kubectlBinary})` }, () => {
  let server: http.Server;
  let home: string;
  let serverUrl: string;
  const requests: { path: string; search: URLSearchParams; accept: string | undefined }[] = [];

  before(async () => {
    const registry = testRegistry();
    const discovery = discoveryRoute(registry, { serverAddress: () => serverUrl.replace('http://', '') });
    const openapi = openapiRoute(registry);
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      requests.push({ path: url.pathname, search: url.searchParams, accept: req.headers.accept });
      if (process.env.DEBUG_KUBECTL_TEST) console.error(req.method, url.pathname + url.search, req.headers.accept);
      const ifNoneMatch = req.headers['if-none-match'];
      const answer =
        discovery(url.pathname, url.searchParams, req.headers.accept, ifNoneMatch) ??
        openapi(url.pathname, url.searchParams, req.headers.accept, ifNoneMatch);
      if (!answer && req.method === 'POST') {
        // Stands in for the create handler: echo the object back, as a create would.
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => res.writeHead(201, { 'Content-Type': 'application/json' }).end(Buffer.concat(chunks)));
        return;
      }
      if (!answer) {
        const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(body);
        return;
      }
      const body = typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body);
      res.writeHead(answer.status, { 'Content-Type': answer.contentType, ...answer.headers }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    home = mkdtempSync(join(tmpdir(), 'skiff-kubectl-'));
    writeFileSync(join(home, 'config'), 'apiVersion: v1\nkind: Config\n');
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(home, { recursive: true, force: true });
  });

  /** Runs kubectl asynchronously: the server answers from this same event loop. */
  function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    const fullArgs = ['--server', serverUrl, '--kubeconfig', join(home, 'config'), '--cache-dir', join(home, 'cache'), ...args];
    return new Promise((resolve) => {
      execFile(kubectlBinary, fullArgs, { env: { ...process.env, HOME: home, KUBECONFIG: '' }, timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ stdout, stderr, code });
      });
    });
  }

  it('api-versions lists the core and named group versions', async () => {
    const { stdout, stderr, code } = await kubectl('api-versions');
    assert.equal(code, 0, stderr);
    assert.deepEqual(stdout.trim().split('\n'), ['apps/v1', 'v1']);
  });

  it('api-resources lists resources with short names, scope and kind', async () => {
    const { stdout, stderr, code } = await kubectl('api-resources');
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/);
    assert.ok(lines.some((l) => /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/.test(l)), stdout);
    assert.ok(lines.some((l) => /^namespaces\s+ns\s+v1\s+false\s+Namespace$/.test(l)), stdout);
    assert.ok(!lines.some((l) => l.includes('/status')), 'subresources are not listed');
    // kubectl used aggregated discovery: one request each for /api and /apis, no per-version fetches.
    assert.ok(requests.some((r) => r.path === '/apis' && r.accept?.includes('as=APIGroupDiscoveryList')));
    const wide = await kubectl('api-resources', '-o', 'wide', '--api-group', 'apps');
    assert.match(wide.stdout, /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment\s+create,delete,deletecollection,get,list,patch,update,watch\s+all/);
  });

  it('explain shows a kind, its fields and their types', async () => {
    const { stdout, stderr, code } = await kubectl('explain', 'deployments');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /GROUP:\s+apps/);
    assert.match(stdout, /KIND:\s+Deployment/);
    assert.match(stdout, /VERSION:\s+v1/);
    assert.match(stdout, /Deployment enables declarative updates/);
    assert.match(stdout, /metadata\s+<ObjectMeta>/);
    assert.match(stdout, /spec\s+<DeploymentSpec>/);
    assert.ok(requests.some((r) => r.path === '/openapi/v3/apis/apps/v1' && r.search.has('hash')), 'kubectl followed the hashed URL');
  });

  it('explain follows a field path and recurses', async () => {
    const field = await kubectl('explain', 'deploy.spec.strategy.rollingUpdate.maxSurge');
    assert.equal(field.code, 0, field.stderr);
    assert.match(field.stdout, /FIELD: maxSurge <IntOrString>/);
    assert.match(field.stdout, /Pods that can be scheduled above the desired number/);

    const recursive = await kubectl('explain', 'deployment.spec', '--recursive');
    assert.equal(recursive.code, 0, recursive.stderr);
    assert.match(recursive.stdout, /selector\s+<LabelSelector> -required-/);
    assert.match(recursive.stdout, /\n {6}containers\s+<\[\]Container> -required-/);
    assert.match(recursive.stdout, /\n {8}ports\s+<\[\]ContainerPort>/);
    assert.match(recursive.stdout, /\n {10}protocol\s+<string>\n\s+enum: SCTP, TCP, UDP/);
  });

  it('explain works for core kinds and cluster-scoped kinds', async () => {
    const cm = await kubectl('explain', 'cm.data');
    assert.equal(cm.code, 0, cm.stderr);
    assert.match(cm.stdout, /KIND:\s+ConfigMap/);
    assert.match(cm.stdout, /FIELD: data <map\[string\]string>/);
    const ns = await kubectl('explain', 'namespace');
    assert.equal(ns.code, 0, ns.stderr);
    assert.match(ns.stdout, /KIND:\s+Namespace/);
  });

  it('create finds fieldValidation in the OpenAPI v3 patch operation and leaves validation to the server', async () => {
    const manifest = join(home, 'cm.yaml');
    writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  a: b\n');
    const before = requests.length;
    const { stdout, stderr, code } = await kubectl('create', '-f', manifest, '--validate=strict');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /configmap\/settings created/);
    const made = requests.slice(before);
    const post = made.find((r) => r.path === '/api/v1/namespaces/default/configmaps');
    assert.equal(post?.search.get('fieldValidation'), 'Strict');
    // The v1 document itself may come from kubectl's HTTP cache: its hashed URL is immutable.
    assert.ok(made.some((r) => r.path === '/openapi/v3'), 'kubectl read the OpenAPI v3 index to look for the parameter');
    // Had the probe failed, kubectl would have fetched /openapi/v2 to validate on the client.
    assert.ok(!made.some((r) => r.path === '/openapi/v2'), 'no client-side validation');
  });

  it('explain with the OpenAPI v2 renderer reads the protobuf document', async () => {
    const { stdout, stderr, code } = await kubectl('explain', 'deployment.spec', '--output', 'plaintext-openapiv2');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /KIND:\s+Deployment/);
    assert.match(stdout, /RESOURCE: spec <Object>|FIELD:\s+spec <Object>/);
    assert.match(stdout, /replicas\t?\s*<integer>/);
    const v2 = requests.find((r) => r.path === '/openapi/v2');
    assert.equal(v2?.accept, 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
  });
});
