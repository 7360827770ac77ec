/**
 * What the storage layer (resource-storage.ts, watch-cache.ts and the watch
 * handler) is handed to report with: per resource, a measured store and the
 * recorders of its watch cache and watchers. Each is made once per resource
 * (or per served version, for watchers), so the hot paths only add to cells.
 */
import type { Store } from '../../storage/interface.js';
import { MeasuredStore } from './measured-store.js';
import type { StorageMetrics } from './storage-metrics.js';
import type { WatchCacheRecorder, WatcherRecorder, WatchMetrics } from './watch-metrics.js';

const registryRoot = '/registry/';

/**
 * Upstream's group-resource string of a storage prefix: `/registry/pods/` →
 * `pods`, `/registry/apps/deployments/` → `deployments.apps`,
 * `/registry/example.com/widgets/` → `widgets.example.com`.
 */
export function groupResourceOfPrefix(prefix: string): string {
  const storageResource = (prefix.startsWith(registryRoot) ? prefix.slice(registryRoot.length) : prefix).replace(/\/+$/, '');
  const slash = storageResource.lastIndexOf('/');
  return slash < 0 ? storageResource : `${storageResource.slice(slash + 1)}.${storageResource.slice(0, slash)}`;
}

export class StorageLayerMetrics {
  constructor(
    private readonly watch: WatchMetrics,
    private readonly storage: StorageMetrics,
  ) {}

  /** `store` as the requests under `prefix` (one resource's keys) see it: counted and timed. */
  measuredStore(store: Store, prefix: string): Store {
    return new MeasuredStore(store, this.storage.forResource(groupResourceOfPrefix(prefix), prefix));
  }

  /** The recorder of the watch cache of `prefix`. */
  watchCache(prefix: string): WatchCacheRecorder {
    return this.watch.forCache(groupResourceOfPrefix(prefix));
  }

  /** The recorder of the watchers of one served kind whose objects are stored under `prefix`. */
  watchers(type: { group: string; version: string; kind: string }, prefix: string): WatcherRecorder {
    return this.watch.forWatchers(type, groupResourceOfPrefix(prefix));
  }
}
