/**
 * Which service proxy a node runs, and why (said in one log line at start):
 *
 *   nftables    root and a working `nft`: DNAT rules in the kernel (proxier.ts)
 *   userspace   otherwise: relays in this process (userspace.ts), the
 *               ClusterIPs themselves bound on a service interface as root
 *               (service-interface.ts), their 127.x.y.z twins as an
 *               ordinary user
 *
 * `--proxy-mode` forces one, as kube-proxy's flag of that name does; a
 * forced nftables that cannot run is an error, not a silent fallback.
 */
import { spawnSync } from 'node:child_process';

export type ProxyModeFlag = 'auto' | 'nftables' | 'userspace';

export const proxyModeFlags: readonly ProxyModeFlag[] = ['auto', 'nftables', 'userspace'];

export interface ProxyModeChoice {
  mode: 'nftables' | 'userspace';
  /** Where a userspace proxy serves ClusterIPs: on themselves (root) or at loopback twins. */
  clusterIPs?: 'interface' | 'loopback';
  /** Why, in a few words: `nft not found`, `not root`, `--proxy-mode userspace`. */
  reason: string;
}

/** What the choice depends on, found out by `proxyModeFacts()` (a parameter so tests can give any). */
export interface ProxyModeFacts {
  root: boolean;
  /** Undefined when nftables can be programmed, else what stops it (`nft not found`). */
  nftProblem?: string;
  /** Whether pods have a network of their own (a bridge); without one nftables has nothing to route to. */
  podNetwork: boolean;
}

export function proxyModeFacts(podNetwork: boolean): ProxyModeFacts {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) return { root, nftProblem: 'not root', podNetwork };
  const probe = spawnSync('nft', ['list', 'tables'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000, encoding: 'utf8' });
  const nftProblem =
    (probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
      ? 'nft not found'
      : probe.status !== 0
        ? `nft does not work: ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n')[0]}`
        : undefined;
  return { root, nftProblem, podNetwork };
}

export function chooseProxyMode(flag: ProxyModeFlag, facts: ProxyModeFacts): ProxyModeChoice {
  const userspace = (reason: string): ProxyModeChoice => ({ mode: 'userspace', clusterIPs: facts.root ? 'interface' : 'loopback', reason });
  if (flag === 'userspace') return userspace('--proxy-mode userspace');
  if (flag === 'nftables') {
    if (!facts.root) throw new Error('--proxy-mode nftables: needs root');
    if (facts.nftProblem) throw new Error(`--proxy-mode nftables: ${facts.nftProblem}`);
    if (!facts.podNetwork) throw new Error('--proxy-mode nftables: needs isolated pods (a pod network)');
    return { mode: 'nftables', reason: '--proxy-mode nftables' };
  }
  if (!facts.root) return userspace('not root');
  if (facts.nftProblem) return userspace(facts.nftProblem);
  if (!facts.podNetwork) return userspace('pods run on the host network');
  return { mode: 'nftables', reason: 'root, nft found' };
}

/** The one line that says which proxy runs and why. */
export function describeProxyMode(choice: ProxyModeChoice, serviceInterface: string): string {
  if (choice.mode === 'nftables') return `service proxy: nftables (${choice.reason})`;
  const where = choice.clusterIPs === 'interface' ? `ClusterIPs on interface ${serviceInterface}` : 'ClusterIPs at their loopback twins 127.x.y.z';
  return `service proxy: userspace, ${where} (${choice.reason})`;
}
