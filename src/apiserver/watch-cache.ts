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
import type { Store, WatchEvent as StoreEvent } from '../storage/interface.js';
import { errors } from '../machinery/status.js';

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

export type CacheListener = (event: CacheEvent) => void;

const decoder = new TextDecoder();

/** Parses a stored value and stamps the revision it was read at as its resourceVersion. */
export function decodeStored(key: string, value: Uint8Array, revision: number): CachedObject {
  const object = JSON.parse(decoder.decode(value)) as KubeObject;
  object.metadata ??= {};
  object.metadata.resourceVersion = String(revision);
  return { key, object, json: JSON.stringify(object), revision };
}

export class WatchCache {
  private readonly objects = new Map<string, CachedObject>();
  private sortedKeys: string[] | undefined;
  private readonly history: CacheEvent[] = [];
  private readonly listeners = new Set<CacheListener>();
  private readonly waiters: { revision: number; resolve: () => void }[] = [];
  private abort = new AbortController();
  /** The newest revision this cache reflects. */
  revision = 0;
  /** Revisions after this one are all in `history` (a watch from older revisions gets 410). */
  private oldestKnownRevision = 0;
  private failure: Error | undefined;

  constructor(
    private readonly store: Store,
    /** Storage key prefix, e.g. `/registry/pods/`. */
    readonly prefix: string,
    private readonly historyLimit = 10_000,
  ) {}

  /** Lists the prefix, then watches from the list's revision. */
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
    this.oldestKnownRevision = revision;
    this.store.watch(
      this.prefix,
      { afterRevision: revision, signal: this.abort.signal },
      (event) => this.apply(event),
      (err) => {
        this.failure = err;
      },
    );
  }

  stop(): void {
    this.abort.abort();
  }

  private apply(event: StoreEvent): void {
    if (event.type === 'progress') {
      if (event.revision > this.revision) {
        this.revision = event.revision;
        this.releaseWaiters();
      }
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
    this.history.push(cacheEvent);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldestKnownRevision = dropped[dropped.length - 1].revision;
    }
    for (const listener of this.listeners) listener(cacheEvent);
    this.releaseWaiters();
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
   * Subscribes to events after `afterRevision`, replaying buffered history first.
   * Throws 410 Expired when that revision is older than the buffered window.
   */
  subscribe(afterRevision: number, listener: CacheListener): () => void {
    if (afterRevision < this.oldestKnownRevision) {
      throw errors.expired(`too old resource version: ${afterRevision} (${this.oldestKnownRevision})`);
    }
    for (const event of this.history) if (event.revision > afterRevision) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
