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
  /** The image's root file system, as an overlay (isolated pods); without it the container sees the node's. */
  rootfs?: ContainerRootfs;
  /** Who the command runs as, numeric (names are resolved in the image beforehand). Without it: as the shim (root). */
  user?: { uid: number; gid: number; groups: number[] };
  /** Capabilities (numbers, as in linux/capability.h) the container keeps: its bounding set, and its effective set when uid 0. */
  capabilities?: number[];
  /** allowPrivilegeEscalation: false (the process and its children cannot gain privileges: no_new_privs). */
  noNewPrivileges?: boolean;
  /** The seccomp filter (seccomp.ts): struct sock_filter[] in hex, loaded just before the command. */
  seccomp?: string;
  /** Written to the command's /proc/PID/oom_score_adj (oom-score.ts). */
  oomScoreAdj?: number;
}

export interface ContainerRootfs {
  /** Where the root is assembled and the overlay mounted (`<container dir>/rootfs`). */
  dir: string;
  /** The image's unpacked layers, top-most first (overlayfs's lowerdir order). */
  lowerDirs: string[];
  /** The container's own writable layer and overlayfs's work directory (same file system). */
  upperDir: string;
  workDir: string;
  readOnly: boolean;
  /** privileged: every device of the node, /sys writable, nothing masked. */
  privileged: boolean;
  /** Paths hidden (an empty read-only view over them) and paths made read-only: upstream's defaults unless procMount is Unmasked. */
  maskedPaths: string[];
  readOnlyPaths: string[];
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
    ...(spec.rootfs ? rootfsEntries(spec.rootfs) : []),
    ...(spec.user ? [`uid=${spec.user.uid}`, `gid=${spec.user.gid}`, ...spec.user.groups.map((g) => `group=${g}`)] : []),
    ...(spec.capabilities ? [`capabilities=${spec.capabilities.join(',')}`] : []),
    ...(spec.noNewPrivileges ? ['no-new-privileges=1'] : []),
    ...(spec.seccomp ? [`seccomp=${spec.seccomp}`] : []),
    ...(spec.oomScoreAdj !== undefined ? [`oom-score-adj=${spec.oomScoreAdj}`] : []),
  ];
  for (const entry of entries) {
    if (entry.includes('\0')) throw new Error(`a NUL byte in ${JSON.stringify(entry.slice(0, 40))}: a container's command, environment and paths cannot hold one`);
  }
  return Buffer.from(entries.map((entry) => `${entry}\0`).join(''));
}

function rootfsEntries(rootfs: ContainerRootfs): string[] {
  return [
    `rootfs=${rootfs.dir}`,
    ...rootfs.lowerDirs.map((dir) => `lower=${dir}`),
    `upper=${rootfs.upperDir}`,
    `work=${rootfs.workDir}`,
    `readonly-rootfs=${rootfs.readOnly ? 1 : 0}`,
    `privileged=${rootfs.privileged ? 1 : 0}`,
    ...rootfs.maskedPaths.map((path) => `masked=${path}`),
    ...rootfs.readOnlyPaths.map((path) => `readonly-path=${path}`),
  ];
}

export function writeContainerSpec(dir: string, spec: ContainerSpec): void {
  writeFileSync(join(dir, 'spec'), encodeContainerSpec(spec));
}
