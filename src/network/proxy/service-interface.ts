/**
 * The interface that holds the ClusterIPs on a node whose service proxy is
 * in user space as root (like kube-proxy's IPVS mode holds its service
 * addresses on `kube-ipvs0`): every ClusterIP is added as a /32, so the
 * proxy's listeners can bind the ClusterIP itself. Pods reach it because
 * their default route leads to the node over the bridge, and an address on
 * any interface of the node is local to the node.
 *
 * A `dummy` interface when the kernel has that type; else a bridge with no
 * ports, which holds addresses the same way. Addresses are added and
 * removed as Services come and go (with `ip -batch`); `remove()` deletes
 * the interface on a graceful stop. After a crash the next start finds the
 * interface and its addresses again and takes them over.
 */
import { execFile, spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const defaultServiceInterface = 'skiff-svc0';

/**
 * The node's own IPv4 addresses (loopback, the machine's, the pod bridge's),
 * without the service interface's ClusterIPs: where NodePorts, load balancer
 * ports and the Ingress controller listen when ClusterIPs are bound too.
 */
export function hostAddresses(serviceInterface: string): string[] {
  const addresses: string[] = [];
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    if (name === serviceInterface) continue;
    for (const entry of entries ?? []) if (entry.family === 'IPv4') addresses.push(entry.address);
  }
  return addresses;
}

/** Runs `ip` commands in one process (`ip -batch -`), failing with ip's message. */
function ipBatch(commands: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk) => (errors += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ip: ${errors.trim()}`))));
    child.stdin.end(`${commands.join('\n')}\n`);
  });
}

export class ServiceInterface {
  /** The addresses on the interface now. */
  private readonly held = new Set<string>();
  /** What kind of link it is (`dummy`, or `bridge` where the kernel has no dummy type). */
  kind: 'dummy' | 'bridge' | undefined;

  constructor(readonly name = defaultServiceInterface) {}

  /** Creates the interface (or finds it, with what addresses it has) and brings it up. */
  async create(): Promise<void> {
    const existing = await run('ip', ['-j', '-4', '-d', 'addr', 'show', 'dev', this.name]).then(
      ({ stdout }) => JSON.parse(stdout) as { linkinfo?: { info_kind?: string }; addr_info?: { local: string }[] }[],
      () => undefined,
    );
    if (existing?.length) {
      this.kind = existing[0].linkinfo?.info_kind === 'bridge' ? 'bridge' : 'dummy';
      for (const address of existing[0].addr_info ?? []) this.held.add(address.local);
    } else {
      try {
        await ipBatch([`link add name ${this.name} type dummy`]);
        this.kind = 'dummy';
      } catch {
        // Some kernels are built without the dummy type: an empty bridge holds addresses as well.
        await ipBatch([`link add name ${this.name} type bridge`]);
        this.kind = 'bridge';
      }
    }
    await ipBatch([`link set ${this.name} up`]);
  }

  /** Makes the interface hold exactly these addresses. */
  async sync(addresses: Set<string>): Promise<void> {
    const commands: string[] = [];
    for (const address of this.held) if (!addresses.has(address)) commands.push(`addr del ${address}/32 dev ${this.name}`);
    for (const address of addresses) if (!this.held.has(address)) commands.push(`addr replace ${address}/32 dev ${this.name}`);
    if (!commands.length) return;
    // ip -batch stops at the first failure: on an error, read back what the interface holds, so the next sync starts from the truth.
    try {
      await ipBatch(commands);
    } finally {
      await this.readBack();
    }
  }

  private async readBack(): Promise<void> {
    const { stdout } = await run('ip', ['-j', '-4', 'addr', 'show', 'dev', this.name]);
    const [link] = JSON.parse(stdout) as { addr_info?: { local: string }[] }[];
    this.held.clear();
    for (const address of link?.addr_info ?? []) this.held.add(address.local);
  }

  /** Whether an address is on the interface (its listeners can bind it). */
  holds(address: string): boolean {
    return this.held.has(address);
  }

  /** Deletes the interface and with it every address (a graceful stop). */
  async remove(): Promise<void> {
    this.held.clear();
    await run('ip', ['link', 'del', this.name]).catch(() => {});
  }
}
