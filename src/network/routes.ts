/**
 * The pod network across nodes, host-gateway style (like flannel's
 * host-gw): every node routes each other node's pod range (its
 * `spec.podCIDR`) to that node's address (`InternalIP`), so pods reach pods
 * on other machines by their own IPs, without tunnels. The next hop is the
 * node itself when it is on the same link, else whatever router the
 * machine already uses to reach it (`ip route get`). A node that is
 * deleted takes its route with it; a failed `ip` is retried with backoff
 * (batched.ts).
 *
 * Each route carries skiff's routing protocol number (`proto 197`), so
 * that skiff's routes are told from the machine's own: a node that starts
 * again after a crash takes over the ones it finds (and drops those of
 * nodes deleted meanwhile), and `skiff down` removes those the node
 * recorded (onChange) when a crash left them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { InformerFactory, SharedInformer } from '../client/index.js';
import { nodesResource } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';
import { BatchedWork, followInformers } from './batched.js';
import { whenAborted } from '../machinery/abort.js';

const run = promisify(execFile);

/** Runs `ip` with these arguments, resolving with its output. */
export type IpCommand = (args: string[]) => Promise<string>;

const ipCommand: IpCommand = async (args) => (await run('ip', args)).stdout;

/** The `proto` of skiff's routes: a number iproute2's rt_protos leaves unassigned. */
export const podRouteProtocol = '197';

interface NodeObject extends KubeObject {
  spec?: { podCIDR?: string };
  status?: { addresses?: { type: string; address: string }[] };
}

/** The next hop towards an address: its gateway when routed, the address itself when on-link. */
async function nextHop(ip: IpCommand, address: string): Promise<string> {
  const [route] = JSON.parse(await ip(['-j', 'route', 'get', address])) as { gateway?: string }[];
  return route?.gateway ?? address;
}

export class PodRoutes {
  private readonly nodes: SharedInformer<NodeObject>;
  /** podCIDR → the next hop we installed. */
  private readonly installed = new Map<string, string>();
  private readonly work: BatchedWork;
  private readonly ip: IpCommand;

  constructor(
    informers: InformerFactory,
    private readonly options: {
      nodeName: string;
      log?: (event: Record<string, unknown>) => void;
      ip?: IpCommand;
      /** Told the pod ranges routed after each change (the node records them for `skiff down`). */
      onChange?: (podCIDRs: string[]) => void;
    },
  ) {
    this.nodes = informers.informerFor<NodeObject>(nodesResource);
    this.ip = options.ip ?? ipCommand;
    this.work = new BatchedWork(() => this.sync(), (err) => this.options.log?.({ msg: 'pod routes failed', error: err.message }));
  }

  /** The routes this node holds now: podCIDR → next hop (tests). */
  get routes(): ReadonlyMap<string, string> {
    return this.installed;
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.adoptRoutes();
    await followInformers([this.nodes as SharedInformer<KubeObject>], this.work, signal);
    whenAborted(signal, () => void this.removeAll());
    await this.work.now();
  }

  /** Routes an earlier run of this node left (a crash): the first sync keeps those still wanted and removes the rest. */
  private async adoptRoutes(): Promise<void> {
    const found = await this.ip(['-j', 'route', 'show', 'proto', podRouteProtocol]).then(
      (out) => JSON.parse(out || '[]') as { dst?: string; gateway?: string }[],
      () => [],
    );
    for (const route of found) if (route.dst && route.gateway) this.installed.set(route.dst, route.gateway);
  }

  private async sync(): Promise<void> {
    const before = [...this.installed.keys()].join();
    try {
      await this.syncRoutes();
    } finally {
      if ([...this.installed.keys()].join() !== before) this.options.onChange?.([...this.installed.keys()]);
    }
  }

  private async syncRoutes(): Promise<void> {
    /** podCIDR → the node's address, for every other node. */
    const wanted = new Map<string, string>();
    for (const node of this.nodes.store.list()) {
      const cidr = node.spec?.podCIDR;
      const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      if (node.metadata.name === this.options.nodeName || !cidr || !address) continue;
      wanted.set(cidr, address);
    }
    // Routes of nodes that are gone first: a failure further on must not keep them.
    for (const cidr of [...this.installed.keys()]) {
      if (wanted.has(cidr)) continue;
      await this.ip(['route', 'del', cidr, 'proto', podRouteProtocol]).catch(() => {});
      this.installed.delete(cidr);
      this.options.log?.({ msg: 'route to a gone node\'s pods removed', podCIDR: cidr });
    }
    for (const [cidr, address] of wanted) {
      const via = await nextHop(this.ip, address);
      if (this.installed.get(cidr) === via) continue;
      await this.ip(['route', 'replace', cidr, 'via', via, 'proto', podRouteProtocol]);
      this.installed.set(cidr, via);
      this.options.log?.({ msg: 'route to a node\'s pods', podCIDR: cidr, via });
    }
  }

  private async removeAll(): Promise<void> {
    for (const cidr of this.installed.keys()) await this.ip(['route', 'del', cidr, 'proto', podRouteProtocol]).catch(() => {});
    this.installed.clear();
    this.options.onChange?.([]);
  }
}
