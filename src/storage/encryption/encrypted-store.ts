/**
 * Encryption at rest as a Store around another Store: every value of a
 * resource goes through that resource's transformer on the way in (create,
 * update) and on the way out (get, list, watch events and their previous
 * values, delete results). Keys, revisions and every guard stay the inner
 * store's, so the wrapper passes the same contract. Upstream does this
 * inside its etcd3 store, with the storage key as authenticated data.
 */
import type { KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchOptions } from '../interface.js';
import type { EncryptionProviders } from './config.js';
import { groupResourceOfKey } from './storage-keys.js';
import type { ValueTransformer } from './transformers.js';
import type { GroupResource } from './validation.js';

/**
 * A stored value that cannot be read (wrong key, tampered, encrypted but no
 * longer configured). The apiserver answers it as an internal error, as
 * upstream's storage does; the message names the key, never the value.
 */
export class StorageTransformError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`unable to transform key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'StorageTransformError';
  }
}

export interface EncryptedStoreOptions {
  /** Which resource a key holds (default: the apiserver's `/registry/…` layout). Keys of no resource pass through untouched. */
  resourceOfKey?: (key: string) => GroupResource | undefined;
}

const text = new TextEncoder();

export class EncryptedStore implements Store {
  private readonly resourceOfKey: (key: string) => GroupResource | undefined;

  constructor(
    private readonly inner: Store,
    private readonly providers: EncryptionProviders,
    options: EncryptedStoreOptions = {},
  ) {
    this.resourceOfKey = options.resourceOfKey ?? groupResourceOfKey;
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const kv = await this.inner.get(key);
    return kv && this.readKeyValue(kv);
  }

  async list(prefix: string, options?: ListOptions): Promise<ListResult> {
    const result = await this.inner.list(prefix, options);
    return { ...result, items: result.items.map((kv) => this.readKeyValue(kv)) };
  }

  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    const kv = await this.inner.create(key, this.toStorage(key, value));
    // The caller wrote `value`: it is what the written version holds.
    return { ...kv, value };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    const kv = await this.inner.update(key, this.toStorage(key, value), expectedModRevision);
    return { ...kv, value };
  }

  /**
   * The deletion happens in the inner store; a previous value that cannot
   * be read is then reported as an error naming the key (the key is gone,
   * which is the one way out for a value no configured key can read).
   */
  async delete(key: string, expectedModRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    const { prev, revision } = await this.inner.delete(key, expectedModRevision);
    return { prev: this.readKeyValue(prev), revision };
  }

  /**
   * Events with their values (and previous values) read. An event that
   * cannot be read ends the watch through `onError`, like upstream's watcher
   * sending an error: a watcher must not go on with a gap in its history.
   */
  watch(prefix: string, options: WatchOptions, onEvent: (event: WatchEvent) => void, onError?: (err: Error) => void): void {
    const local = new AbortController();
    const forwardAbort = () => local.abort();
    if (options.signal.aborted) local.abort();
    else options.signal.addEventListener('abort', forwardAbort, { once: true });
    let failed = false;
    const fail = (err: Error) => {
      failed = true;
      options.signal.removeEventListener('abort', forwardAbort);
      local.abort();
      onError?.(err);
    };
    this.inner.watch(
      prefix,
      { afterRevision: options.afterRevision, signal: local.signal },
      (event) => {
        if (failed) return;
        let read: WatchEvent;
        try {
          read = this.readEvent(event);
        } catch (err) {
          fail(err as Error);
          return;
        }
        onEvent(read);
      },
      (err) => {
        if (!failed) fail(err);
      },
    );
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async sizeBytes(): Promise<number | undefined> {
    return this.inner.sizeBytes?.();
  }

  /**
   * Whether the current value of `key` was written by a provider or key
   * other than its resource's first one (false for an absent key). The
   * apiserver must then write an update even when the object is unchanged,
   * so `kubectl get secrets -A -o json | kubectl replace -f -` re-encrypts
   * everything with the current key (upstream's "stale" read).
   */
  async isStale(key: string): Promise<boolean> {
    const kv = await this.inner.get(key);
    if (!kv) return false;
    const transformer = this.transformerOf(key);
    return transformer ? this.fromStorage(transformer, key, kv.value).stale : false;
  }

  private transformerOf(key: string): ValueTransformer | undefined {
    const gr = this.resourceOfKey(key);
    return gr && this.providers.transformerFor(gr.resource, gr.group);
  }

  private toStorage(key: string, value: Uint8Array): Uint8Array {
    const transformer = this.transformerOf(key);
    if (!transformer) return value;
    try {
      return transformer.toStorage(value, text.encode(key));
    } catch (err) {
      throw new StorageTransformError(key, (err as Error).message);
    }
  }

  private fromStorage(transformer: ValueTransformer, key: string, value: Uint8Array) {
    try {
      return transformer.fromStorage(value, text.encode(key));
    } catch (err) {
      throw new StorageTransformError(key, (err as Error).message);
    }
  }

  private readKeyValue(kv: KeyValue): KeyValue {
    const transformer = this.transformerOf(kv.key);
    if (!transformer) return kv;
    const { data } = this.fromStorage(transformer, kv.key, kv.value);
    return data === kv.value ? kv : { ...kv, value: data };
  }

  private readEvent(event: WatchEvent): WatchEvent {
    if (event.type === 'progress') return event;
    if (event.type === 'delete') return { ...event, prev: this.readKeyValue(event.prev) };
    const read: WatchEvent = { type: 'put', kv: this.readKeyValue(event.kv) };
    if (event.prev) read.prev = this.readKeyValue(event.prev);
    return read;
  }
}
