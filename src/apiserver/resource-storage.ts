/**
 * Generic storage of one resource type: the place where an object becomes
 * a key and a value, where resourceVersion meets the store's mod revision, and
 * where reads are served from the watch cache. Upstream calls this the generic
 * registry Store. It knows nothing of HTTP; handlers call it.
 */
import type { KubeObject } from '../machinery/object.js';
import { errors, StatusError } from '../machinery/status.js';
import { storageResourceOf, type ResourceType } from '../api/resource.js';
import {
  ExpiredError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  type Store,
} from '../storage/interface.js';
import { applyCustomResourceDefaults, hasDefaults } from '../machinery/schema/structural.js';
import { WatchCache, decodeStored, type CachedObject, type WatchCacheHistoryLimits } from './watch-cache.js';
import type { StorageLayerMetrics } from './metrics/storage-layer.js';
import type { WatcherRecorder } from './metrics/watch-metrics.js';

const encoder = new TextEncoder();

/** How long an object a conversion webhook made serves answers (those being written when it came). */
const conversionReuseMs = 1000;

/** The watch caches of a server, one per storage resource, shared by the versions of a kind. */
export class WatchCachePool {
  private readonly caches = new Map<string, Promise<WatchCache>>();
  constructor(
    private readonly store: Store,
    private readonly historyLimits?: WatchCacheHistoryLimits,
    private readonly metrics?: StorageLayerMetrics,
  ) {}

  cacheFor(prefix: string): Promise<WatchCache> {
    let cache = this.caches.get(prefix);
    if (!cache) {
      const created = new WatchCache(this.metrics?.measuredStore(this.store, prefix) ?? this.store, prefix, this.historyLimits, this.metrics?.watchCache(prefix));
      cache = created.start().then(() => created);
      this.caches.set(prefix, cache);
    }
    return cache;
  }

  /** Forgets a prefix's cache (its resource is no longer served): its store watch ends, and so does every watch on it. */
  drop(prefix: string): void {
    const cache = this.caches.get(prefix);
    this.caches.delete(prefix);
    const gone = new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    void cache?.then((c) => c.end(gone), () => {});
  }

  async stop(): Promise<void> {
    for (const cache of this.caches.values()) (await cache).stop();
  }
}

export interface StoredObject {
  object: KubeObject;
  revision: number;
}

export class ResourceStorage {
  readonly prefix: string;
  private cachePromise: Promise<WatchCache>;
  private readonly store: Store;
  /** What the watchers of this kind report (events sent, watchers closed for lagging). */
  readonly watchMetrics?: WatcherRecorder;

  constructor(
    readonly type: ResourceType,
    store: Store,
    pool: WatchCachePool,
    metrics?: StorageLayerMetrics,
  ) {
    this.prefix = `/registry/${storageResourceOf(type)}/`;
    this.store = metrics?.measuredStore(store, this.prefix) ?? store;
    this.watchMetrics = metrics?.watchers(type, this.prefix);
    this.cachePromise = pool.cacheFor(this.prefix);
  }

  /** Whether the object's stored value is due to be rewritten even unchanged (encrypted with an old key). */
  async isStale(namespace: string | undefined, name: string): Promise<boolean> {
    return (await this.store.isStale?.(this.keyFor(namespace, name))) ?? false;
  }

  cache(): Promise<WatchCache> {
    return this.cachePromise;
  }

  keyFor(namespace: string | undefined, name: string): string {
    return this.type.namespaced ? `${this.prefix}${namespace}/${name}` : `${this.prefix}${name}`;
  }

  /** The key prefix of one namespace, or of everything. */
  keyPrefixFor(namespace: string | undefined): string {
    return this.type.namespaced && namespace ? `${this.prefix}${namespace}/` : this.prefix;
  }

  /** From the stored (storage-version) form to this type's version. */
  fromStorage(object: KubeObject): KubeObject {
    const converted = this.type.conversion ? this.type.conversion.fromStorage(structuredClone(object)) : object;
    converted.apiVersion = this.type.group ? `${this.type.group}/${this.type.version}` : this.type.version;
    converted.kind = this.type.kind;
    // A converted object is a private copy: a custom resource's defaults apply to it on the way out.
    if (this.type.conversion) this.applyReadDefaults(converted);
    return converted;
  }

  private applyReadDefaults(object: KubeObject): void {
    const schema = this.type.customResource?.structuralSchema;
    if (schema && hasDefaults(schema)) applyCustomResourceDefaults(object, schema);
  }

  /**
   * A cached entry as this type's version: the shared cached object when no
   * conversion is needed; after `prepare`, what the asynchronous conversion
   * made of it. (Without `prepare`, an asynchronous conversion's view is the
   * stored object under this version's name: good for selectors, which see
   * only metadata, not for answers.)
   */
  view(entry: CachedObject): KubeObject {
    if (this.readDefaults) return this.defaultedView(entry).object;
    if (!this.type.conversion) return entry.object;
    const converted = this.converted.get(entry);
    return converted && performance.now() - converted.at < conversionReuseMs ? converted.object : this.fromStorage(entry.object);
  }

  /** JSON text of a cached entry in this type's version (no re-serialisation in the common case). */
  viewJson(entry: CachedObject): string {
    if (this.readDefaults) return this.defaultedView(entry).json;
    return this.type.conversion ? JSON.stringify(this.view(entry)) : entry.json;
  }

  /**
   * A custom resource's schema defaults apply on every read too, as upstream
   * applies them when it decodes from storage: an object stored before its
   * CRD gained a default shows the default. Done once per cached entry (the
   * schema is fixed for this type; a changed CRD makes new types).
   */
  private get readDefaults(): boolean {
    const schema = this.type.customResource?.structuralSchema;
    return schema !== undefined && !this.type.conversion && hasDefaults(schema);
  }

  private readonly defaulted = new WeakMap<object, { object: KubeObject; json: string }>();

  private defaultedView(entry: CachedObject): { object: KubeObject; json: string } {
    let view = this.defaulted.get(entry);
    if (!view) {
      const object = structuredClone(entry.object);
      applyCustomResourceDefaults(object, this.type.customResource!.structuralSchema);
      const json = JSON.stringify(object);
      view = json === entry.json ? { object: entry.object, json: entry.json } : { object, json };
      this.defaulted.set(entry, view);
    }
    return view;
  }

  /** Whether answers need `prepare` first: the conversion does I/O. */
  get convertsAsynchronously(): boolean {
    return this.type.conversion?.fromStorageAsync !== undefined;
  }

  /**
   * Objects an asynchronous conversion made, by the cache entry they came
   * from, and when. They serve the answer they were made for, not later
   * ones: upstream asks the webhook on every read, so a webhook that changes
   * how it converts is heard at once.
   */
  private readonly converted = new WeakMap<object, { object: KubeObject; at: number }>();

  /** Converts, in one batch, the entries an answer will show (a no-op without an asynchronous conversion). */
  async prepare(entries: CachedObject[]): Promise<void> {
    const convert = this.type.conversion?.fromStorageAsync;
    if (!convert) return;
    const now = performance.now();
    const missing = entries.filter((entry) => {
      const converted = this.converted.get(entry);
      return !converted || now - converted.at >= conversionReuseMs;
    });
    if (missing.length === 0) return;
    const out = await convert(missing.map((entry) => structuredClone(entry.object)));
    const at = performance.now();
    missing.forEach((entry, i) => this.converted.set(entry, { object: this.named(out[i]), at }));
  }

  private named(object: KubeObject): KubeObject {
    object.apiVersion = this.type.group ? `${this.type.group}/${this.type.version}` : this.type.version;
    object.kind = this.type.kind;
    this.applyReadDefaults(object);
    return object;
  }

  /** A just-written stored object as this version. */
  private async out(object: KubeObject): Promise<KubeObject> {
    const convert = this.type.conversion?.fromStorageAsync;
    return convert ? this.named((await convert([object]))[0]) : this.fromStorage(object);
  }

  private async encode(object: KubeObject): Promise<Uint8Array> {
    const toStorageAsync = this.type.conversion?.toStorageAsync;
    const stored = toStorageAsync ? await toStorageAsync(structuredClone(object)) : this.type.conversion ? this.type.conversion.toStorage(structuredClone(object)) : { ...object };
    if (this.type.conversion) {
      const group = this.type.conversion.storageGroup ?? this.type.group;
      stored.apiVersion = group ? `${group}/${this.type.conversion.storageVersion}` : this.type.conversion.storageVersion;
    }
    // resourceVersion is the key's mod revision: never stored in the value.
    stored.metadata = { ...stored.metadata };
    delete stored.metadata.resourceVersion;
    return encoder.encode(JSON.stringify(stored));
  }

  private notFound(name: string) {
    return errors.notFound(this.type.group, this.type.resource, name);
  }

  /** The current object (a consistent read: the cache is synced with storage first). */
  async get(namespace: string | undefined, name: string): Promise<StoredObject> {
    const cache = await this.cachePromise;
    await cache.sync();
    const entry = cache.get(this.keyFor(namespace, name));
    if (!entry) throw this.notFound(name);
    await this.prepare([entry]);
    return { object: structuredClone(this.view(entry)), revision: entry.revision };
  }

  /** Every current object (of one namespace, or all), from the synced cache: what admission reads on each request. */
  async listCurrent(namespace?: string): Promise<KubeObject[]> {
    const cache = await this.cachePromise;
    await cache.sync();
    const entries = cache.list(this.keyPrefixFor(namespace));
    await this.prepare(entries);
    return entries.map((entry) => structuredClone(this.view(entry)));
  }

  async create(object: KubeObject): Promise<StoredObject> {
    const name = object.metadata.name!;
    try {
      const kv = await this.store.create(this.keyFor(object.metadata.namespace, name), await this.encode(object));
      return { object: await this.out(decodeStored(kv.key, kv.value, kv.modRevision).object), revision: kv.modRevision };
    } catch (err) {
      if (err instanceof KeyExistsError) throw errors.alreadyExists(this.type.group, this.type.resource, name);
      throw err;
    }
  }

  /** Writes `object` over the version with mod revision `expectedRevision`. */
  async update(object: KubeObject, expectedRevision: number): Promise<StoredObject> {
    const name = object.metadata.name!;
    try {
      const kv = await this.store.update(this.keyFor(object.metadata.namespace, name), await this.encode(object), expectedRevision);
      return { object: await this.out(decodeStored(kv.key, kv.value, kv.modRevision).object), revision: kv.modRevision };
    } catch (err) {
      if (err instanceof KeyNotFoundError) throw this.notFound(name);
      if (err instanceof RevisionConflictError) throw errors.staleResourceVersion(this.type.group, this.type.resource, name);
      throw err;
    }
  }

  /** Removes the object if it is still at `expectedRevision`; resolves with its last state. */
  async remove(namespace: string | undefined, name: string, expectedRevision?: number): Promise<StoredObject> {
    try {
      const { prev, revision } = await this.store.delete(this.keyFor(namespace, name), expectedRevision);
      return { object: await this.out(decodeStored(prev.key, prev.value, revision).object), revision };
    } catch (err) {
      if (err instanceof KeyNotFoundError) throw this.notFound(name);
      if (err instanceof RevisionConflictError) throw errors.staleResourceVersion(this.type.group, this.type.resource, name);
      throw err;
    }
  }

  /**
   * A page straight from storage as of `revision` (for limit/continue, whose pages
   * must all show one snapshot). Compacted revisions answer 410 like upstream.
   */
  async listPage(namespace: string | undefined, options: { revision?: number; startAfter?: string; limit: number }) {
    try {
      const page = await this.store.list(this.keyPrefixFor(namespace), options);
      return {
        revision: page.revision,
        more: page.more,
        remaining: page.remaining,
        items: page.items.map((kv) => decodeStored(kv.key, kv.value, kv.modRevision)),
      };
    } catch (err) {
      if (err instanceof ExpiredError) {
        throw errors.expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      throw err;
    }
  }

  async currentRevision(): Promise<number> {
    return this.store.currentRevision();
  }
}
