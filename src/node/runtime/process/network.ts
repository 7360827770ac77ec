/**
 * Pod networking for the process runtime as root: every pod gets its own
 * network namespace, joined to the node's bridge by a veth pair, with an IP
 * from the node's pod range (a /24 of 10.42.0.0/16):
 *
 *   host: bridge skiff-42-<n> 10.42.<n>.1/24 ── veth sk<id> ═╗
 *   pod (the namespace its shim holds):  eth0 10.42.<n>.<k>/24, lo, default via .1
 *
 * The host reaches every pod IP through the bridge (probes, port-forward);
 * pods reach each other on the bridge. This module keeps the bridge (made
 * with `ip` once per node start) and the range's addresses; the node helper
 * plugs each pod in with netlink as it makes the pod's namespaces
 * (shim/netlink.c), so a pod costs no `ip` process.
 *
 * A pod IP is reused as soon as its pod is gone (the lowest free address
 * comes first), while the host and the other pods may still hold a
 * neighbour (ARP) entry for it. So a pod's eth0 gets a MAC derived from its
 * IP (as the CNI bridge plugin did: 0a:58 and the four bytes of the IP) —
 * an old entry is then still right — and the helper deletes the host's
 * entry for the IP as it plugs the pod in. The bridge's MAC is fixed the
 * same way (from the gateway address).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PodNetworkInfo {
  /** The host end of the pod's veth pair, on the bridge. */
  veth: string;
  ip: string;
}

/** A pod's network as the node helper sets it up. */
export interface PodNetworkPlan extends PodNetworkInfo {
  prefixLength: number;
  gateway: string;
  bridge: string;
  mac: string;
}

/** `ip` with the lines of a batch file; failures carry iproute2's own words. */
async function ipBatch(lines: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile('ip', ['-force', '-batch', '-'], (err, _stdout, stderr) => (err ? reject(new Error(`ip: ${stderr.trim() || err.message}`)) : resolve()));
    child.stdin!.end(lines.join('\n') + '\n');
  });
}

/** The MAC a pod's eth0 gets: locally administered, 0a:58 and the IPv4 address's bytes, so it is the same for every pod given that IP. */
export function podMacAddress(ip: string): string {
  const bytes = ip.split('.').map((part) => Number(part).toString(16).padStart(2, '0'));
  return ['0a', '58', ...bytes].join(':');
}

/** The host end of a pod's veth pair: named after its sandbox, so a leftover one can be told apart. */
export function podVethName(sandboxId: string): string {
  return `sk${sandboxId.replace(/-/g, '').slice(0, 12)}`;
}

export class BridgeNetwork {
  readonly bridge: string;
  readonly gateway: string;
  private readonly prefix: string;
  private readonly used = new Set<string>();
  private ready: Promise<void> | undefined;

  /** @param podCIDR the node's pod range, a /24 such as 10.42.0.0/24 */
  constructor(readonly podCIDR: string) {
    const match = /^(\d+)\.(\d+)\.(\d+)\.0\/24$/.exec(podCIDR);
    if (!match) throw new Error(`pod CIDR ${podCIDR}: the process runtime needs a /24 such as 10.42.0.0/24`);
    this.prefix = `${match[1]}.${match[2]}.${match[3]}`;
    this.gateway = `${this.prefix}.1`;
    this.bridge = `skiff-${match[2]}-${match[3]}`;
  }

  /** An IP already given to a pod (sandboxes found again after a restart). */
  reserve(ip: string): void {
    this.used.add(ip);
  }

  /** The bridge, created once (kept across restarts: pods found again are still on it). */
  ensureBridge(): Promise<void> {
    this.ready ??= (async () => {
      const existing = await run('ip', ['-o', 'link', 'show', this.bridge]).then(
        () => true,
        () => false,
      );
      if (!existing) await ipBatch([`link add name ${this.bridge} type bridge`]);
      // A fixed MAC: a bridge otherwise takes its lowest port's, which changes as pods come and go —
      // the pods' entry for the gateway goes stale, and the host drops its neighbour entries each time.
      await ipBatch([`link set ${this.bridge} address ${podMacAddress(this.gateway)}`, `addr replace ${this.gateway}/24 dev ${this.bridge}`, `link set ${this.bridge} up`]);
    })().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /** The lowest free address of the range (so a deleted pod's IP comes back first). */
  private allocate(): string {
    for (let host = 2; host < 255; host++) {
      const ip = `${this.prefix}.${host}`;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
    throw new Error(`no free IP left in the pod range ${this.podCIDR}`);
  }

  /**
   * What the node helper needs to plug a new pod in (shim/netlink.c): its
   * veth's name, an address of the range, and the bridge's. The IP is taken
   * until release().
   */
  plan(sandboxId: string): PodNetworkPlan {
    const ip = this.allocate();
    return { veth: podVethName(sandboxId), ip, prefixLength: 24, gateway: this.gateway, bridge: this.bridge, mac: podMacAddress(ip) };
  }

  /** The pod is gone: its IP may be given again. */
  release(ip: string): void {
    this.used.delete(ip);
  }

  /**
   * Deletes the pods' veths on this node's bridge that no known sandbox
   * holds (an agent that ended between plugging a pod in and recording it).
   * Only this bridge is looked at, so other nodes' pods on the machine are
   * left alone. Runs once, at the agent's start.
   */
  async removeStrays(known: Iterable<string>): Promise<string[]> {
    const keep = new Set(known);
    const ports = await run('ip', ['-o', 'link', 'show', 'master', this.bridge]).then(
      (result) => result.stdout,
      () => '',
    );
    const strays = [...ports.matchAll(/^\d+: (sk[0-9a-f]{12})[@:]/gm)].map((match) => match[1]).filter((veth) => !keep.has(veth));
    if (strays.length) await ipBatch(strays.map((veth) => `link del ${veth}`)).catch(() => {});
    return strays;
  }

  /** Removes the bridge (the node is going away with all its pods). */
  async remove(): Promise<void> {
    await run('ip', ['link', 'del', this.bridge]).catch(() => {});
    this.ready = undefined;
  }
}
