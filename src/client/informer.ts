/**
 * Shared informers: a local, eventually consistent copy of one resource,
 * kept current by a reflector — list, then watch from the list's
 * resourceVersion; on 410 Gone list again — and event handlers told of every
 * change.
 *
 * The contract (what controllers may rely on):
 * - the cache converges to the apiserver's state; a handler may see it
 *   "late", never out of order for one object;
 * - handlers run after the cache holds the change, so a handler that reads
 *   the lister sees at least that state;
 * - a deletion noticed only through a relist (the watch missed it) arrives
 *   with `finalStateUnknown: true` and the last state the cache knew;
 * - with a resync period, every object is re-announced as an update now and
 *   then, so level-triggered controllers re-check everything eventually.
 */
import type { KubeObject } from '../machinery/object.js';
import { isStatusError } from '../machinery/status.js';
import type { ResourceClient } from './resource-client.js';
import { Lister, Store, indexers, keyOf, type IndexFunc } from './store.js';
import { sleep } from './time.js';
import { whenAborted } from '../machinery/abort.js';

export interface EventHandlers<T extends KubeObject = KubeObject> {
  /** `initial` is true for objects of the first list (and for replays to late handlers). */
  add?(object: T, initial: boolean): void;
  update?(previous: T, object: T): void;
  delete?(object: T, finalStateUnknown: boolean): void;
}

export interface InformerOptions<T extends KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-announce every object this often (0: never). */
  resyncMs?: number;
  indexers?: Record<string, IndexFunc<T>>;
  /** Told of list and watch failures (the informer retries by itself). */
  onError?: (err: unknown) => void;
}

export class SharedInformer<T extends KubeObject = KubeObject> {
  readonly store: Store<T>;
  readonly lister: Lister<T>;
  private readonly handlers = new Set<EventHandlers<T>>();
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private started = false;
  /** The newest resourceVersion seen; the next watch starts there. */
  private resourceVersion = '';

  constructor(
    readonly client: ResourceClient<T>,
    private readonly options: InformerOptions<T> = {},
  ) {
    this.store = new Store<T>({
      namespace: indexers.namespace as IndexFunc<T>,
      ownerUid: indexers.ownerUid as IndexFunc<T>,
      ...options.indexers,
    });
    this.lister = new Lister(this.store);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Adds handlers; a late handler is first told of every object already cached. Returns a remover. */
  addEventHandler(handlers: EventHandlers<T>): () => void {
    this.handlers.add(handlers);
    if (this.synced) for (const object of this.store.list()) this.call(handlers, 'add', object, true);
    return () => this.handlers.delete(handlers);
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.store.addIndex(name, fn);
  }

  /** Resolves once the first list is in the cache — or, given a signal, when it aborts (so shutdown never waits on a list). */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = () => resolve();
      if (signal) whenAborted(signal, onAbort);
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Runs the reflector until the signal aborts. Starting twice is harmless. */
  start(signal: AbortSignal): void {
    if (this.started) return;
    this.started = true;
    void this.run(signal);
    if (this.options.resyncMs) {
      const timer = setInterval(() => this.resync(), this.options.resyncMs);
      timer.unref();
      whenAborted(signal, () => clearInterval(timer));
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.listAndReplace();
        failures = 0;
        await this.watchUntilExpired(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.options.onError?.(err);
        // Back off from a failing apiserver: 0.2 s, 0.4 s, … at most 10 s.
        failures++;
        await sleep(Math.min(10_000, 100 * 2 ** failures), signal);
      }
    }
  }

  /** One list; the cache becomes exactly its contents. */
  private async listAndReplace(): Promise<void> {
    const { items, resourceVersion } = await this.client.listAll(this.options.namespace, {
      labelSelector: this.options.labelSelector,
      fieldSelector: this.options.fieldSelector,
    });
    const seen = new Set<string>();
    const initial = !this.synced;
    for (const object of items) {
      // List items may come without their kind; the cache always has it.
      object.apiVersion ??= this.client.apiVersion;
      object.kind ??= this.client.ref.kind;
      seen.add(keyOf(object));
      this.apply('put', object, initial);
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const gone = this.store.delete(key)!;
      for (const handlers of this.handlers) this.call(handlers, 'delete', gone, true);
    }
    this.resourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  /** Watches from the last resourceVersion, again and again, until 410 Gone or the signal. */
  private async watchUntilExpired(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const { done } = this.client.watch(
        this.options.namespace,
        {
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
          // Servers end watches now and then; a random length spreads the reconnects.
          timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        },
        (event) => {
          const version = event.object.metadata?.resourceVersion;
          if (event.type === 'BOOKMARK') {
            if (version) this.resourceVersion = version;
            return;
          }
          if (event.type === 'DELETED') this.apply('delete', event.object, false);
          else this.apply('put', event.object, false);
          if (version) this.resourceVersion = version;
        },
        signal,
      );
      try {
        await done;
      } catch (err) {
        if (isStatusError(err) && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone')) return;
        throw err;
      }
    }
  }

  private apply(change: 'put' | 'delete', object: T, initial: boolean): void {
    if (change === 'delete') {
      const previous = this.store.delete(keyOf(object));
      for (const handlers of this.handlers) this.call(handlers, 'delete', object, false);
      void previous;
      return;
    }
    const previous = this.store.set(object);
    if (!previous) {
      for (const handlers of this.handlers) this.call(handlers, 'add', object, initial);
    } else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion) {
      for (const handlers of this.handlers) this.call(handlers, 'update', object, false, previous);
    }
  }

  private resync(): void {
    for (const object of this.store.list()) for (const handlers of this.handlers) this.call(handlers, 'update', object, false, object);
  }

  private call(handlers: EventHandlers<T>, what: 'add' | 'update' | 'delete', object: T, flag: boolean, previous?: T): void {
    try {
      if (what === 'add') handlers.add?.(object, flag);
      else if (what === 'update') handlers.update?.(previous!, object);
      else handlers.delete?.(object, flag);
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}
