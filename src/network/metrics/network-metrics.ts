/**
 * A node's network metrics in one registry: the service proxy's
 * (kube-proxy's names) and the cluster DNS server's (CoreDNS's names), and
 * optionally the process's.
 *
 *   new NetworkMetrics() ─► ServiceProxy / UserspaceProxy({ metrics }) ─► proxyChanges(): one tracker per proxy, each sync timed
 *                        └► ClusterDNS({ metrics }) ─► dns.query(...) per answered query
 *   registry.metrics() ─► the text a /metrics handler serves
 */
import { Registry } from 'prom-client';
import type { SharedInformer } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { registerProcessMetrics } from '../../client/metrics/process-metrics.js';
import { DnsMetrics } from './dns-metrics.js';
import { ProxyChangeTracker, ProxyMetrics } from './proxy-metrics.js';

export interface NetworkMetricsOptions {
  /** process_* and nodejs_* families (default false: the node agent's process usually reports them already). */
  processMetrics?: boolean;
  /** Milliseconds now (tests move it). */
  now?: () => number;
}

export class NetworkMetrics {
  readonly registry = new Registry();
  readonly proxy: ProxyMetrics;
  readonly dns: DnsMetrics;
  private readonly now: () => number;

  constructor(options: NetworkMetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.proxy = new ProxyMetrics(this.registry);
    this.dns = new DnsMetrics(this.registry);
    if (options.processMetrics) registerProcessMetrics(this.registry);
  }

  /**
   * The tracker of one service proxy, following its Service and EndpointSlice
   * informers; the proxy runs each sync through its `timed` (for `nftables`,
   * failures also count as nftables sync failures).
   */
  proxyChanges(mode: 'nftables' | 'userspace', services: SharedInformer<KubeObject>, slices: SharedInformer<KubeObject>): ProxyChangeTracker {
    const tracker = new ProxyChangeTracker(this.proxy, this.now, mode === 'nftables');
    tracker.follow(services, slices);
    return tracker;
  }
}
