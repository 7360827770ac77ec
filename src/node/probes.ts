/**
 * Container probes, as upstream's prober: exec (the command exits 0),
 * httpGet (a 2xx or 3xx answer) and tcpSocket (a connection opens), each
 * with initialDelaySeconds, periodSeconds, timeoutSeconds, successThreshold
 * and failureThreshold.
 *   - startup: until it succeeds, the other probes wait; failing it kills
 *     the container;
 *   - liveness: failing it kills the container (the restart policy decides
 *     what next);
 *   - readiness: decides whether the container (and the pod) is Ready.
 * An exec probe runs through the runtime's ExecSync when it has one (the
 * command is killed at the timeout), else through its streaming exec.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ExecTimeoutError, type ExecOptions, type ExecProcess, type ExecSyncResult } from './runtime/runtime.js';

/** What an exec probe's output is cut to (the kubelet keeps 10 KiB). */
const maxExecOutput = 10 * 1024;

export interface Probe {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number | string; host?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ProbeTarget {
  /** Where httpGet and tcpSocket go when the probe names no host. */
  host: string;
  /** Runs a command in the container (its runtime's exec); undefined when the runtime cannot. */
  exec?: (command: string[], options: ExecOptions) => ExecProcess | undefined;
  /**
   * Runs a command in the container to its end, killed after
   * `timeoutSeconds` (0: no limit) or when `signal` aborts (its runtime's
   * execSync): preferred to `exec` when there — a CRI runtime's streaming
   * exec leaves a timed-out command running.
   */
  execSync?: (command: string[], timeoutSeconds: number, signal?: AbortSignal) => Promise<ExecSyncResult>;
  /** Named container ports, for probes that name their port. */
  ports: Record<string, number>;
}

export interface ProbeResult {
  ok: boolean;
  /** Why it failed, in upstream's words (for the Unhealthy event). */
  output?: string;
}

function portOf(port: number | string, target: ProbeTarget): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return target.ports[port];
}

/** Runs one probe once. A timeoutSeconds of Infinity waits as long as it takes (a postStart hook). */
export function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeResult> {
  const seconds = probe.timeoutSeconds ?? 1;
  // Node's timers and sockets take no infinite delay: none is set then.
  const timeoutMs = Number.isFinite(seconds) ? seconds * 1000 : undefined;
  if (probe.exec?.command?.length) {
    const command = probe.exec.command;
    if (target.execSync) return execSyncProbe(command, target.execSync, seconds);
    // Inside the container, as the container runs — never on the node.
    const exec = target.exec?.(command, { stdin: false });
    if (!exec) return Promise.resolve({ ok: false, output: target.exec ? 'the container is not running' : 'the container runtime cannot run commands' });
    return new Promise((resolve) => {
      let output = '';
      const collect = (data: Buffer) => {
        if (output.length < maxExecOutput) output += data.toString('utf8').slice(0, maxExecOutput - output.length);
      };
      exec.stdout.on('data', collect);
      exec.stderr.on('data', collect);
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              exec.kill();
              resolve({ ok: false, output: `command timed out after ${seconds}s` });
            }, timeoutMs);
      void exec.done.then(({ exitCode, error }) => {
        clearTimeout(timer);
        if (error !== undefined) resolve({ ok: false, output: error });
        else resolve({ ok: exitCode === 0, output: output.trim() || `command exited with ${exitCode}` });
      });
    });
  }
  if (probe.httpGet) {
    const port = portOf(probe.httpGet.port, target);
    if (port === undefined) return Promise.resolve({ ok: false, output: `unknown port ${probe.httpGet.port}` });
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toUpperCase();
    const host = probe.httpGet.host || target.host;
    const path = probe.httpGet.path ?? '/';
    return new Promise((resolve) => {
      const client = scheme === 'HTTPS' ? https : http;
      const headers = Object.fromEntries((probe.httpGet!.httpHeaders ?? []).map((h) => [h.name, h.value]));
      const req = client.get({ host, port, path, headers: { 'User-Agent': 'kube-probe/1.32', ...headers }, ...(timeoutMs ? { timeout: timeoutMs } : {}), rejectUnauthorized: false }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, output: `HTTP probe failed with statuscode: ${code}` });
      });
      req.on('timeout', () => {
        req.destroy();
        resolve({ ok: false, output: `Get "${scheme.toLowerCase()}://${host}:${port}${path}": context deadline exceeded` });
      });
      req.on('error', (err) => resolve({ ok: false, output: `Get "${scheme.toLowerCase()}://${host}:${port}${path}": ${err.message}` }));
    });
  }
  if (probe.tcpSocket) {
    const port = portOf(probe.tcpSocket.port, target);
    const host = probe.tcpSocket.host || target.host;
    if (port === undefined) return Promise.resolve({ ok: false, output: `unknown port ${probe.tcpSocket.port}` });
    return new Promise((resolve) => {
      const socket = net.connect({ host, port, ...(timeoutMs ? { timeout: timeoutMs } : {}) });
      socket.on('connect', () => {
        socket.destroy();
        resolve({ ok: true });
      });
      socket.on('timeout', () => {
        socket.destroy();
        resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` });
      });
      socket.on('error', (err) => resolve({ ok: false, output: `dial tcp ${host}:${port}: ${err.message}` }));
    });
  }
  return Promise.resolve({ ok: false, output: 'probe has no handler' });
}

/**
 * An exec probe through the runtime's ExecSync: the runtime kills the
 * command at the timeout, and so does cancelling the call — which this
 * does at its own timer, so the probe ends on time whatever the runtime's
 * rounding (the CRI's timeout is in whole seconds). The output is stdout
 * then stderr, as the kubelet joins them.
 */
function execSyncProbe(command: string[], execSync: NonNullable<ProbeTarget['execSync']>, seconds: number): Promise<ProbeResult> {
  const timedOut: ProbeResult = { ok: false, output: `command timed out after ${seconds}s` };
  const cancel = new AbortController();
  return new Promise((resolve) => {
    const timer = Number.isFinite(seconds)
      ? setTimeout(() => {
          cancel.abort();
          resolve(timedOut);
        }, seconds * 1000)
      : undefined;
    execSync(command, Number.isFinite(seconds) ? seconds : 0, cancel.signal).then(
      ({ exitCode, stdout, stderr }) => {
        clearTimeout(timer);
        const output = Buffer.concat([stdout, stderr]).toString('utf8').slice(0, maxExecOutput);
        resolve({ ok: exitCode === 0, output: output.trim() || `command exited with ${exitCode}` });
      },
      (err: unknown) => {
        clearTimeout(timer);
        resolve(err instanceof ExecTimeoutError ? timedOut : { ok: false, output: err instanceof Error ? err.message : String(err) });
      },
    );
  });
}

/**
 * The state of one probe of one container attempt: runs it on its period,
 * counts consecutive successes and failures, and calls back when the
 * verdict flips (success after successThreshold, failure after
 * failureThreshold).
 */
export class ProbeWorker {
  private timer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  private stopped = false;
  verdict: boolean | undefined;

  constructor(
    private readonly probe: Probe,
    private readonly target: () => ProbeTarget,
    private readonly onVerdict: (ok: boolean, output?: string) => void,
    private readonly onFailure: (output?: string) => void = () => {},
  ) {}

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const result = await runProbe(this.probe, this.target());
    if (this.stopped) return;
    if (result.ok) {
      this.failures = 0;
      this.successes++;
      if (this.verdict !== true && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.verdict = true;
        this.onVerdict(true);
      }
    } else {
      this.successes = 0;
      this.failures++;
      this.onFailure(result.output);
      if (this.verdict !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.verdict = false;
        this.onVerdict(false, result.output);
      }
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
