/**
 * The service proxy on a node: Services and EndpointSlices in, nftables
 * rules out (rules.ts). Changes are batched (a sync at most every 100 ms)
 * and applied with `nft -f` only when the rules differ; stopping removes
 * the table. Needs root and nft; `available()` says whether it can run.
 */
import { spawnSync } from 'node:child_process';
import { applyNft, deleteNftTable } from '../nft.js';
import { writeFileSync } from 'node:fs';
import type { Client } from '../../client/index.js';
import { servicesResource, SharedInformer } from '../../client/index.js';
import { endpointSliceInformer } from '../endpoint-slices.js';
import type { KubeObject } from '../../machinery/object.js';
import { renderRuleset, type ProxyService, type ProxyServicePort } from './rules.js';

interface ServiceObject extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    internalTrafficPolicy?: string;
    externalTrafficPolicy?: string;
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    ports?: { name?: string; port: number; protocol?: string; nodePort?: number; targetPort?: number | string }[] };
}

interface SliceObject extends KubeObject {
  addressType?: string;
  endpoints?: { addresses: string[]; nodeName?: string; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

export interface ServiceProxyOptions {
  /** This node's name: endpoints on it are local (traffic policies). */
  nodeName: string;
  /** The nftables table of this node (one per node, e.g. `skiff-42-0`). */
  table: string;
  clusterCIDR: string;
  log?: (event: Record<string, unknown>) => void;
}

/** Whether this machine lets us program nftables: root and a working `nft`. */
export function serviceProxyAvailable(): boolean {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  return spawnSync('nft', ['list', 'tables'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}


export class ServiceProxy {
  private readonly services: SharedInformer<ServiceObject>;
  private readonly slices: SharedInformer<SliceObject>;
  private applied = '';
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    client: Client,
    private readonly options: ServiceProxyOptions,
  ) {
    this.services = new SharedInformer<ServiceObject>(client.resource<ServiceObject>(servicesResource), {});
    this.slices = endpointSliceInformer<SliceObject>(client);
  }

  async start(signal: AbortSignal): Promise<void> {
    // Routing between pods through the node (a pod reaching another by its Service) is forwarding.
    try {
      writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    } catch (err) {
      this.options.log?.({ msg: 'could not turn on IP forwarding', error: (err as Error).message });
    }
    for (const informer of [this.services, this.slices]) {
      informer.addEventHandler({ add: () => this.schedule(), update: () => this.schedule(), delete: () => this.schedule() });
      informer.start(signal);
    }
    await Promise.all([this.services.waitForSync(signal), this.slices.waitForSync(signal)]);
    await this.sync();
    signal.addEventListener('abort', () => void this.stop(), { once: true });
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.syncing = this.syncing.then(() => this.sync()).catch((err: Error) => this.options.log?.({ msg: 'service rules failed', error: err.message }));
    }, 100);
  }

  /** The services as the rules need them: each port with its ready endpoints. */
  private snapshot(): ProxyService[] {
    const services: ProxyService[] = [];
    for (const service of this.services.store.list()) {
      const spec = service.spec ?? {};
      const type = spec.type ?? 'ClusterIP';
      if (type === 'ExternalName') continue;
      const slices = this.slices.store.byIndex('service', `${service.metadata.namespace}/${service.metadata.name}`).filter((s) => (s.addressType ?? 'IPv4') === 'IPv4');
      const ports: ProxyServicePort[] = [];
      for (const port of spec.ports ?? []) {
        const protocol = (port.protocol ?? 'TCP') as 'TCP' | 'UDP';
        if (protocol !== 'TCP' && protocol !== 'UDP') continue;
        const endpoints: { ip: string; port: number; local: boolean }[] = [];
        for (const slice of slices) {
          const slicePort = (slice.ports ?? []).find((p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === protocol);
          if (!slicePort?.port) continue;
          for (const endpoint of slice.endpoints ?? []) {
            if (endpoint.conditions?.ready === false) continue;
            for (const ip of endpoint.addresses) endpoints.push({ ip, port: slicePort.port, local: endpoint.nodeName === this.options.nodeName });
          }
        }
        ports.push({ name: port.name, protocol, port: port.port, nodePort: port.nodePort, endpoints });
      }
      services.push({
        namespace: service.metadata.namespace!,
        name: service.metadata.name!,
        type,
        clusterIP: spec.clusterIP,
        internalLocal: spec.internalTrafficPolicy === 'Local',
        externalLocal: spec.externalTrafficPolicy === 'Local',
        ...(spec.sessionAffinity === 'ClientIP' ? { affinitySeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800 } : {}),
        ports,
      });
    }
    return services;
  }

  private async sync(): Promise<void> {
    const script = renderRuleset(this.snapshot(), { table: this.options.table, clusterCIDR: this.options.clusterCIDR });
    if (script === this.applied) return;
    await applyNft(script);
    this.applied = script;
  }

  /** Removes the table (the node stops proxying). */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await deleteNftTable(this.options.table);
  }
}
