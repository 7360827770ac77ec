/**
 * Storage metrics with upstream's names, types, labels and buckets (v1.32:
 * k8s.io/apiserver/pkg/storage/etcd3/metrics). Upstream keeps the `etcd_`
 * names for its storage layer whatever the backend; here that layer is the
 * Store (SQLite), reached through `MeasuredStore`.
 *
 *   a store request ─► etcd_request_duration_seconds, etcd_requests_total, etcd_request_errors_total {operation,type}
 *   a store list    ─► apiserver_storage_list_total, _fetched_objects_total, _evaluated_objects_total, _returned_objects_total {resource}
 *   scrape          ─► apiserver_storage_size_bytes {storage_cluster_id} (when the store's size is known)
 *
 * `type` and `resource` are upstream's group-resource string (`pods`,
 * `deployments.apps`); for `listWithCount` upstream puts the key prefix in `type`.
 */
import type { Registry } from 'prom-client';
import { CounterCells, gaugeFromSource, HistogramCells, type CounterCell, type HistogramCell } from './cells.js';

/** Upstream's buckets of etcd_request_duration_seconds (the same as apiserver_request_duration_seconds). */
export const storageRequestBuckets = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

/** Upstream's operation names, as its etcd3 store reports them. */
export type StorageOperation = 'get' | 'create' | 'update' | 'delete' | 'list' | 'listWithCount';

const operations: readonly StorageOperation[] = ['get', 'create', 'update', 'delete', 'list', 'listWithCount'];

export interface StorageMetricsOptions {
  /** Milliseconds, monotonic (tests move it). */
  now?: () => number;
  /** The store's size in bytes as allocated on disk, when it can tell (an in-memory store cannot). */
  sizeBytes?: () => number | undefined | Promise<number | undefined>;
}

/** One operation's series: counted, timed, and counted again when it failed. */
interface OperationCells {
  duration: HistogramCell;
  requests: CounterCell;
  errors: CounterCell;
}

/** What one resource's store requests report. */
export class StorageRecorder {
  private readonly cells: Record<StorageOperation, OperationCells>;

  constructor(
    cellsOf: (operation: StorageOperation) => OperationCells,
    private readonly lists: { total: CounterCell; fetched: CounterCell; evaluated: CounterCell; returned: CounterCell },
    readonly now: () => number,
  ) {
    this.cells = Object.fromEntries(operations.map((operation) => [operation, cellsOf(operation)])) as Record<StorageOperation, OperationCells>;
  }

  /** A request that started at `startedMs` (from `now`) is over; `failed` when the store could not answer it. */
  request(operation: StorageOperation, startedMs: number, failed: boolean): void {
    const cells = this.cells[operation];
    cells.duration.observe((this.now() - startedMs) / 1000);
    cells.requests.value++;
    if (failed) cells.errors.value++;
  }

  /**
   * A list read `fetched` objects. The store applies no selector (handlers
   * do), so every fetched object is decoded and returned, as upstream's
   * counts are for a list without one.
   */
  listed(fetched: number): void {
    this.lists.total.value++;
    this.lists.fetched.value += fetched;
    this.lists.evaluated.value += fetched;
    this.lists.returned.value += fetched;
  }
}

export class StorageMetrics {
  private readonly duration: HistogramCells<'operation' | 'type'>;
  private readonly requests: CounterCells<'operation' | 'type'>;
  private readonly errors: CounterCells<'operation' | 'type'>;
  private readonly listTotal: CounterCells<'resource'>;
  private readonly listFetched: CounterCells<'resource'>;
  private readonly listEvaluated: CounterCells<'resource'>;
  private readonly listReturned: CounterCells<'resource'>;
  private readonly now: () => number;

  constructor(registry: Registry, options: StorageMetricsOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    const operationAndType = ['operation', 'type'] as const;
    const resource = ['resource'] as const;
    this.duration = new HistogramCells(registry, 'etcd_request_duration_seconds', '[ALPHA] Etcd request latency in seconds for each operation and object type.', operationAndType, storageRequestBuckets);
    this.requests = new CounterCells(registry, 'etcd_requests_total', '[ALPHA] Etcd request counts for each operation and object type.', operationAndType);
    this.errors = new CounterCells(registry, 'etcd_request_errors_total', '[ALPHA] Etcd failed request counts for each operation and object type.', operationAndType);
    this.listTotal = new CounterCells(registry, 'apiserver_storage_list_total', '[ALPHA] Number of LIST requests served from storage', resource);
    this.listFetched = new CounterCells(registry, 'apiserver_storage_list_fetched_objects_total', '[ALPHA] Number of objects read from storage in the course of serving a LIST request', resource);
    this.listEvaluated = new CounterCells(registry, 'apiserver_storage_list_evaluated_objects_total', '[ALPHA] Number of objects tested in the course of serving a LIST request from storage', resource);
    this.listReturned = new CounterCells(registry, 'apiserver_storage_list_returned_objects_total', '[ALPHA] Number of objects returned for a LIST request from storage', resource);
    const sizeBytes = options.sizeBytes;
    if (sizeBytes) {
      // One storage cluster, named as upstream names the first of its monitors.
      gaugeFromSource(registry, 'apiserver_storage_size_bytes', '[STABLE] Size of the storage database file physically allocated in bytes.', ['storage_cluster_id'] as const, async () => {
        const size = await sizeBytes();
        return size === undefined ? [] : [[{ storage_cluster_id: 'etcd-0' }, size]];
      });
    }
  }

  /** The recorder of one resource's requests (`resource`: `pods`, `deployments.apps`; `prefix`: its keys' prefix). */
  forResource(resource: string, prefix: string): StorageRecorder {
    const cellsOf = (operation: StorageOperation): OperationCells => {
      const labels = { operation, type: operation === 'listWithCount' ? prefix : resource };
      return { duration: this.duration.cell(labels), requests: this.requests.cell(labels), errors: this.errors.cell(labels) };
    };
    const lists = { total: this.listTotal.cell({ resource }), fetched: this.listFetched.cell({ resource }), evaluated: this.listEvaluated.cell({ resource }), returned: this.listReturned.cell({ resource }) };
    return new StorageRecorder(cellsOf, lists, this.now);
  }
}
