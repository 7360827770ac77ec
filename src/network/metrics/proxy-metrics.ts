/**
 * kube-proxy's metrics with upstream v1.32's names, help texts and buckets
 * (k8s.io/kubernetes/pkg/proxy/metrics), for both service proxies (nftables
 * and user space): how long each sync of the rules takes and when the last
 * one succeeded, the Service and EndpointSlice changes seen and not yet
 * synced, and the network programming latency — from the time an
 * EndpointSlice says its endpoints changed to the sync that programmed them.
 *
 *   informer events ─► ProxyChangeTracker: *_changes_total, *_changes_pending, last_queued_timestamp
 *   sync ─► duration; success ─► last_timestamp, network_programming_duration_seconds; pending ─► 0
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SharedInformer } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';

/** Upstream's 0.25 s, 0.5 s, then every second to 59 s, every 5 s to 115 s, every 30 s to 5 min. */
export const networkProgrammingBuckets = [
  0.25,
  0.5,
  ...Array.from({ length: 59 }, (_, i) => 1 + i),
  ...Array.from({ length: 12 }, (_, i) => 60 + 5 * i),
  ...Array.from({ length: 7 }, (_, i) => 120 + 30 * i),
];

/** ExponentialBuckets(0.001, 2, 15): 1 ms to about 16 s. */
export const syncDurationBuckets = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

/** The annotation the EndpointSlice controller sets to when the change behind a slice happened. */
export const lastChangeTriggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';

/** Trigger times kept per Service between syncs, and Services tracked at most: bounded whatever the cluster sends. */
const maxTriggerTimesPerService = 64;
const maxServicesTracked = 10_000;

export class ProxyMetrics {
  readonly syncDuration: Histogram;
  readonly lastSync: Gauge;
  readonly lastQueued: Gauge;
  readonly networkProgramming: Histogram;
  readonly endpointChangesPending: Gauge;
  readonly endpointChangesTotal: Counter;
  readonly serviceChangesPending: Gauge;
  readonly serviceChangesTotal: Counter;
  readonly syncFailures: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.syncDuration = new Histogram({ name: 'kubeproxy_sync_proxy_rules_duration_seconds', help: '[ALPHA] SyncProxyRules latency in seconds', buckets: syncDurationBuckets, registers });
    this.lastQueued = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', help: '[ALPHA] The last time a sync of proxy rules was queued', registers });
    this.lastSync = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: '[ALPHA] The last time proxy rules were successfully synced', registers });
    this.networkProgramming = new Histogram({ name: 'kubeproxy_network_programming_duration_seconds', help: '[ALPHA] In Cluster Network Programming Latency in seconds', buckets: networkProgrammingBuckets, registers });
    this.endpointChangesPending = new Gauge({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_pending', help: '[ALPHA] Pending proxy rules Endpoint changes', registers });
    this.endpointChangesTotal = new Counter({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_total', help: '[ALPHA] Cumulative proxy rules Endpoint changes', registers });
    this.serviceChangesPending = new Gauge({ name: 'kubeproxy_sync_proxy_rules_service_changes_pending', help: '[ALPHA] Pending proxy rules Service changes', registers });
    this.serviceChangesTotal = new Counter({ name: 'kubeproxy_sync_proxy_rules_service_changes_total', help: '[ALPHA] Cumulative proxy rules Service changes', registers });
    this.syncFailures = new Counter({ name: 'kubeproxy_sync_proxy_rules_nftables_sync_failures_total', help: '[ALPHA] Cumulative proxy nftables sync failures', registers });
  }
}

/** The end of one sync: whether it worked (a failed one is timed, but programs nothing). */
export interface ProxySync {
  succeeded(): void;
  failed(): void;
}

/**
 * What one service proxy has seen change since its last sync. It follows
 * the proxy's Service and EndpointSlice informers itself, so the proxy only
 * runs each sync through timed().
 */
export class ProxyChangeTracker {
  private readonly changedServices = new Set<string>();
  /** Service → the trigger times of its slices' changes not yet programmed. */
  private readonly triggerTimes = new Map<string, number[]>();
  private readonly startedAt: number;

  constructor(
    private readonly metrics: ProxyMetrics,
    /** Milliseconds now (tests move it). */
    private readonly now: () => number = Date.now,
    /** Whether failures are nftables' (the user-space proxy has no such metric upstream). */
    private readonly nftables = true,
  ) {
    this.startedAt = now();
  }

  /** Counts the changes the informers deliver; a resync (same resourceVersion) counts but changes nothing. */
  follow(services: SharedInformer<KubeObject>, slices: SharedInformer<KubeObject>): void {
    const service = (previous: KubeObject | undefined, current: KubeObject) => this.serviceChanged(current, previous !== undefined && previous.metadata.resourceVersion === current.metadata.resourceVersion);
    const slice = (previous: KubeObject | undefined, current: KubeObject, removed: boolean) =>
      this.sliceChanged(current, removed, previous !== undefined && previous.metadata.resourceVersion === current.metadata.resourceVersion);
    services.addEventHandler({ add: (o) => service(undefined, o), update: (a, b) => service(a, b), delete: (o) => service(undefined, o) });
    slices.addEventHandler({ add: (o) => slice(undefined, o, false), update: (a, b) => slice(a, b, false), delete: (o) => slice(undefined, o, true) });
  }

  serviceChanged(service: KubeObject, unchanged = false): void {
    this.metrics.serviceChangesTotal.inc();
    if (unchanged) return;
    if (this.changedServices.size < maxServicesTracked) this.changedServices.add(`${service.metadata.namespace}/${service.metadata.name}`);
    this.metrics.serviceChangesPending.set(this.changedServices.size);
    this.metrics.lastQueued.set(this.now() / 1000);
  }

  sliceChanged(slice: KubeObject, removed: boolean, unchanged = false): void {
    this.metrics.endpointChangesTotal.inc();
    if (unchanged) return;
    this.metrics.endpointChangesPending.inc();
    this.metrics.lastQueued.set(this.now() / 1000);
    const service = `${slice.metadata.namespace}/${slice.metadata.labels?.['kubernetes.io/service-name'] ?? ''}`;
    // A deletion's trigger time is that of the slice's last update, not of this change: upstream forgets the service's times.
    if (removed) return void this.triggerTimes.delete(service);
    const triggered = Date.parse(slice.metadata.annotations?.[lastChangeTriggerTimeAnnotation] ?? '');
    if (!Number.isFinite(triggered) || triggered <= this.startedAt) return;
    let times = this.triggerTimes.get(service);
    if (!times) {
      if (this.triggerTimes.size >= maxServicesTracked) return;
      this.triggerTimes.set(service, (times = []));
    }
    if (times.length < maxTriggerTimesPerService) times.push(triggered);
  }

  /** Runs one sync of the rules, timed; the changes seen until it began are what it programs. */
  async timed(sync: () => void | Promise<void>): Promise<void> {
    const end = this.startSync();
    try {
      await sync();
    } catch (err) {
      end.failed();
      throw err;
    }
    end.succeeded();
  }

  /** A sync begins: the changes seen so far are what it programs. */
  startSync(): ProxySync {
    const started = performance.now();
    const programming = [...this.triggerTimes.values()].flat();
    this.triggerTimes.clear();
    this.changedServices.clear();
    this.metrics.serviceChangesPending.set(0);
    this.metrics.endpointChangesPending.set(0);
    let ended = false;
    const end = (ok: boolean) => {
      if (ended) return;
      ended = true;
      this.metrics.syncDuration.observe((performance.now() - started) / 1000);
      if (!ok) {
        if (this.nftables) this.metrics.syncFailures.inc();
        return;
      }
      const now = this.now();
      this.metrics.lastSync.set(now / 1000);
      for (const triggered of programming) this.metrics.networkProgramming.observe(Math.max(0, now - triggered) / 1000);
    };
    return { succeeded: () => end(true), failed: () => end(false) };
  }
}
