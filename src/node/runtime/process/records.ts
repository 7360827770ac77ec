/**
 * What the process runtime records of its sandboxes and containers (the
 * JSON files of the state directory, which a restarted agent reads back),
 * and what a container's files say about how it ended.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig, ContainerStatus, PodSandbox } from '../runtime.js';
import type { ContainerCgroup } from './cgroups.js';
import { overwriteFile, readText } from './host.js';
import type { PodNetworkInfo } from './network.js';
import type { ContainerOutput, OutputListener } from './output.js';

export interface SandboxRecord extends PodSandbox {
  namespace: string;
  name: string;
  hostname: string;
  hostNetwork: boolean;
  network?: PodNetworkInfo;
  /** The pod shim: holds the pod's namespaces, starts and watches its containers. */
  shimPid?: number;
  /** Its RuntimeClass handler: `host` runs commands on the node's file system, not in their images. */
  runtimeHandler?: string;
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  name: string;
  image: string;
  attempt: number;
  logPath: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
  message?: string;
  /** The container's main process, leader of its own process group (0 when it could not start). */
  pgid?: number;
  cgroupPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  /** It runs on a terminal (spec.tty). */
  tty?: boolean;
}

export interface Container {
  record: ContainerRecord;
  dir: string;
  config?: ContainerConfig;
  /** Its seccomp filter, compiled when it was created (container-spec.ts). */
  seccomp?: string;
  cgroup?: ContainerCgroup;
  stopping?: boolean;
  /** Its output on the way to the log, while it runs. */
  output?: ContainerOutput;
  /** Stdin's write end (containers with spec.stdin). */
  stdinFd?: number;
  attached: Set<OutputListener>;
  exited?: Promise<void>;
  markExited?: () => void;
  /** Found running by this runtime's start, left by an earlier agent. */
  adopted?: boolean;
  /** Settled when its shim says it started (its PID known). */
  started?: Promise<void>;
  markStarted?: (pid: number) => void;
}

/**
 * Writes a record synchronously, in place (host.ts overwriteFile): handing
 * each small write to the thread pool cost more CPU than it saved, on a VM
 * whose context switches are dear.
 */
export function saveRecord(path: string, record: object): void {
  overwriteFile(path, JSON.stringify(record));
}

/** A container as the runtime interface reports it. */
export function containerStatusOf(r: ContainerRecord): ContainerStatus {
  const state = r.exitCode !== undefined ? 'exited' : r.startedAt ? 'running' : 'created';
  return {
    id: r.id,
    name: r.name,
    image: r.image,
    attempt: r.attempt,
    state,
    createdAt: new Date(r.createdAt),
    ...(r.startedAt ? { startedAt: new Date(r.startedAt) } : {}),
    ...(r.finishedAt ? { finishedAt: new Date(r.finishedAt) } : {}),
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.message ? { message: r.message } : {}),
    logPath: r.logPath,
  };
}

/**
 * How a container ended, from the files its shim wrote in its directory:
 * `exit` (the code), `start-error` (why the command never ran: StartError,
 * 128). No exit file — its shim was killed with it — reads as a kill (137),
 * with what the runtime knew (`message`).
 */
export function endOf(dir: string, known: { oomKilled: boolean; message?: string }): { exitCode: number; reason: string; message?: string } {
  const startError = readText(join(dir, 'start-error'));
  if (startError) return { exitCode: 128, reason: 'StartError', message: startError };
  const written = Number.parseInt(readText(join(dir, 'exit')), 10);
  const exitCode = Number.isNaN(written) ? 137 : written;
  const reason = known.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
  const message = !existsSync(join(dir, 'exit')) ? known.message : undefined;
  return { exitCode, reason, ...(message ? { message } : {}) };
}
