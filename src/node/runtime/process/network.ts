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
      await ipBatch([`addr replace ${this.gateway}/24 dev ${this.bridge}`, `link set ${this.bridge} up`]);
    })().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

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
      // Hairpin: a pod reaching itself through a Service leaves and comes back on its own bridge port.
      await ipBatch([`netns add ${netns}`, `link add ${veth} type veth peer name eth0 netns ${netns}`, `link set ${veth} master ${this.bridge} up`, `link set ${veth} type bridge_slave hairpin on`]);
      await ipBatch([`link set lo up`, `addr add ${ip}/24 dev eth0`, `link set eth0 up`, `route add default via ${this.gateway}`], netns);
    } catch (err) {
      this.used.delete(ip);
      await run('ip', ['netns', 'del', netns]).catch(() => {});
      throw err;
    }
    return { netns, ip };
  }

  /** Removes the bridge (the node is going away with all its pods). */
  async remove(): Promise<void> {
    await run('ip', ['link', 'del', this.bridge]).catch(() => {});
    this.ready = undefined;
  }

  /** Removes the pod's namespace (its veth goes with it) and frees the IP. */
  async tearDown(info: PodNetworkInfo): Promise<void> {
    await run('ip', ['netns', 'del', info.netns]).catch(() => {});
    this.used.delete(info.ip);
  }
}
