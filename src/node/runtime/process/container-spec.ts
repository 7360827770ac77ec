/**
 * What a pod shim needs to start a container, written as the `spec` file in
 * the container's state directory (the shim's container.c reads it): a list
 * of NUL-terminated `key=value` entries, so any byte but NUL may appear in
 * an argument, a variable or a path.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mount } from '../runtime.js';

export interface ContainerSpec {
  argv: string[];
  env: Record<string, string>;
  workingDir: string;
  /** cgroup.procs files the container joins before its command runs. */
  cgroupProcs: string[];
  /** Bind mounts, made in the container's own mount namespace (isolated pods only). */
  mounts: Mount[];
  stdin: 'none' | 'keep' | 'once';
  tty: boolean;
  /** Join the PID namespace of this (node) PID's container rather than get one's own (isolated pods). */
  pidNamespaceOf?: number;
}

export function encodeContainerSpec(spec: ContainerSpec): Buffer {
  const entries = [
    ...spec.argv.map((arg) => `arg=${arg}`),
    ...Object.entries(spec.env).map(([name, value]) => `env=${name}=${value}`),
    `cwd=${spec.workingDir || '/'}`,
    ...spec.cgroupProcs.map((file) => `cgroup=${file}`),
    ...spec.mounts.flatMap((m) => [`mount-${m.readOnly ? 'ro' : 'rw'}=${m.hostPath}`, `target=${m.containerPath}`]),
    `stdin=${spec.stdin}`,
    `tty=${spec.tty ? 1 : 0}`,
    ...(spec.pidNamespaceOf ? [`pid-namespace-of=${spec.pidNamespaceOf}`] : []),
  ];
  for (const entry of entries) {
    if (entry.includes('\0')) throw new Error(`a NUL byte in ${JSON.stringify(entry.slice(0, 40))}: a container's command, environment and paths cannot hold one`);
  }
  return Buffer.from(entries.map((entry) => `${entry}\0`).join(''));
}

export function writeContainerSpec(dir: string, spec: ContainerSpec): void {
  writeFileSync(join(dir, 'spec'), encodeContainerSpec(spec));
}
