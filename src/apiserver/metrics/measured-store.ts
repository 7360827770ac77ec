/**
 * A Store as one resource's requests see it: each request to storage is
 * counted and timed under upstream's operation name, as upstream's etcd3
 * store records its calls to etcd. Watches, compaction and revision reads
 * pass through unmeasured: the SQLite store answers revisions from memory,
 * and upstream measures neither watches nor compaction here.
 */
import { KeyExistsError, KeyNotFoundError, RevisionConflictError, type Store, type WatchEvent, type WatchOptions } from '../../storage/interface.js';
import type { StorageOperation, StorageRecorder } from './storage-metrics.js';

/**
 * Whether an error is the store failing, not an answer: an existing key, a
 * missing one or a lost compare-and-swap are etcd transactions that did not
 * succeed, which upstream does not count as request errors.
 */
function isStorageFailure(err: unknown): boolean {
  return !(err instanceof KeyExistsError || err instanceof KeyNotFoundError || err instanceof RevisionConflictError);
}

export class MeasuredStore implements Store {
  readonly isStale?: (key: string) => Promise<boolean>;

  constructor(
    private readonly inner: Store,
    private readonly recorder: StorageRecorder,
  ) {
    if (inner.isStale) this.isStale = (key) => inner.isStale!(key);
  }

  private async measure<T>(operation: StorageOperation, request: () => Promise<T>): Promise<T> {
    const started = this.recorder.now();
    let failed = false;
    try {
      return await request();
    } catch (err) {
      failed = isStorageFailure(err);
      throw err;
    } finally {
      this.recorder.request(operation, started, failed);
    }
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }

  get(key: string) {
    return this.measure('get', () => this.inner.get(key));
  }

  async list(prefix: string, options?: Parameters<Store['list']>[1]) {
    let fetched = 0;
    try {
      const result = await this.measure('list', () => this.inner.list(prefix, options));
      fetched = result.items.length;
      return result;
    } finally {
      // Upstream records a list's costs even when it failed.
      this.recorder.listed(fetched);
    }
  }

  count(prefix: string) {
    return this.measure('listWithCount', () => this.inner.count(prefix));
  }

  create(key: string, value: Uint8Array) {
    return this.measure('create', () => this.inner.create(key, value));
  }

  update(key: string, value: Uint8Array, expectedModRevision: number) {
    return this.measure('update', () => this.inner.update(key, value, expectedModRevision));
  }

  delete(key: string, expectedModRevision?: number) {
    return this.measure('delete', () => this.inner.delete(key, expectedModRevision));
  }

  watch(prefix: string, options: WatchOptions, onEvent: (event: WatchEvent) => void, onError?: (err: Error) => void): void {
    this.inner.watch(prefix, options, onEvent, onError);
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
