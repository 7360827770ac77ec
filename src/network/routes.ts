/**
 * The pod network across nodes, host-gateway style (like flannel's
 * host-gw): every node routes each other node's pod range (its
 * `spec.podCIDR`) to that node's address (`InternalIP`), so pods reach pods
 * on other machines by their own IPs, without tunnels. The next hop is the
 * node itself when it is on the same link, else whatever router the
 * machine already uses to reach it (`ip route get`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from '../client/index.js';
import { nodesResource, SharedInformer } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';

const run = promisify(execFile);

interface NodeObject extends KubeObject {
  spec?: { podCIDR?: string };
  status?: { addresses?: { type: string; address: string }[] };
}

/** The next hop towards an address: its gateway when routed, the address itself when on-link. */
async function nextHop(address: string): Promise<string> {
  const { stdout } = await run('ip', ['-j', 'route', 'get', address]);
  const [route] = JSON.parse(stdout) as { gateway?: string }[];
  return route?.gateway ?? address;
}

export class PodRoutes {
  private readonly nodes: SharedInformer<NodeObject>;
  /** podCIDR → the next hop we installed. */
  private readonly installed = new Map<string, string>();
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    client: Client,
    private readonly options: { nodeName: string; log?: (event: Record<string, unknown>) => void },
  ) {
    this.nodes = new SharedInformer<NodeObject>(client.resource<NodeObject>(nodesResource), {});
  }

  start(signal: AbortSignal): void {
    const schedule = () => {
      this.syncing = this.syncing.then(() => this.sync()).catch((err: Error) => this.options.log?.({ msg: 'pod routes failed', error: err.message }));
    };
    this.nodes.addEventHandler({ add: schedule, update: schedule, delete: schedule });
    this.nodes.start(signal);
    signal.addEventListener('abort', () => void this.syncing.then(() => this.removeAll()), { once: true });
  }

  private async sync(): Promise<void> {
    const wanted = new Map<string, string>();
    for (const node of this.nodes.store.list()) {
      const cidr = node.spec?.podCIDR;
      const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      if (node.metadata.name === this.options.nodeName || !cidr || !address) continue;
      wanted.set(cidr, await nextHop(address));
    }
    for (const [cidr, via] of wanted) {
      if (this.installed.get(cidr) === via) continue;
      await run('ip', ['route', 'replace', cidr, 'via', via]);
      this.installed.set(cidr, via);
      this.options.log?.({ msg: 'route to a node\'s pods', podCIDR: cidr, via });
    }
    for (const cidr of [...this.installed.keys()]) {
      if (wanted.has(cidr)) continue;
      await run('ip', ['route', 'del', cidr]).catch(() => {});
      this.installed.delete(cidr);
    }
  }

  private async removeAll(): Promise<void> {
    for (const cidr of this.installed.keys()) await run('ip', ['route', 'del', cidr]).catch(() => {});
    this.installed.clear();
  }
}
