/**
 * The apiserver's own metrics in the Prometheus text format, with upstream's
 * names, types, labels and buckets (k8s.io/apiserver/pkg/endpoints/metrics):
 * every request counted and timed by verb, group, version, resource,
 * subresource, scope and code; requests in flight; long-running requests
 * (watches, exec) open; objects stored per resource. Served at `/metrics`
 * to whom RBAC lets `get` that path (system:monitoring, admins). The watch
 * and storage families (watch-metrics.ts, storage-metrics.ts) share its
 * registry; the storage layer records them through `storageLayer`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestInfo } from '../request-info.js';
import { StorageLayerMetrics } from './storage-layer.js';
import { StorageMetrics, type StorageMetricsOptions } from './storage-metrics.js';
import { WatchMetrics } from './watch-metrics.js';

/** Upstream's buckets of apiserver_request_duration_seconds. */
const durationBuckets = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

/** What labels a request: upstream's "report" verb (LIST, WATCH, APPLY, …), its resource and its scope. */
export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: string;
}

/** Upstream's verb for metrics: upper case, LIST for a list, WATCH for a watch, APPLY for a server-side apply, CONNECT for proxies and exec. */
export function reportedVerb(method: string, info: RequestInfo | undefined, contentType: string | undefined): string {
  if (!info) return method.toUpperCase();
  if (info.verb === 'list') return 'LIST';
  if (info.verb === 'watch') return 'WATCH';
  if (info.verb === 'patch' && contentType?.startsWith('application/apply-patch')) return 'APPLY';
  if (['proxy', 'exec', 'attach', 'portforward'].includes(info.subresource ?? '')) return 'CONNECT';
  return method === 'HEAD' ? 'GET' : method.toUpperCase();
}

/** Upstream's scope: a named object (`resource`), a namespace, or the cluster. */
export function requestScope(info: RequestInfo): string {
  if (info.name) return 'resource';
  if (info.namespace) return 'namespace';
  return 'cluster';
}

/** A request's labels; a path that is not a resource (/healthz, /apis) goes in `subresource`, as upstream puts it. */
export function labelsOf(method: string, info: RequestInfo | undefined, contentType: string | undefined, dryRun: boolean, path = ''): RequestLabels {
  return {
    verb: reportedVerb(method, info, contentType),
    dry_run: dryRun ? 'All' : '',
    group: info?.group ?? '',
    version: info?.version ?? '',
    resource: info?.resource ?? '',
    subresource: info ? (info.subresource ?? '') : path,
    scope: info ? requestScope(info) : '',
    component: 'apiserver',
  };
}

export class ApiServerMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: '[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
    labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'],
    registers: [this.registry],
  });
  private readonly durations = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: '[STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
    labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
    buckets: durationBuckets,
    registers: [this.registry],
  });
  private readonly longRunning = new Gauge({
    name: 'apiserver_longrunning_requests',
    help: '[STABLE] Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
    labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
    registers: [this.registry],
  });

  /** Watch events, watch caches and watchers (watch-metrics.ts). */
  readonly watch = new WatchMetrics(this.registry);
  /** Requests to the store and what lists read (storage-metrics.ts). */
  readonly storage: StorageMetrics;
  /** What resource-storage.ts, watch-cache.ts and handlers/watch.ts record with. */
  readonly storageLayer: StorageLayerMetrics;

  constructor(sources: { inFlight(): { readOnly: number; mutating: number }; storedObjects(): Map<string, number>; storage?: StorageMetricsOptions }) {
    this.storage = new StorageMetrics(this.registry, sources.storage);
    this.storageLayer = new StorageLayerMetrics(this.watch, this.storage);
    new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: '[STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      labelNames: ['request_kind'],
      registers: [this.registry],
      collect() {
        const now = sources.inFlight();
        this.set({ request_kind: 'readOnly' }, now.readOnly);
        this.set({ request_kind: 'mutating' }, now.mutating);
      },
    });
    new Gauge({
      name: 'apiserver_storage_objects',
      help: '[STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
      labelNames: ['resource'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [resource, count] of sources.storedObjects()) this.set({ resource }, count);
      },
    });
  }

  /** A request ended: counted and timed (a long-running one only counted, as upstream). */
  observe(labels: RequestLabels, code: number, seconds: number, longRunning: boolean): void {
    this.requests.inc({ ...labels, code: String(code) });
    if (!longRunning) this.durations.observe(labels, seconds);
  }

  /** A long-running request (watch, exec, proxy) began; the returned function ends it. */
  startLongRunning(labels: RequestLabels): () => void {
    const { dry_run: _dryRun, ...gaugeLabels } = labels;
    this.longRunning.inc(gaugeLabels);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.longRunning.dec(gaugeLabels);
    };
  }

  /** The text a scrape answers, in the Prometheus exposition format. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
