/**
 * The service proxy on a node: Services and EndpointSlices in, nftables
 * rules out (rules.ts). Changes are batched (a sync at most every 100 ms)
 * and applied with `nft -f` only when the rules differ; a failed apply is
 * retried with backoff (batched.ts); stopping removes the table. Needs root and nft; `available()` says whether it can run.
 */
import { spawnSync } from 'node:child_process';
import { NftTable } from '../nft.js';
import { BatchedWork, followInformers } from '../batched.js';
import { writeFileSync } from 'node:fs';
import type { InformerFactory, SharedInformer } from '../../client/index.js';
import { servicesResource } from '../../client/index.js';
import { byService, endpointSliceInformer, readyEndpoints, type SliceObject } from '../endpoint-slices.js';
import type { KubeObject } from '../../machinery/object.js';
import { renderRuleset, type ProxyService, type ProxyServicePort } from './rules.js';
import type { NetworkMetrics } from '../metrics/network-metrics.js';
import { whenAborted } from '../../machinery/abort.js';

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


export interface ServiceProxyOptions {
  /** This node's name: endpoints on it are local (traffic policies). */
  nodeName: string;
  /** The nftables table of this node (one per node, e.g. `skiff-42-0`). */
  table: string;
  clusterCIDR: string;
  log?: (event: Record<string, unknown>) => void;
  /** Where the rules go (default: the nftables table named `table`); tests give a fake. */
  nftTable?: Pick<NftTable, 'apply' | 'remove'>;
  /** kube-proxy's sync and change metrics (src/network/metrics/); none: not recorded. */
  metrics?: NetworkMetrics;
}

/** Whether this machine lets us program nftables: root and a working `nft`. */
export function serviceProxyAvailable(): boolean {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  return spawnSync('nft', ['list', 'tables'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}


export class ServiceProxy {
  private readonly services: SharedInformer<ServiceObject>;
  private readonly slices: SharedInformer<SliceObject>;
  private readonly table: Pick<NftTable, 'apply' | 'remove'>;
  private readonly work: BatchedWork;

  constructor(
    informers: InformerFactory,
    private readonly options: ServiceProxyOptions,
  ) {
    this.services = informers.informerFor<ServiceObject>(servicesResource);
    this.slices = endpointSliceInformer<SliceObject>(informers);
    this.table = options.nftTable ?? new NftTable(options.table);
    const changes = options.metrics?.proxyChanges('nftables', this.services as SharedInformer<KubeObject>, this.slices as SharedInformer<KubeObject>);
    this.work = new BatchedWork(() => (changes ? changes.timed(() => this.sync()) : this.sync()), (err) => this.options.log?.({ msg: 'service rules failed', error: err.message }));
  }

  async start(signal: AbortSignal): Promise<void> {
    // Routing between pods through the node (a pod reaching another by its Service) is forwarding.
    // (With a fake table — a test — the machine is left alone.)
    try {
      if (!this.options.nftTable) writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    } catch (err) {
      this.options.log?.({ msg: 'could not turn on IP forwarding', error: (err as Error).message });
    }
    await followInformers([this.services, this.slices] as SharedInformer<KubeObject>[], this.work, signal);
    await this.work.now();
    whenAborted(signal, () => void this.stop());
  }

  /** The services as the rules need them: each port with its ready endpoints. */
  private snapshot(): ProxyService[] {
    const services: ProxyService[] = [];
    for (const service of this.services.store.list()) {
      const spec = service.spec ?? {};
      const type = spec.type ?? 'ClusterIP';
      if (type === 'ExternalName') continue;
      const slices = this.slices.store.byIndex(byService, `${service.metadata.namespace}/${service.metadata.name}`);
      const ports: ProxyServicePort[] = [];
      for (const port of spec.ports ?? []) {
        const protocol = (port.protocol ?? 'TCP') as 'TCP' | 'UDP';
        if (protocol !== 'TCP' && protocol !== 'UDP') continue;
        const endpoints = readyEndpoints(slices, port.name, protocol, this.options.nodeName);
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
    await this.table.apply(renderRuleset(this.snapshot(), { table: this.options.table, clusterCIDR: this.options.clusterCIDR }));
  }

  /** Removes the table (the node stops proxying). */
  async stop(): Promise<void> {
    this.work.cancel();
    await this.table.remove();
  }
}
