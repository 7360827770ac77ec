/**
 * The revisioned key-value store, in etcd's MVCC model. Every successful write
 * gets a new, global, strictly increasing revision. A key's `modRevision` is the
 * revision of its last write, `createRevision` the revision that created it.
 * Updates and deletes can be guarded by the key's mod revision (compare-and-swap),
 * which is how the apiserver implements optimistic concurrency.
 *
 * Values are opaque bytes to the store (the apiserver stores an object's JSON).
 * Backends: `sqlite/` (embedded, default) and later `etcd/`. Every backend must
 * pass the contract suite in `contract.ts`.
 */

export interface KeyValue {
  key: string;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
}

export interface ListOptions {
  /** Read as of this revision (for consistent pagination). 0 or absent: the current revision. */
  revision?: number;
  /** Return at most this many keys. 0 or absent: no limit. */
  limit?: number;
  /** Start after this key (exclusive), for pagination. */
  startAfter?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when more keys follow the last one returned. */
  more: boolean;
  /** How many keys follow the last one returned (when `more`). */
  remaining: number;
}

export type WatchEvent =
  | { type: 'put'; kv: KeyValue; prev?: KeyValue }
  | { type: 'delete'; key: string; modRevision: number; prev: KeyValue }
  /**
   * The store has reached `revision` (writes elsewhere moved the global counter).
   * Lets a watcher know it is up to date without an event of its own, like etcd's
   * progress notifications. Sent after every commit to in-process watchers.
   */
  | { type: 'progress'; revision: number };

export interface WatchOptions {
  /** Deliver every event with revision > `afterRevision`. Older than the compacted revision: ExpiredError. */
  afterRevision: number;
  signal: AbortSignal;
}

/** Thrown when a read or watch asks for a revision that compaction removed (the apiserver answers 410). */
export class ExpiredError extends Error {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`required revision ${requested} has been compacted (compacted revision ${compacted})`);
    this.name = 'ExpiredError';
  }
}

/** `create` of a key that exists. */
export class KeyExistsError extends Error {
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
    this.name = 'KeyExistsError';
  }
}

/** `update`/`delete` of a key that does not exist. */
export class KeyNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
    this.name = 'KeyNotFoundError';
  }
}

/** A guarded `update`/`delete` whose expected mod revision is not the key's current one. */
export class RevisionConflictError extends Error {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`revision conflict on ${key}: expected ${expected}, found ${actual}`);
    this.name = 'RevisionConflictError';
  }
}

export interface Store {
  /**
   * Whether the stored value of `key` should be written again even if
   * unchanged (encryption at rest: it was written with an older key, so an
   * update rotates it). Stores without transformations leave it out.
   */
  isStale?(key: string): Promise<boolean>;
  /** How many bytes the database takes (apiserver_storage_size_bytes); undefined when it cannot tell (in memory). */
  sizeBytes?(): Promise<number | undefined>;
  /** The newest revision written (0 for an empty store). */
  currentRevision(): Promise<number>;
  /** The newest compacted revision; reads and watches must be newer. */
  compactedRevision(): Promise<number>;

  get(key: string): Promise<KeyValue | undefined>;
  /** Keys starting with `prefix`, in byte order of key. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** How many keys start with `prefix` now. */
  count(prefix: string): Promise<number>;

  /** Creates `key`; KeyExistsError if it exists. Resolves with the new revision once durable. */
  create(key: string, value: Uint8Array): Promise<KeyValue>;
  /**
   * Replaces the value of `key` if its modRevision equals `expectedModRevision`.
   * KeyNotFoundError if absent, RevisionConflictError if changed since.
   */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue>;
  /**
   * Deletes `key`, guarded by `expectedModRevision` when given. Resolves with the
   * deleted value and the revision of the deletion.
   */
  delete(key: string, expectedModRevision?: number): Promise<{ prev: KeyValue; revision: number }>;

  /**
   * Events for keys under `prefix` after `afterRevision`, in revision order,
   * delivered to `onEvent` until the signal aborts. Rejects (or calls onError)
   * with ExpiredError when `afterRevision` is older than the compacted revision.
   */
  watch(prefix: string, options: WatchOptions, onEvent: (event: WatchEvent) => void, onError?: (err: Error) => void): void;

  /** Removes history (superseded values, deletion markers) at or below `revision`. */
  compact(revision: number): Promise<void>;

  close(): Promise<void>;
}
