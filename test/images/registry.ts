/**
 * Test support: a real OCI distribution registry (Debian's `docker-registry`,
 * CNCF distribution 2.8) on loopback, with its storage in a temp dir and
 * optional htpasswd auth and optional TLS (with client certificates), so
 * image pulls are tested against the real protocol without the internet.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface StartRegistryOptions {
  /** Require HTTP basic auth with these credentials. */
  htpasswd?: RegistryCredentials;
  /** How long to wait for the registry to answer; defaults to 20s. */
  readyTimeoutMs?: number;
  /** Serve https with this certificate and key (PEM); with `clientCA`, require client certificates it signed. */
  tls?: RegistryTlsOptions;
}

export interface RegistryTlsOptions {
  certificate: string;
  key: string;
  clientCA?: string;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as used in image references. */
  host: string;
  /** `http://127.0.0.1:PORT`, or `https://…` with `tls`. */
  url: string;
  /** The credentials the registry requires, if any. */
  credentials?: RegistryCredentials;
  /** Kills the registry, waits for it to exit and removes its storage. Safe to call twice. */
  stop(): Promise<void>;
}

const REGISTRY_BINARY = 'docker-registry';
const BIND_ATTEMPTS = 5;
const STDERR_KEPT_BYTES = 64 * 1024;

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory; keep looking.
    }
  }
  return undefined;
}

export function registryAvailable(): boolean {
  return findOnPath(REGISTRY_BINARY) !== undefined;
}

/** For `{ skip: registrySkipReason() }`: false when the registry can run, else why not. */
export function registrySkipReason(): string | false {
  return registryAvailable() ? false : `${REGISTRY_BINARY} is not installed (apt-get install docker-registry)`;
}

/**
 * A port that was free a moment ago. Another process may take it before the
 * registry binds, which is why startRegistry retries on a bind failure.
 */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not learn a free port'))));
    });
  });
}

/**
 * distribution accepts only bcrypt hashes in htpasswd files. Node has no
 * bcrypt, so ask python3: its `crypt` module (until 3.13) or the `bcrypt`
 * package. Cost 4, the minimum, because the registry re-hashes on every
 * request and the default cost would make each one take hundreds of ms.
 */
function bcryptHash(password: string): string {
  const script = [
    'import sys',
    'password = sys.stdin.read()',
    'try:',
    '    import crypt',
    '    print(crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)) or "")',
    'except (ImportError, AttributeError, ValueError):',
    '    try:',
    '        import bcrypt',
    '        print(bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode())',
    '    except ImportError:',
    '        print("")',
  ].join('\n');
  let hash: string;
  try {
    // The password goes through stdin so it never shows in a process listing.
    hash = execFileSync('python3', ['-W', 'ignore', '-c', script], { input: password, encoding: 'utf8' }).trim();
  } catch (error) {
    throw new Error(`generating a bcrypt htpasswd entry needs python3: ${(error as Error).message}`);
  }
  if (!/^\$2[aby]?\$/.test(hash)) {
    throw new Error("generating a bcrypt htpasswd entry needs python3 with the 'crypt' module (Python < 3.13, libxcrypt with bcrypt) or the 'bcrypt' package; neither worked");
  }
  return hash;
}

function writeHtpasswd(dir: string, credentials: RegistryCredentials): string {
  if (!credentials.username || /[:\n\r]/.test(credentials.username)) {
    throw new Error(`htpasswd username ${JSON.stringify(credentials.username)} must be non-empty and contain no ':' or newline`);
  }
  const path = join(dir, 'htpasswd');
  writeFileSync(path, `${credentials.username}:${bcryptHash(credentials.password)}\n`, { mode: 0o600 });
  return path;
}

/** The registry's `http.tls` section, its PEM files written into `dir`. */
function writeTlsFiles(dir: string, tls: RegistryTlsOptions): Record<string, unknown> {
  const file = (name: string, pem: string) => {
    const path = join(dir, name);
    writeFileSync(path, pem, { mode: 0o600 });
    return path;
  };
  return {
    certificate: file('server.pem', tls.certificate),
    key: file('server-key.pem', tls.key),
    ...(tls.clientCA ? { clientcas: [file('client-ca.pem', tls.clientCA)] } : {}),
  };
}

/** YAML is a superset of JSON, so the config is written as JSON to avoid hand-rolled YAML. */
function writeConfig(dir: string, port: number, htpasswdPath: string | undefined, tls: Record<string, unknown> | undefined): string {
  const config = {
    version: '0.1',
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'storage') },
      delete: { enabled: true },
    },
    // A fixed secret only silences the "generated random secret" warning; nothing depends on it.
    http: { addr: `127.0.0.1:${port}`, secret: 'skiff-test-registry', ...(tls ? { tls } : {}) },
    ...(htpasswdPath ? { auth: { htpasswd: { realm: 'skiff-test-registry', path: htpasswdPath } } } : {}),
  };
  const path = join(dir, 'config.yml');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

interface RunningRegistry {
  child: ChildProcess;
  exited: Promise<void>;
  hasExited(): boolean;
  stderr(): string;
}

function spawnRegistry(configPath: string): RunningRegistry {
  const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT_BYTES);
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    // A spawn failure emits 'error' and possibly no 'exit'.
    child.once('error', (error) => {
      stderr += `\n${error.message}`;
      exited = true;
      resolve();
    });
  });
  return { child, exited: exitedPromise, hasExited: () => exited, stderr: () => stderr };
}

/** Whether a TLS handshake with the registry completes (its certificate unchecked); an error says why not. */
function tlsHandshake(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, timeout: 2000 }, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
    socket.once('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
  });
}

/**
 * Polls `GET /v2/` until the registry answers as configured, exits, or the
 * deadline passes. Over TLS, a completed handshake is enough: a registry that
 * requires client certificates answers nothing else to this probe.
 */
async function waitUntilReady(url: string, running: RunningRegistry, expectStatus: number, timeoutMs: number): Promise<'ready' | 'exited'> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (running.hasExited()) return 'exited';
    try {
      if (url.startsWith('https:')) {
        await tlsHandshake(Number(new URL(url).port));
        return 'ready';
      }
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === expectStatus) return 'ready';
      lastProblem = `GET /v2/ answered ${response.status}, expected ${expectStatus}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`docker-registry at ${url} not ready after ${timeoutMs}ms (${lastProblem}); stderr:\n${running.stderr()}`);
}

async function terminate(running: RunningRegistry): Promise<void> {
  if (running.hasExited()) return;
  running.child.kill('SIGTERM');
  const exitedInTime = await Promise.race([running.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, 5000, false).unref())]);
  if (!exitedInTime) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
}

export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  if (!registryAvailable()) throw new Error(registrySkipReason() || 'docker-registry is not available');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-registry-'));
  const failures: string[] = [];
  try {
    const htpasswdPath = options.htpasswd ? writeHtpasswd(dir, options.htpasswd) : undefined;
    const tls = options.tls ? writeTlsFiles(dir, options.tls) : undefined;
    for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
      const port = await freeLoopbackPort();
      const running = spawnRegistry(writeConfig(dir, port, htpasswdPath, tls));
      // If the test process dies without stop(), do not leave a registry running.
      const killOnExit = () => running.child.kill('SIGKILL');
      process.once('exit', killOnExit);
      const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
      let outcome: 'ready' | 'exited';
      try {
        outcome = await waitUntilReady(url, running, options.htpasswd ? 401 : 200, options.readyTimeoutMs ?? 20_000);
      } catch (error) {
        await terminate(running);
        process.removeListener('exit', killOnExit);
        throw error;
      }
      if (outcome === 'exited') {
        process.removeListener('exit', killOnExit);
        // Most likely someone else took the port between our probe and its bind; try another.
        failures.push(`attempt ${attempt} (port ${port}), exit code ${running.child.exitCode}:\n${running.stderr()}`);
        continue;
      }
      let stopped: Promise<void> | undefined;
      return {
        host: `127.0.0.1:${port}`,
        url,
        ...(options.htpasswd ? { credentials: { ...options.htpasswd } } : {}),
        stop() {
          stopped ??= (async () => {
            await terminate(running);
            process.removeListener('exit', killOnExit);
            rmSync(dir, { recursive: true, force: true });
          })();
          return stopped;
        },
      };
    }
    throw new Error(`docker-registry exited before becoming ready, ${BIND_ATTEMPTS} times:\n${failures.join('\n')}`);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
