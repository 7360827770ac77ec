/**
 * Starts a real `skiff up` as a child process on a temporary data dir and a
 * free loopback port, and drives it with the pinned kubectl. Used by every
 * end-to-end test: one cluster per test file, started in `before`, stopped in
 * `after`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlPath, repositoryRoot } from './tools.js';
import { LineCollector } from './wait.js';

export { waitFor, LineCollector } from './wait.js';

export interface ClusterOptions {
  /** Reuse this data dir instead of a fresh temporary one (never removed by the harness). */
  dataDir?: string;
  /** How long `skiff up` may take to print its ready line. */
  readyTimeoutMs?: number;
  /** Extra CLI flags, after `up --data-dir --port --bind`. */
  args?: string[];
  /** Run skiff as this user (uid and gid) — an ordinary user, when the tests run as root. */
  user?: { uid: number; gid: number };
  /**
   * A test that makes a component's identity do what it may not (a node writing another node's
   * object) says so; otherwise stop() fails when the apiserver refused any component a request:
   * so every e2e test checks that the default policy gives each component what it needs.
   */
  expectComponentRefusals?: RegExp;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `-f -`). */
  input?: string;
  /** Resolve with the result instead of throwing when kubectl exits non-zero. */
  allowFailure?: boolean;
  /** Extra environment, e.g. KUBE_EDITOR. */
  env?: Record<string, string>;
  /** Kill kubectl after this long; default 60 s. */
  timeoutMs?: number;
  /** Another kubectl binary (version-skew tests); default the pinned v1.32. */
  binary?: string;
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** A long-running kubectl (`get -w`, `logs -f`) read line by line as it prints. */
export interface KubectlStream {
  stdout: LineCollector;
  stderr: LineCollector;
  /** Ends the process (SIGTERM) and waits for it. */
  stop(): Promise<void>;
}

export interface Cluster {
  dataDir: string;
  port: number;
  kubeconfig: string;
  /** The running skiff's process id (undefined while stopped). */
  readonly pid: number | undefined;
  /** Everything the server printed so far (stdout and stderr), for failure messages. */
  output(): string;
  kubectl(args: string[], options?: KubectlOptions): Promise<KubectlResult>;
  kubectlStream(args: string[], options?: { env?: Record<string, string>; binary?: string }): KubectlStream;
  /** Graceful stop (SIGTERM); removes the temporary data dir. Returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, keeping the data dir for `restart()`. */
  kill9(): Promise<void>;
  /** Stops the server if it runs (gracefully) and starts it again on the same data dir and port. */
  restart(): Promise<void>;
}

const defaultReadyTimeoutMs = 30_000;
const stopTimeoutMs = 15_000;
const outputLimit = 256 * 1024;
const readyLine = 'API server ready at https://';

/** Children still running when the test process exits are killed, so no server outlives its test. */
const running = new Set<ChildProcess>();
/** Temporary directories of clusters not yet stopped, removed when the test process exits. */
const temporaryRoots = new Set<string>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  if (!process.env.SKIFF_E2E_KEEP) for (const root of temporaryRoots) rmSync(root, { recursive: true, force: true });
});

/** Runs the skiff CLI to its exit (killed after `timeoutMs`: a command that starts a server would not exit by itself). */
export function runSkiff(args: string[], timeoutMs = 20_000, user?: { uid: number; gid: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath(), ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/**
 * `skiff up --runtime process` whose pods are plain processes on the host
 * network: when the tests run as root, skiff runs as `nobody`, so pods are not
 * isolated and the test needs no network lock. `args` come after the runtime.
 */
export function startHostProcessCluster(args: string[] = []): Promise<Cluster> {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return startCluster({ args: ['--runtime', 'process', ...args], ...(asRoot ? { user: { uid: 65534, gid: 65534 } } : {}) });
}

/**
 * For `kubectl run`: the pod asks for the RuntimeClass host, so its command
 * runs on the node's own file system (what these tests exercise) rather than
 * in an image, which nothing could pull here.
 */
export const onHost = '--overrides={"apiVersion":"v1","spec":{"runtimeClassName":"host"}}';

/** A Deployment manifest (for `kubectl apply -f -`) whose pods run `command` on the node's file system (RuntimeClass host). */
export function hostDeployment(name: string, command: string[], options: { image?: string; port?: number; replicas?: number } = {}): string {
  const labels = { app: name };
  const container = { name, image: options.image ?? 'busybox', command, ...(options.port ? { ports: [{ containerPort: options.port }] } : {}) };
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: { replicas: options.replicas ?? 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { runtimeClassName: 'host', containers: [container] } } },
  });
}

/** A port nothing listens on right now: bind port 0, read what the kernel chose, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Holds a machine-wide lock while a test file runs clusters on the node
 * network as root (node-isolation, multi-node, userspace-proxy): they all
 * use the ClusterIP range 10.43.0.0/16, and one cluster's nftables rules
 * would catch another's service traffic, so the test runner (two files at
 * a time) must not run them together. A `flock` child holds it until
 * released — or until this process dies and its stdin closes. Without the
 * flock program, nothing is held.
 */
export async function holdNetworkTestLock(): Promise<() => void> {
  const holder = spawn('flock', [join(tmpdir(), 'skiff-net-e2e.tests.lock'), '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const held = await new Promise<boolean>((resolve, reject) => {
    holder.stdout.once('data', () => resolve(true));
    holder.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve(false) : reject(err)));
    holder.once('exit', (code) => reject(new Error(`flock exited with ${code}`)));
  });
  return () => {
    if (held) holder.stdin.end();
  };
}

export function cliPath(): string {
  const path = process.env.SKIFF_CLI ?? join(repositoryRoot(), 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(path)) throw new Error(`${path} does not exist; run \`npm run build\` first`);
  return path;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const root = mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
  temporaryRoots.add(root);
  const dataDir = options.dataDir ?? join(root, 'data');
  // kubectl's discovery cache and HOME are per cluster: a cache left by an
  // older server on the same port would otherwise answer discovery for 6 hours.
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  if (options.user) {
    // The user must reach its data dir; kubectl (this process) reads it as root.
    chmodSync(root, 0o755);
    mkdirSync(dataDir, { recursive: true });
    chownSync(dataDir, options.user.uid, options.user.gid);
  }
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  let output = '';
  let child: ChildProcess | undefined;
  let port = 0;

  // Requests the apiserver refused a component (the -v 0 line `component request forbidden`), kept apart from the bounded output.
  const componentRefusals: string[] = [];
  let partialLine = '';
  const record = (text: string) => {
    output += text;
    if (output.length > outputLimit) output = output.slice(-outputLimit);
    const lines = (partialLine + text).split('\n');
    partialLine = lines.pop() ?? '';
    for (const line of lines) if (line.includes('"component request forbidden"') && !options.expectComponentRefusals?.test(line) && componentRefusals.length < 20) componentRefusals.push(line);
  };

  async function launch(wantedPort: number): Promise<void> {
    // Tests that play the node themselves run without skiff's own agent unless they ask for one.
    const runtime = options.args?.includes('--runtime') ? [] : ['--runtime', 'none'];
    const args = [cliPath(), 'up', '--data-dir', dataDir, '--port', String(wantedPort), '--bind', '127.0.0.1', ...runtime, ...(options.args ?? [])];
    record(`\n--- harness: node ${args.join(' ')}\n`);
    const started = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.user ? { uid: options.user.uid, gid: options.user.gid, env: { ...process.env, HOME: dataDir } } : {}) });
    running.add(started);
    started.once('exit', (code, signal) => {
      running.delete(started);
      record(`--- harness: skiff exited code=${code} signal=${signal}\n`);
    });
    started.stdout!.setEncoding('utf8');
    started.stderr!.setEncoding('utf8');
    started.stderr!.on('data', record);
    const timeoutMs = options.readyTimeoutMs ?? defaultReadyTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => fail(new Error(`skiff up did not print its ready line within ${timeoutMs} ms`)), timeoutMs);
      const onData = (chunk: string) => {
        record(chunk);
        seen += chunk;
        if (seen.split('\n').some((line) => line.startsWith(readyLine))) done();
      };
      const onExit = (code: number | null, signal: string | null) => fail(new Error(`skiff up exited (code ${code}, signal ${signal}) before it was ready`));
      const done = () => {
        clearTimeout(timer);
        started.off('exit', onExit);
        started.stdout!.off('data', onData);
        started.stdout!.on('data', record);
        resolve();
      };
      const fail = (err: Error) => {
        clearTimeout(timer);
        started.off('exit', onExit);
        started.kill('SIGKILL');
        reject(err);
      };
      started.stdout!.on('data', onData);
      started.once('exit', onExit);
    });
    child = started;
    port = wantedPort;
  }

  async function start(wantedPort?: number): Promise<void> {
    // The port was free when chosen but another process may take it before skiff binds; choose again then.
    for (let attempt = 1; ; attempt++) {
      const from = output.length;
      try {
        await launch(wantedPort ?? (await freePort()));
        return;
      } catch (err) {
        const addressInUse = output.slice(from).includes('EADDRINUSE');
        if (!addressInUse || attempt >= 3) throw new Error(`${(err as Error).message}\n--- server output:\n${output}`);
        wantedPort = undefined;
      }
    }
  }

  async function terminate(signal: NodeJS.Signals): Promise<number | null> {
    const current = child;
    child = undefined;
    if (!current) return null;
    const exit = exited(current);
    current.kill(signal);
    const timer = setTimeout(() => current.kill('SIGKILL'), stopTimeoutMs);
    const code = await exit;
    clearTimeout(timer);
    if (signal === 'SIGTERM' && current.signalCode === 'SIGKILL') {
      throw new Error(`skiff did not stop within ${stopTimeoutMs} ms of SIGTERM\n--- server output:\n${output}`);
    }
    return code;
  }

  function kubectl(args: string[], kubectlOptions: KubectlOptions = {}): Promise<KubectlResult> {
    const fullArgs = ['--request-timeout=30s', ...args];
    const proc = spawn(kubectlOptions.binary ?? kubectlPath(), fullArgs, { env: kubectlEnv(kubectlOptions.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    proc.stdin.on('error', () => {}); // kubectl may exit before reading all input
    proc.stdin.end(kubectlOptions.input ?? '');
    const timeoutMs = kubectlOptions.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        proc.kill('SIGKILL');
      }, timeoutMs);
      proc.on('error', reject);
      proc.on('close', (code) => {
        clearTimeout(timer);
        const result = { stdout, stderr, code: code ?? -1 };
        if (timedOut || (result.code !== 0 && !kubectlOptions.allowFailure)) {
          reject(
            new Error(
              `kubectl ${args.join(' ')} ${timedOut ? `timed out after ${timeoutMs} ms` : `exited ${result.code}`}\n` +
                `--- stdout:\n${stdout}\n--- stderr:\n${stderr}\n--- server output (tail):\n${output.slice(-8000)}`,
            ),
          );
        } else resolve(result);
      });
    });
  }

  function kubectlEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(root, 'kube-cache'), ...extra };
  }

  function kubectlStream(args: string[], streamOptions: { env?: Record<string, string>; binary?: string } = {}): KubectlStream {
    const proc = spawn(streamOptions.binary ?? kubectlPath(), args, { env: kubectlEnv(streamOptions.env), stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(proc);
    const stdout = new LineCollector();
    const stderr = new LineCollector();
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    proc.on('close', () => {
      running.delete(proc);
      stdout.end();
      stderr.end();
    });
    return {
      stdout,
      stderr,
      async stop() {
        const exit = exited(proc);
        proc.kill('SIGTERM');
        await exit;
      },
    };
  }

  await start();

  return {
    dataDir,
    get port() {
      return port;
    },
    get pid() {
      return child?.pid;
    },
    kubeconfig,
    output: () => output,
    kubectl,
    kubectlStream,
    async stop() {
      const code = await terminate('SIGTERM');
      if (!process.env.SKIFF_E2E_KEEP) {
        rmSync(root, { recursive: true, force: true });
        temporaryRoots.delete(root);
      }
      if (componentRefusals.length > 0) {
        throw new Error(`the apiserver refused components requests their default roles should allow:\n${componentRefusals.join('\n')}`);
      }
      return code;
    },
    async kill9() {
      await terminate('SIGKILL');
    },
    async restart() {
      if (child) {
        const code = await terminate('SIGTERM');
        if (code !== 0) throw new Error(`skiff exited with ${code} on SIGTERM\n--- server output:\n${output}`);
      }
      await start(port);
    },
  };
}
