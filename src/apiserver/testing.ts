/**
 * An in-process apiserver for tests: the real registry and handlers over an
 * in-memory SQLite store, HTTPS on a free loopback port, and a small client
 * with the admin certificate. Tests of other components use it to run against
 * a real API without a separate process.
 */
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinRegistry } from '../api/index.js';
import { openSqliteStore, type Store } from '../storage/index.js';
import { ensureClusterPki } from './pki/index.js';
import { ApiServer, type ApiServerOptions, type ServingLimits } from './server.js';
import type { AdmissionPlugin } from './admission/chain.js';
import { ServiceAllocator } from './service-allocation.js';
import { bootstrapCluster } from './bootstrap.js';
import { documentRoutes } from './documents.js';
import type { Clock } from './context.js';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

export interface TestServer {
  server: ApiServer;
  /** The store under the server (tests compact it, count keys, …). */
  store: Store;
  /** Admin credentials in the shape clients take (src/client's ClientConfig). */
  credentials: { server: string; caPem: string; certPem: string; keyPem: string };
  port: number;
  url: string;
  pki: { caCertPem: string; caKeyPem: string; adminCertPem: string; adminKeyPem: string };
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  /** Opens a watch and collects its events; `next()` resolves with the next one. */
  watch(path: string, headers?: Record<string, string>): Promise<TestWatch>;
  close(): Promise<void>;
}

export interface TestWatch {
  next(timeoutMs?: number): Promise<{ type: string; object: any }>;
  close(): void;
}

export interface TestServerOptions {
  clock?: Clock;
  bookmarkIntervalMs?: number;
  limits?: ServingLimits;
  admissionPlugins?: AdmissionPlugin[];
  watchLimits?: ApiServerOptions['watchLimits'];
  /** Keep PKI and the store (on disk) in this directory, left in place on close: a later server over it is a restart. */
  dataDir?: string;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-apiserver-test-'));
  const pki = await ensureClusterPki(dir, { hosts: ['127.0.0.1'] });
  const store = await openSqliteStore(options.dataDir ? join(dir, 'state.db') : ':memory:');
  const registry = builtinRegistry();
  const allocator = new ServiceAllocator();
  const services = registry.find('', 'v1', 'services')!;
  const hooks = allocator.hooks();
  const server: ApiServer = new ApiServer({
    store,
    registry,
    host: '127.0.0.1',
    port: 0,
    tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem, caPem: pki.caCertPem },
    hooks: (type) => (type === services ? hooks : undefined),
    documentRoutes: documentRoutes(registry, (): string => `127.0.0.1:${server.port}`),
    clock: options.clock,
    bookmarkIntervalMs: options.bookmarkIntervalMs,
    limits: options.limits,
    admissionPlugins: options.admissionPlugins,
    watchLimits: options.watchLimits,
    nodeClient: { caPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem },
  });
  const port = await server.start();
  await bootstrapCluster(server, { advertiseAddress: '127.0.0.1', port });
  server.setReady();
  const agent = new https.Agent({ keepAlive: true, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem });

  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<TestResponse>((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const allHeaders: Record<string, string | number> = { ...headers };
      if (payload !== undefined) {
        allHeaders['Content-Type'] ??= 'application/json';
        allHeaders['Content-Length'] = Buffer.byteLength(payload);
      }
      const req = https.request({ host: '127.0.0.1', port, method, path, agent, headers: allHeaders }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });

  const watch = (path: string, headers: Record<string, string> = {}) =>
    new Promise<TestWatch>((resolve, reject) => {
      const events: { type: string; object: any }[] = [];
      const waiters: ((e: { type: string; object: any }) => void)[] = [];
      let buffer = '';
      const req = https.request({ host: '127.0.0.1', port, method: 'GET', path, agent: false, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem, headers }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch answered ${res.statusCode}`));
          return;
        }
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          let newline: number;
          while ((newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline);
            buffer = buffer.slice(newline + 1);
            if (!line.trim()) continue;
            const event = JSON.parse(line) as { type: string; object: any };
            const waiter = waiters.shift();
            if (waiter) waiter(event);
            else events.push(event);
          }
        });
        resolve({
          next(timeoutMs = 5000) {
            const queued = events.shift();
            if (queued) return Promise.resolve(queued);
            return new Promise((resolveEvent, rejectEvent) => {
              const timer = setTimeout(() => rejectEvent(new Error('no watch event within deadline')), timeoutMs);
              waiters.push((event) => {
                clearTimeout(timer);
                resolveEvent(event);
              });
            });
          },
          close() {
            req.destroy();
          },
        });
      });
      req.on('error', (err) => {
        if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
      });
      req.end();
    });

  return {
    server,
    store,
    credentials: { server: `https://127.0.0.1:${port}`, caPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem },
    port,
    url: `https://127.0.0.1:${port}`,
    pki,
    request,
    watch,
    async close() {
      agent.destroy();
      await server.stop();
      await store.close();
      if (!options.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
