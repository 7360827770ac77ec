/**
 * Which sysctls a pod may set on this node, checked when the agent admits
 * the pod, as the kubelet's sysctl allowlist does: the safe ones (namespaced
 * and isolated from other pods: upstream's list for v1.32, each from the
 * kernel that made it namespaced), plus the unsafe ones the node's
 * `--allowed-unsafe-sysctls` names (exact names, or prefixes ending in
 * `*`). A net.* sysctl cannot be set in a pod on the node's network, nor an
 * IPC one in a pod with the node's IPC namespace. A pod that asks for
 * anything else is rejected: Failed, reason SysctlForbidden, with the
 * kubelet's message.
 */
import { release } from 'node:os';

/** The kubelet's reason for a pod rejected over a sysctl. */
export const sysctlForbiddenReason = 'SysctlForbidden';

/** The safe sysctls, with the kernel release from which each is namespaced (none: any). */
const safeSysctls: { name: string; kernel?: [number, number] }[] = [
  { name: 'kernel.shm_rmid_forced' },
  { name: 'net.ipv4.ip_local_port_range' },
  { name: 'net.ipv4.tcp_syncookies' },
  { name: 'net.ipv4.ping_group_range' },
  { name: 'net.ipv4.ip_unprivileged_port_start' },
  { name: 'net.ipv4.ip_local_reserved_ports', kernel: [3, 16] },
  { name: 'net.ipv4.tcp_keepalive_time', kernel: [4, 5] },
  { name: 'net.ipv4.tcp_fin_timeout', kernel: [4, 6] },
  { name: 'net.ipv4.tcp_keepalive_intvl', kernel: [4, 5] },
  { name: 'net.ipv4.tcp_keepalive_probes', kernel: [4, 5] },
  { name: 'net.ipv4.tcp_rmem', kernel: [4, 15] },
  { name: 'net.ipv4.tcp_wmem', kernel: [4, 15] },
];

/** Which namespace a sysctl belongs to (the kubelet's words, used in its messages), or undefined when not namespaced. */
export type SysctlNamespace = 'IPC' | 'Net';

/** `a/b/c` is the same sysctl as `a.b.c` (the kubelet normalizes the first form). */
export function normalizeSysctlName(name: string): string {
  // A name with both: the first separator decides, as in the kubelet (a/b.c/d → a.b/c.d).
  const slash = name.indexOf('/');
  const dot = name.indexOf('.');
  if (slash < 0 || (dot >= 0 && dot < slash)) return name;
  return name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

/** The namespace a sysctl (or a prefix pattern's stem) is in: IPC for kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*; Net for net.*. */
export function namespaceOfSysctl(name: string): SysctlNamespace | undefined {
  if (name === 'kernel.sem' || name.startsWith('kernel.shm') || name.startsWith('kernel.msg') || name.startsWith('fs.mqueue.')) return 'IPC';
  if (name.startsWith('net.')) return 'Net';
  return undefined;
}

/** The running kernel's major and minor release (6.1.0-… → [6, 1]); undefined when it cannot be read. */
function kernelRelease(text = release()): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** The safe sysctls this kernel namespaces (those needing a newer kernel are left out, as the kubelet leaves them; null: a kernel of unknown release). */
export function safeSysctlAllowlist(kernel: [number, number] | null = kernelRelease() ?? null): string[] {
  const atLeast = (need: [number, number]) => !!kernel && (kernel[0] > need[0] || (kernel[0] === need[0] && kernel[1] >= need[1]));
  return safeSysctls.filter((s) => !s.kernel || atLeast(s.kernel)).map((s) => s.name);
}

export class SysctlPatternError extends Error {}

/** An allowlist: exact names and `prefix*` patterns, each with its namespace. */
export class SysctlAllowlist {
  private readonly names = new Map<string, SysctlNamespace>();
  private readonly prefixes = new Map<string, SysctlNamespace>();

  /**
   * The safe sysctls plus the unsafe patterns allowed (`--allowed-unsafe-sysctls`).
   * A pattern that is not a namespaced sysctl (or a prefix of namespaced ones)
   * is refused, as the kubelet refuses to start with one.
   */
  constructor(unsafePatterns: string[] = [], safe: string[] = safeSysctlAllowlist()) {
    for (const raw of [...safe, ...unsafePatterns]) {
      const pattern = normalizeSysctlName(raw.trim());
      if (!/^(?:[a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?(?:[./]?\*)?$/.test(pattern)) {
        throw new SysctlPatternError(`sysctl pattern ${JSON.stringify(raw)}: expected a sysctl name such as net.core.somaxconn, or a prefix ending in * such as net.ipv4.*`);
      }
      const stem = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
      // A prefix must itself lie inside one namespaced group (net.* yes, kernel.* no).
      const namespace = namespaceOfSysctl(stem);
      if (!namespace) throw new SysctlPatternError(`sysctl pattern ${JSON.stringify(raw)}: not known to be namespaced (only kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* and net.* are)`);
      if (pattern.endsWith('*')) this.prefixes.set(stem, namespace);
      else this.names.set(pattern, namespace);
    }
  }

  /** Why a pod may not set this sysctl here, in the kubelet's words; undefined when it may. */
  check(sysctl: string, hostNetwork: boolean, hostIPC: boolean): string | undefined {
    const name = normalizeSysctlName(sysctl);
    const namespace = this.names.get(name) ?? [...this.prefixes].find(([prefix]) => name.startsWith(prefix))?.[1];
    if (!namespace) return `${JSON.stringify(name)} not allowlisted`;
    if ((namespace === 'IPC' && hostIPC) || (namespace === 'Net' && hostNetwork)) return `${JSON.stringify(name)} not allowed with host ${namespace} enabled`;
    return undefined;
  }

  /** Why the pod is rejected (its first sysctl this node does not allow), or undefined. */
  admit(pod: { spec?: { hostNetwork?: boolean; hostIPC?: boolean; securityContext?: { sysctls?: { name?: string }[] } } }): { reason: string; message: string } | undefined {
    for (const sysctl of pod.spec?.securityContext?.sysctls ?? []) {
      const problem = this.check(sysctl.name ?? '', !!pod.spec?.hostNetwork, !!pod.spec?.hostIPC);
      if (problem) return { reason: sysctlForbiddenReason, message: `Pod was rejected: forbidden sysctl: ${problem}` };
    }
    return undefined;
  }
}
