/**
 * A container's security settings as containerd + runc give them under the
 * kubelet: the default capability set and `securityContext.capabilities`
 * add/drop, the paths hidden or made read-only in /proc and /sys, and what
 * `privileged` and `allowPrivilegeEscalation` change.
 */

/** Linux capability numbers (linux/capability.h), by the names Kubernetes uses (without `CAP_`). */
export const capabilityNumbers: Record<string, number> = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7,
  SETPCAP: 8, LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13,
  IPC_LOCK: 14, IPC_OWNER: 15, SYS_MODULE: 16, SYS_RAWIO: 17, SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_PACCT: 20,
  SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23, SYS_RESOURCE: 24, SYS_TIME: 25, SYS_TTY_CONFIG: 26, MKNOD: 27,
  LEASE: 28, AUDIT_WRITE: 29, AUDIT_CONTROL: 30, SETFCAP: 31, MAC_OVERRIDE: 32, MAC_ADMIN: 33, SYSLOG: 34,
  WAKE_ALARM: 35, BLOCK_SUSPEND: 36, AUDIT_READ: 37, PERFMON: 38, BPF: 39, CHECKPOINT_RESTORE: 40,
};

/** What containerd gives a container unless told otherwise (its default spec's capability list). */
export const defaultCapabilities = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];

/** containerd's default masked paths: hidden from the container (an empty view over them). */
export const defaultMaskedPaths = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** containerd's default read-only paths. */
export const defaultReadOnlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface ContainerSecurity {
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  /** `Default` (masked and read-only paths as above) or `Unmasked`. */
  procMount?: string;
}

export class SecurityError extends Error {}

function capabilityName(name: string): string {
  const bare = name.toUpperCase().replace(/^CAP_/, '');
  if (bare !== 'ALL' && !(bare in capabilityNumbers)) throw new SecurityError(`unknown capability "${name}"`);
  return bare;
}

/**
 * The capabilities a container keeps, as numbers: every one when
 * privileged; otherwise the defaults, with `drop` applied before `add`
 * (upstream's order — `drop: [ALL], add: [NET_BIND_SERVICE]` keeps one).
 */
export function containerCapabilities(security: ContainerSecurity = {}): number[] {
  const all = Object.keys(capabilityNumbers);
  if (security.privileged) return all.map((name) => capabilityNumbers[name]);
  const drop = (security.capabilities?.drop ?? []).map(capabilityName);
  const add = (security.capabilities?.add ?? []).map(capabilityName);
  let kept = new Set(drop.includes('ALL') ? [] : defaultCapabilities.filter((c) => !drop.includes(c)));
  if (add.includes('ALL')) kept = new Set(all);
  for (const name of add) if (name !== 'ALL') kept.add(name);
  return [...kept].map((name) => capabilityNumbers[name]).sort((a, b) => a - b);
}

/**
 * no_new_privs: upstream sets it unless privilege escalation is allowed,
 * and escalation is allowed by default — except that it cannot be turned
 * off for a privileged container or one that adds CAP_SYS_ADMIN (the
 * apiserver refuses such pods; the node does not second-guess them).
 */
export function noNewPrivileges(security: ContainerSecurity = {}): boolean {
  return security.allowPrivilegeEscalation === false && !security.privileged;
}

/** The masked and read-only paths of a container: none when privileged or with procMount Unmasked. */
export function hiddenPaths(security: ContainerSecurity = {}): { maskedPaths: string[]; readOnlyPaths: string[] } {
  if (security.privileged || security.procMount === 'Unmasked') return { maskedPaths: [], readOnlyPaths: [] };
  return { maskedPaths: defaultMaskedPaths, readOnlyPaths: defaultReadOnlyPaths };
}
