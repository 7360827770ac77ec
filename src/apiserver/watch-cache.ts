/**
 * The watch cache: every object of one storage resource in memory, plus a
 * window of recent events. Lists and watches are served from here, so a
 * thousand watchers cost one storage watch. Writes go straight to storage; the
 * cache learns of them through its own storage watch, in revision order.
 *
 * Each entry keeps the parsed object *and* its JSON text (with
 * metadata.resourceVersion set), so a list response is built by joining
 * strings instead of serialising every object again.
 */
import type { KubeObject } from '../machinery/object.js';
import { ExpiredError, type Store, type WatchEvent as StoreEvent } from '../storage/interface.js';
import { errors, type StatusError } from '../machinery/status.js';
import type { WatchCacheRecorder } from './metrics/watch-metrics.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CachedObject {
  key: string;
  object: KubeObject;
  json: string;
  revision: number;
}

export interface CacheEvent {
  type: EventType;
  revision: number;
  /** The object after the event (for DELETED: the last state, with the deletion's revision). */
  current: CachedObject;
  /** The object before the event (MODIFIED and DELETED). */
  previous?: CachedObject;
}

/** `fromStore`: read from the store's history for this one subscriber, not shared with the cache. */
export type CacheListener = (event: CacheEvent, fromStore?: boolean) => void;

export interface Subscription {
  unsubscribe(): void;
  /** True once the replay of older events is over and what comes is live. */
  live(): boolean;
}

/**
 * How much recent history a watch cache keeps in memory. Both bounds hold: a
 * few huge objects cannot fill memory any more than many small ones. Watches
 * from older revisions are served from the store's history instead.
 */
export interface WatchCacheHistoryLimits {
  events: number;
  /** Sum of the JSON sizes of the objects the events carry. */
  bytes: number;
}

export const defaultHistoryLimits: WatchCacheHistoryLimits = { events: 10_000, bytes: 32 * 1024 * 1024 };

const decoder = new TextDecoder();

/** Parses a stored value and stamps the revision it was read at as its resourceVersion. */
export function decodeStored(key: string, value: Uint8Array, revision: number): CachedObject {
  const object = JSON.parse(decoder.decode(value)) as KubeObject;
  object.metadata ??= {};
  object.metadata.resourceVersion = String(revision);
  return { key, object, json: JSON.stringify(object), revision };
}

/** A store event as the cache's event, from the store's own previous value (no cache state needed). */
function cacheEventOf(event: Exclude<StoreEvent, { type: 'progress' }>): CacheEvent {
  if (event.type === 'put') {
    const current = decodeStored(event.kv.key, event.kv.value, event.kv.modRevision);
    const previous = event.prev ? decodeStored(event.prev.key, event.prev.value, event.prev.modRevision) : undefined;
    return { type: previous ? 'MODIFIED' : 'ADDED', revision: current.revision, current, previous };
  }
  const previous = decodeStored(event.key, event.prev.value, event.prev.modRevision);
  return { type: 'DELETED', revision: event.modRevision, current: decodeStored(event.key, event.prev.value, event.modRevision), previous };
}

/** What a cached event costs to keep, roughly: its object's JSON (the parsed object is of the same order). */
function sizeOf(event: CacheEvent): number {
  return event.current.json.length;
}

export class WatchCache {
  private readonly objects = new Map<string, CachedObject>();
  private sortedKeys: string[] | undefined;
  private readonly history: CacheEvent[] = [];
  private historyBytes = 0;
  private readonly listeners = new Set<CacheListener>();
  private readonly waiters: { revision: number; resolve: () => void }[] = [];
  private abort = new AbortController();
  /** The newest revision this cache reflects. */
  revision = 0;
  /** Revisions after this one are all in `history`; a watch from older ones reads the store's history first. */
  private oldestKnownRevision = 0;
  private failure: Error | undefined;
  /** The revision the initial list was read at: events up to it only prime the window. */
  private listRevision = 0;
  private primed: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    /** Storage key prefix, e.g. `/registry/pods/`. */
    readonly prefix: string,
    private readonly historyLimits: WatchCacheHistoryLimits = defaultHistoryLimits,
    private readonly metrics?: WatchCacheRecorder,
  ) {}

  /**
   * Lists the prefix, then watches the store from its compacted revision: the
   * events up to the list's revision prime the window (so after a restart a
   * watch from an earlier resourceVersion resumes from memory, as from etcd's
   * history upstream), the later ones are applied. Resolves once primed.
   */
  async start(): Promise<void> {
    let after: string | undefined;
    let revision = 0;
    for (;;) {
      const page = await this.store.list(this.prefix, { limit: 5000, startAfter: after, revision: revision || undefined });
      revision = page.revision;
      for (const kv of page.items) this.objects.set(kv.key, decodeStored(kv.key, kv.value, kv.modRevision));
      if (!page.more || page.items.length === 0) break;
      after = page.items[page.items.length - 1].key;
    }
    this.revision = revision;
    const compacted = await this.store.compactedRevision();
    // A compaction may have moved past the list's revision meanwhile; then there is nothing to prime.
    const primeFrom = Math.min(compacted, revision);
    this.oldestKnownRevision = primeFrom;
    this.listRevision = revision;
    await new Promise<void>((resolve) => {
      this.primed = resolve;
      this.follow(primeFrom);
    });
    if (!this.failure) this.metrics?.initialized(this);
  }

  /** Watches the store from `afterRevision` for as long as the cache runs. */
  private follow(afterRevision: number): void {
    this.store.watch(
      this.prefix,
      { afterRevision, signal: this.abort.signal },
      (event) => this.apply(event),
      (err) => {
        if (err instanceof ExpiredError && this.primed) {
          // A compaction overtook the priming: start the window here instead (older watches read the store).
          this.history.length = 0;
          this.historyBytes = 0;
          this.oldestKnownRevision = this.revision;
          this.follow(this.revision);
          return;
        }
        this.failure = err;
        this.primed?.();
      },
    );
  }

  stop(): void {
    this.abort.abort();
  }

  private apply(event: StoreEvent): void {
    if (event.type === 'progress') {
      if (event.revision >= this.listRevision && this.primed) {
        this.primed();
        this.primed = undefined;
      }
      if (event.revision > this.revision) {
        this.revision = event.revision;
        this.releaseWaiters();
      }
      return;
    }
    const revision = event.type === 'put' ? event.kv.modRevision : event.modRevision;
    if (revision <= this.listRevision) {
      // History from before the list: the window learns it, the objects already reflect it.
      this.remember(cacheEventOf(event));
      return;
    }
    let cacheEvent: CacheEvent;
    if (event.type === 'put') {
      const current = decodeStored(event.kv.key, event.kv.value, event.kv.modRevision);
      const previous = this.objects.get(event.kv.key);
      if (!previous) this.sortedKeys = undefined;
      this.objects.set(event.kv.key, current);
      cacheEvent = { type: previous ? 'MODIFIED' : 'ADDED', revision: current.revision, current, previous };
    } else {
      const previous = this.objects.get(event.key) ?? decodeStored(event.key, event.prev.value, event.prev.modRevision);
      this.objects.delete(event.key);
      this.sortedKeys = undefined;
      const last = decodeStored(event.key, event.prev.value, event.modRevision);
      cacheEvent = { type: 'DELETED', revision: event.modRevision, current: last, previous };
    }
    this.revision = cacheEvent.revision;
    this.metrics?.eventReceived();
    this.remember(cacheEvent);
    for (const listener of this.listeners) listener(cacheEvent);
    this.releaseWaiters();
  }

  /** Adds an event to the window, dropping the oldest ones past either bound. */
  private remember(event: CacheEvent): void {
    this.history.push(event);
    this.historyBytes += sizeOf(event);
    let drop = 0;
    let bytes = this.historyBytes;
    while (drop < this.history.length && (this.history.length - drop > this.historyLimits.events || bytes > this.historyLimits.bytes)) {
      bytes -= sizeOf(this.history[drop]);
      drop++;
    }
    if (drop === 0) return;
    this.oldestKnownRevision = this.history[drop - 1].revision;
    this.history.splice(0, drop);
    this.historyBytes = bytes;
  }

  /** What the window holds now (for tests and benchmarks). */
  historyStats(): { events: number; bytes: number; oldestKnownRevision: number } {
    return { events: this.history.length, bytes: this.historyBytes, oldestKnownRevision: this.oldestKnownRevision };
  }

  /** Wakes readers waiting for the cache to reach a revision. */
  private releaseWaiters(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].revision <= this.revision) {
        this.waiters[i].resolve();
        this.waiters.splice(i, 1);
      }
    }
  }

  /**
   * Resolves once the cache reflects `revision`. Revisions are global, so the
   * cache follows the store's progress notifications too, not only its own keys'
   * events. Answers 504 like upstream's "Too large resource version" after `timeoutMs`.
   */
  async waitForRevision(revision: number, timeoutMs = 3000): Promise<void> {
    if (this.failure) throw errors.internal(this.failure.message);
    if (this.revision >= revision) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = { revision, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(errors.timeout(`Too large resource version: ${revision}, current: ${this.revision}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Brings the cache up to the store's current revision, so a list served from
   * memory is as fresh as a read from storage (upstream's ConsistentListFromCache).
   */
  async sync(): Promise<void> {
    const current = await this.store.currentRevision();
    if (this.revision < current) await this.waitForRevision(current);
  }

  get(key: string): CachedObject | undefined {
    return this.objects.get(key);
  }

  /** Entries under a key prefix (a namespace, or everything), sorted by key. */
  list(keyPrefix = this.prefix): CachedObject[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.objects.keys()].sort();
    const out: CachedObject[] = [];
    for (const key of this.sortedKeys) {
      if (key.startsWith(keyPrefix)) out.push(this.objects.get(key)!);
    }
    return out;
  }

  size(): number {
    return this.objects.size;
  }

  /**
   * Subscribes to events after `afterRevision`: those still in the window are
   * replayed from memory, older ones (past the window's bounds: a big object's
   * updates push it forward quickly) are first read from the store's history,
   * then live events follow — each exactly once, in
   * revision order. Rejects with 410 Expired only when the store compacted
   * that revision; `onError` gets failures that happen later (a compaction
   * racing the read), after which no more events come.
   */
  async subscribe(afterRevision: number, listener: CacheListener, onError: (err: StatusError) => void = () => {}): Promise<Subscription> {
    const subscription = await this.subscribeFrom(afterRevision, listener, onError);
    this.errorHandlers.add(onError);
    return {
      live: () => subscription.live(),
      unsubscribe: () => {
        this.errorHandlers.delete(onError);
        subscription.unsubscribe();
      },
    };
  }

  /** What subscribers are told when the cache ends for good (`end`). */
  private readonly errorHandlers = new Set<(err: StatusError) => void>();

  /** Ends the cache and every watch on it with `reason` (its resource is no longer served: a CRD was deleted). */
  end(reason: StatusError): void {
    this.stop();
    for (const handler of [...this.errorHandlers]) handler(reason);
    this.errorHandlers.clear();
    this.listeners.clear();
  }

  private async subscribeFrom(afterRevision: number, listener: CacheListener, onError: (err: StatusError) => void): Promise<Subscription> {
    if (afterRevision >= this.oldestKnownRevision) {
      const unsubscribe = this.subscribeToWindow(afterRevision, listener);
      return { unsubscribe, live: () => true };
    }
    const compacted = await this.store.compactedRevision();
    if (afterRevision < compacted) throw expired(afterRevision, compacted);
    let stopped = false;
    let unsubscribeFromWindow: (() => void) | undefined;
    this.catchUpFromStore(
      afterRevision,
      listener,
      (err) => !stopped && onError(err),
      (joinedAt) => {
        if (stopped) return;
        // Events up to `joinedAt` came from the store; the live stream may still bring some of them.
        unsubscribeFromWindow = this.subscribeToWindow(joinedAt, (event) => event.revision > joinedAt && listener(event));
      },
      () => stopped,
    );
    return {
      unsubscribe: () => {
        stopped = true;
        unsubscribeFromWindow?.();
      },
      live: () => unsubscribeFromWindow !== undefined,
    };
  }

  private subscribeToWindow(afterRevision: number, listener: CacheListener): () => void {
    for (const event of this.history) if (event.revision > afterRevision) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Reads the store's history under this prefix from `afterRevision` until it
   * reaches the window (a progress marker says every earlier event was
   * delivered), then hands over to the window. The window may have moved on
   * meanwhile (a long read on a busy resource): then the next stretch is read too.
   */
  private catchUpFromStore(
    afterRevision: number,
    listener: CacheListener,
    onError: (err: StatusError) => void,
    join: (revision: number) => void,
    isStopped: () => boolean,
  ): void {
    const abort = new AbortController();
    const target = this.revision;
    this.store.watch(
      this.prefix,
      { afterRevision, signal: abort.signal },
      (event) => {
        if (abort.signal.aborted) return;
        if (isStopped()) return abort.abort();
        if (event.type !== 'progress') return listener(cacheEventOf(event), true);
        if (event.revision < target) return;
        abort.abort();
        if (event.revision >= this.oldestKnownRevision) join(event.revision);
        else this.catchUpFromStore(event.revision, listener, onError, join, isStopped);
      },
      (err) => {
        abort.abort();
        onError(err instanceof ExpiredError ? expired(err.requested, err.compacted) : errors.internal(err.message));
      },
    );
  }
}

function expired(requested: number, compacted: number): StatusError {
  return errors.expired(`too old resource version: ${requested} (${compacted})`);
}
