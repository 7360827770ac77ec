/**
 * Starts `skiff up` as a child process for benchmarks and gives an HTTPS
 * client with the admin credentials from its kubeconfig.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const cliPath = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface BenchCluster {
  child: ChildProcess;
  /** Everything skiff printed (the join command is in it). */
  output(): string;
  dataDir: string;
  port: number;
  startupMs: number;
  /** `contentType` defaults to JSON (a patch names its own: merge, apply, …). */
  request(method: string, path: string, body?: unknown, contentType?: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  /** A streaming GET (a watch): each line as it arrives; call the result to stop. */
  stream(path: string, onLine: (line: string) => void): () => void;
  stop(): Promise<void>;
}

/** Spawns the CLI and resolves when it prints its ready line. */
export async function startBenchCluster(dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-')), keepDir = false, extraArgs: string[] = []): Promise<BenchCluster> {
  const port = await freePort();
  const started = performance.now();
  // Benchmarks of the control plane run without a node unless they ask for one.
  const runtime = extraArgs.includes('--runtime') ? [] : ['--runtime', 'none'];
  const child = spawn(process.execPath, [cliPath, 'up', '--data-dir', dataDir, '--port', String(port), ...runtime, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`skiff up did not become ready:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('API server ready at')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`skiff up exited with ${code}:\n${output}`)));
  });
  const startupMs = performance.now() - started;
  const kubeconfig = parse(readFileSync(join(dataDir, 'kubeconfig.yaml'), 'utf8'));
  const decode = (value: string) => Buffer.from(value, 'base64');
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 64,
    ca: decode(kubeconfig.clusters[0].cluster['certificate-authority-data']),
    cert: decode(kubeconfig.users[0].user['client-certificate-data']),
    key: decode(kubeconfig.users[0].user['client-key-data']),
  });
  const request = (method: string, path: string, body?: unknown, contentType = 'application/json', extraHeaders: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        { host: '127.0.0.1', port, method, path, agent, headers: { ...extraHeaders, ...(payload ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return {
    child,
    dataDir,
    port,
    startupMs,
    request,
    output: () => output,
    stream(path, onLine) {
      let buffered = '';
      const req = https.request({ host: '127.0.0.1', port, method: 'GET', path, agent }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) if (line) onLine(line);
        });
      });
      req.on('error', () => {});
      req.end();
      return () => req.destroy();
    },
    async stop() {
      agent.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      if (!keepDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Create latency and throughput: `sequential` creates one after another (each
 * timed), then `concurrent` more from `workers` clients at once.
 */
export async function measureCreates(cluster: BenchCluster, base: string, make: (name: string) => unknown, sequential = 500, concurrent = 2000, workers = 32, headers?: Record<string, string>) {
  const times: number[] = [];
  for (let i = 0; i < sequential; i++) {
    const t = performance.now();
    const res = await cluster.request('POST', base, make(`seq-${i}`), undefined, headers);
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`);
    times.push(performance.now() - t);
  }
  const perSecond = 1000 / (times.reduce((a, b) => a + b, 0) / sequential);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < concurrent) {
        const res = await cluster.request('POST', base, make(`par-${next++}`), undefined, headers);
        if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`);
      }
    }),
  );
  const concurrentPerSecond = concurrent / ((performance.now() - t0) / 1000);
  return { sequential, times, perSecond, concurrent, workers, concurrentPerSecond };
}
