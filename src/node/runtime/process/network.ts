/**
 * Pod networking for the process runtime as root: every pod gets its own
 * network namespace, joined to the node's bridge by a veth pair, with an IP
 * from the node's pod range (a /24 of 10.42.0.0/16):
 *
 *   host: bridge skiff-42-<n> 10.42.<n>.1/24 ── veth sk<id> ═╗
 *   pod netns skiff-<id>:  eth0 10.42.<n>.<k>/24, lo, default via .1
 *
 * The host reaches every pod IP through the bridge (probes, port-forward);
 * pods reach each other on the bridge. Everything is done with `ip`
 * (iproute2) so it reads like the commands one would type.
 *
 * A pod IP is reused as soon as its pod is gone (the lowest free address
 * comes first), while the host and the other pods may still hold a
 * neighbour (ARP) entry for it. So a pod's eth0 gets a MAC derived from its
 * IP (as the CNI bridge plugin did: 0a:58 and the four bytes of the IP) —
 * an old entry is then still right — and the host's entry for the IP is
 * flushed in the same `ip -batch` that plugs the veth in (no extra process).
 * The bridge's MAC is fixed the same way (from the gateway address).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PodNetworkInfo {
  /** The network namespace's name (`ip netns` lists it). */
  netns: string;
  ip: string;
}

/** `ip` with the lines of a batch file; failures carry iproute2's own words. */
async function ipBatch(lines: string[], netns?: string): Promise<void> {
  const args = [...(netns ? ['-n', netns] : []), '-force', '-batch', '-'];
  await new Promise<void>((resolve, reject) => {
    const child = execFile('ip', args, (err, _stdout, stderr) => (err ? reject(new Error(`ip: ${stderr.trim() || err.message}`)) : resolve()));
    child.stdin!.end(lines.join('\n') + '\n');
  });
}

/** The MAC a pod's eth0 gets: locally administered, 0a:58 and the IPv4 address's bytes, so it is the same for every pod given that IP. */
export function podMacAddress(ip: string): string {
  const bytes = ip.split('.').map((part) => Number(part).toString(16).padStart(2, '0'));
  return ['0a', '58', ...bytes].join(':');
}

/** What the host runs for a new pod (one `ip -batch`): its namespace and veth on the bridge, and no stale neighbour entry for its IP. */
export function podHostCommands(options: { netns: string; veth: string; bridge: string; ip: string }): string[] {
  const { netns, veth, bridge, ip } = options;
  return [
    `netns add ${netns}`,
    `link add ${veth} type veth peer name eth0 netns ${netns}`,
    `link set ${veth} master ${bridge} up`,
    // Hairpin: a pod reaching itself through a Service leaves and comes back on its own bridge port.
    `link set ${veth} type bridge_slave hairpin on`,
    // The IP may have been a deleted pod's a moment ago: forget the MAC the host learnt for it.
    `neigh flush to ${ip} dev ${bridge}`,
  ];
}

/** What runs inside the pod's namespace (one `ip -n NS -batch`): loopback, eth0 with its IP-derived MAC and address, the default route. */
export function podNamespaceCommands(options: { ip: string; gateway: string }): string[] {
  const { ip, gateway } = options;
  return [`link set lo up`, `link set eth0 address ${podMacAddress(ip)}`, `addr add ${ip}/24 dev eth0`, `link set eth0 up`, `route add default via ${gateway}`];
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

  /** A network namespace for a pod, with an IP on the bridge. */
  async setUp(sandboxId: string): Promise<PodNetworkInfo> {
    await this.ensureBridge();
    const short = sandboxId.replace(/-/g, '').slice(0, 12);
    const netns = `skiff-${short}`;
    const veth = `sk${short}`;
    const ip = this.allocate();
    try {
      await ipBatch(podHostCommands({ netns, veth, bridge: this.bridge, ip }));
      await ipBatch(podNamespaceCommands({ ip, gateway: this.gateway }), netns);
    } catch (err) {
      this.used.delete(ip);
      await run('ip', ['netns', 'del', netns]).catch(() => {});
      throw err;
    }
    return { netns, ip };
  }

  /**
   * Removes the pods' ends of this node's bridge that no known sandbox
   * holds (an agent that ended between making a pod's namespace and
   * recording it, or before its teardown was done): the veth, the processes
   * in the namespace named after it, and the namespace. Only this bridge is
   * looked at, so other nodes' pods on the machine are left alone.
   */
  async removeStrays(known: Iterable<string>): Promise<string[]> {
    const keep = new Set(known);
    const ports = await run('ip', ['-o', 'link', 'show', 'master', this.bridge]).then(
      (result) => result.stdout,
      () => '',
    );
    const removed: string[] = [];
    for (const match of ports.matchAll(/^\d+: sk([0-9a-f]{12})[@:]/gm)) {
      const netns = `skiff-${match[1]}`;
      if (keep.has(netns)) continue;
      const pids = await run('ip', ['netns', 'pids', netns]).then(
        (result) => result.stdout.split('\n').filter(Boolean).map(Number),
        () => [],
      );
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone already */
        }
      }
      await this.tearDown({ netns, ip: '' });
      removed.push(netns);
    }
    return removed;
  }

  /** Removes the bridge (the node is going away with all its pods). */
  async remove(): Promise<void> {
    await run('ip', ['link', 'del', this.bridge]).catch(() => {});
    this.ready = undefined;
  }

  /**
   * Removes the pod's veth and namespace and frees the IP. The veth goes
   * first, by name: a namespace is destroyed only once its last process has
   * exited, so its end of the pair (and the bridge port) would outlive
   * `netns del` for a while — past an agent that stops right after.
   */
  async tearDown(info: PodNetworkInfo): Promise<void> {
    await run('ip', ['link', 'del', `sk${info.netns.slice('skiff-'.length)}`]).catch(() => {});
    await run('ip', ['netns', 'del', info.netns]).catch(() => {});
    this.used.delete(info.ip);
  }
}
