/**
 * Watch metrics with upstream's names, types, labels and buckets (v1.32:
 * k8s.io/apiserver/pkg/endpoints/metrics and pkg/storage/cacher/metrics).
 *
 *   watch cache applies a storage event ─► apiserver_watch_cache_events_received_total,
 *                                          apiserver_watch_cache_events_dispatched_total {resource}
 *   watch cache primed                  ─► apiserver_watch_cache_initializations_total {resource}
 *   scrape                              ─► apiserver_watch_cache_resource_version {resource}
 *   a watcher writes an event           ─► apiserver_watch_events_total, apiserver_watch_events_sizes {group,version,kind}
 *   a watcher closed for lagging        ─► apiserver_terminated_watchers_total {resource}
 *
 * `resource` is upstream's group-resource string: `pods`, `deployments.apps`.
 */
import type { Registry } from 'prom-client';
import { CounterCells, gaugeFromSource, HistogramCells, type CounterCell, type HistogramCell } from './cells.js';

/** Upstream's buckets of apiserver_watch_events_sizes: 1 KiB to 128 KiB, doubling (ExponentialBuckets(1024, 2, 8)). */
export const watchEventSizeBuckets = Array.from({ length: 8 }, (_, i) => 1024 * 2 ** i);

/** What a watch cache reports. */
export interface WatchCacheRecorder {
  /** A storage event changed the cache and went to its watchers. */
  eventReceived(): void;
  /** The cache is primed; its revision is read at each scrape from then on. */
  initialized(cache: { readonly revision: number }): void;
}

/** What a watcher of one kind reports. */
export interface WatcherRecorder {
  /** An event (of any type, bookmarks and errors too) was written; `object` is its object's encoding. */
  eventSent(object: string): void;
  /** The watcher was closed because it did not keep up (upstream: unresponsive). */
  terminated(): void;
}

class CacheRecorder implements WatchCacheRecorder {
  /** Held weakly: a dropped cache (its CRD deleted) may go; its last revision stays reported. */
  private cache: WeakRef<{ readonly revision: number }> | undefined;
  private lastRevision = 0;

  constructor(
    private readonly received: CounterCell,
    private readonly dispatched: CounterCell,
    private readonly initializations: CounterCell,
  ) {}

  eventReceived(): void {
    this.received.value++;
    this.dispatched.value++;
  }

  initialized(cache: { readonly revision: number }): void {
    this.initializations.value++;
    this.cache = new WeakRef(cache);
  }

  /** The revision to report, or undefined before the cache was primed. */
  revision(): number | undefined {
    if (!this.cache) return undefined;
    this.lastRevision = this.cache.deref()?.revision ?? this.lastRevision;
    return this.lastRevision;
  }
}

class KindRecorder implements WatcherRecorder {
  constructor(
    private readonly events: CounterCell,
    private readonly sizes: HistogramCell,
    private readonly terminations: CounterCell,
  ) {}

  eventSent(object: string): void {
    this.events.value++;
    this.sizes.observe(Buffer.byteLength(object));
  }

  terminated(): void {
    this.terminations.value++;
  }
}

export class WatchMetrics {
  private readonly events: CounterCells<'group' | 'version' | 'kind'>;
  private readonly sizes: HistogramCells<'group' | 'version' | 'kind'>;
  private readonly terminated: CounterCells<'resource'>;
  private readonly received: CounterCells<'resource'>;
  private readonly dispatched: CounterCells<'resource'>;
  private readonly initializations: CounterCells<'resource'>;
  /** The latest recorder per resource: whose cache the resource_version gauge reads. */
  private readonly caches = new Map<string, CacheRecorder>();

  constructor(registry: Registry) {
    const kind = ['group', 'version', 'kind'] as const;
    const resource = ['resource'] as const;
    this.events = new CounterCells(registry, 'apiserver_watch_events_total', '[ALPHA] Number of events sent in watch clients', kind);
    this.sizes = new HistogramCells(registry, 'apiserver_watch_events_sizes', '[ALPHA] Watch event size distribution in bytes', kind, watchEventSizeBuckets);
    this.terminated = new CounterCells(registry, 'apiserver_terminated_watchers_total', '[ALPHA] Counter of watchers closed due to unresponsiveness broken by resource type.', resource);
    this.received = new CounterCells(registry, 'apiserver_watch_cache_events_received_total', '[ALPHA] Counter of events received in watch cache broken by resource type.', resource);
    this.dispatched = new CounterCells(registry, 'apiserver_watch_cache_events_dispatched_total', '[ALPHA] Counter of events dispatched in watch cache broken by resource type.', resource);
    this.initializations = new CounterCells(registry, 'apiserver_watch_cache_initializations_total', '[ALPHA] Counter of watch cache initializations broken by resource type.', resource);
    gaugeFromSource(registry, 'apiserver_watch_cache_resource_version', '[ALPHA] Current resource version of watch cache broken by resource type.', resource, () => this.revisions());
  }

  /** The recorder of one resource's watch cache (`resource`: `pods`, `deployments.apps`). */
  forCache(resource: string): WatchCacheRecorder {
    const recorder = new CacheRecorder(this.received.cell({ resource }), this.dispatched.cell({ resource }), this.initializations.cell({ resource }));
    this.caches.set(resource, recorder);
    return recorder;
  }

  /** The recorder of the watchers of one kind (served as group/version/kind), stored as `resource`. */
  forWatchers(type: { group: string; version: string; kind: string }, resource: string): WatcherRecorder {
    const labels = { group: type.group, version: type.version, kind: type.kind };
    return new KindRecorder(this.events.cell(labels), this.sizes.cell(labels), this.terminated.cell({ resource }));
  }

  private *revisions(): Iterable<[{ resource: string }, number]> {
    for (const [resource, recorder] of this.caches) {
      const revision = recorder.revision();
      if (revision !== undefined) yield [{ resource }, revision];
    }
  }
}
