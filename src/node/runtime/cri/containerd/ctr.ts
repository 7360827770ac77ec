/**
 * containerd's own client, `ctr`, for what the supervisor asks of the
 * daemon it runs: is it answering, did the CRI plugin load, is the pause
 * image there, import it. Each call has a deadline (ctr's own and a kill
 * after it) and a bounded output, so a daemon that hangs or babbles
 * cannot hold or flood the agent.
 */
import { execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export const CTR_PATH = '/usr/bin/ctr';

/** The namespace the CRI plugin keeps its images and containers in. */
export const CRI_NAMESPACE = 'k8s.io';

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 1024 * 1024;

export class CtrError extends Error {}

export interface CtrOptions {
  /** The daemon's socket. */
  address: string;
  namespace?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  ctrPath?: string;
}

/** Runs `ctr --address … [-n …] args…`; resolves with its standard output. */
export function ctr(options: CtrOptions, args: string[]): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const global = ['--address', options.address, '--connect-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '--timeout', `${Math.ceil(timeoutMs / 1000)}s`];
  if (options.namespace) global.push('--namespace', options.namespace);
  const program = options.ctrPath ?? CTR_PATH;
  return new Promise((resolve, reject) => {
    execFile(
      program,
      [...global, ...args],
      { encoding: 'utf8', timeout: timeoutMs + 5_000, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, signal: options.signal },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const said = (stderr || '').trim().split('\n').slice(-3).join(' ').slice(0, 1000);
        reject(new CtrError(`ctr ${args.join(' ')}: ${said || err.message}`));
      },
    );
  });
}

/** The daemon's version: it answers gRPC. */
export async function containerdVersion(options: CtrOptions): Promise<string> {
  const output = await ctr(options, ['version']);
  return /Server:[\s\S]*?Version:\s*(\S+)/.exec(output)?.[1] ?? 'unknown';
}

export interface PluginStatus {
  type: string;
  id: string;
  status: string;
}

/** `ctr plugins ls` as rows: TYPE ID PLATFORMS STATUS. */
export function parsePluginList(output: string): PluginStatus[] {
  return output
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 3)
    .map((fields) => ({ type: fields[0], id: fields[1], status: fields[fields.length - 1] }));
}

export async function pluginStatuses(options: CtrOptions): Promise<PluginStatus[]> {
  return parsePluginList(await ctr(options, ['plugins', 'ls']));
}

/** The names of the images in the namespace. */
export async function imageNames(options: CtrOptions): Promise<string[]> {
  const output = await ctr(options, ['images', 'ls', '-q']);
  return output.split('\n').map((line) => line.trim()).filter(Boolean);
}

/** How long an import of one archive may take: a large image from a slow disk. */
const IMPORT_TIMEOUT_MS = 10 * 60_000;

/**
 * `ctr images import -` with `archive` (a plain tar: docker save or an OCI
 * layout) on its stdin, unpacked for `snapshotter` so the CRI can run it at
 * once; resolves with the names it imported (`docker.io/library/app:v1`).
 */
export function importImages(options: CtrOptions, archive: Readable, snapshotter?: string): Promise<string[]> {
  const timeoutMs = options.timeoutMs ?? IMPORT_TIMEOUT_MS;
  const args = ['--address', options.address, '--namespace', options.namespace ?? CRI_NAMESPACE, 'images', 'import', ...(snapshotter ? ['--snapshotter', snapshotter] : []), '-'];
  return new Promise((resolve, reject) => {
    const child = spawn(options.ctrPath ?? CTR_PATH, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal, timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    const keep = (text: string, chunk: Buffer) => (text.length < MAX_OUTPUT_BYTES ? text + chunk.toString() : text);
    child.stdout.on('data', (chunk: Buffer) => (stdout = keep(stdout, chunk)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = keep(stderr, chunk)));
    child.once('error', (err) => reject(new CtrError(`ctr images import: ${err.message}`)));
    // ctr stops reading when it fails: what is left of the archive goes nowhere.
    child.stdin.on('error', () => {});
    archive.once('error', (err) => (child.kill('SIGKILL'), reject(new CtrError(`ctr images import: reading the archive: ${err.message}`))));
    archive.pipe(child.stdin);
    child.once('close', (code) => {
      if (code === 0) return resolve(importedNames(stdout));
      const said = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 1000);
      reject(new CtrError(`ctr images import: ${said || `exited with ${code}`}`));
    });
  });
}

/** The names in ctr's import report: `unpacking docker.io/library/app:v1 (sha256:…)...done`. */
export function importedNames(output: string): string[] {
  return [...output.matchAll(/^unpacking (\S+) \(sha256:[0-9a-f]+\)/gm)].map((match) => match[1]);
}
