/**
 * The SQLite backend of the revisioned store, in the shape of etcd's MVCC
 * (and of k3s's kine): the table is a log. Every write — create, update or
 * delete — appends one row whose id *is* the new global revision. A key's
 * current value is its newest row, unless that row is a deletion marker; its
 * value as of an older revision R is its newest row with id ≤ R. Watching is
 * reading the log from a revision on, then following new rows as they commit.
 * Compaction deletes rows no read at or after the compacted revision can need.
 *
 * Writes are group-committed: writes issued in the same turn of the event
 * loop share one transaction. A transaction commits into the WAL without
 * waiting for the disk (synchronous=NORMAL); the store then has the WAL
 * flushed to disk (fdatasync) on libuv's thread pool, and answers the
 * writes and tells watchers only once that is done. Meanwhile the event
 * loop serves reads and commits the next transactions, and one flush covers
 * every transaction committed before it started. A waiting SQLite commit
 * with synchronous=FULL held the apiserver's only thread for the whole
 * flush instead (a fifth of its busy time while a node started 100 pods).
 *
 * Until its flush is done, a commit is invisible to this store's readers:
 * reads, watches and the current revision stop at the last durable
 * revision (`durable`), so nothing anyone saw can be lost by a power cut.
 */
import { chmodSync, closeSync, existsSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  ExpiredError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type WatchEvent,
  type WatchOptions,
} from '../interface.js';
import { Watcher, WatcherSet } from './watchers.js';

interface Row {
  id: number;
  key: string;
  value: Buffer;
  create_revision: number;
  prev_revision: number;
  deleted: number;
}

interface HistoryRow extends Row {
  prev_value: Buffer | null;
  prev_create_revision: number | null;
}

/** A write waiting for the next group commit. */
interface PendingWrite {
  apply(): { result: unknown; event: WatchEvent };
  resolve(result: unknown): void;
  reject(err: unknown): void;
}

/** A committed transaction waiting for its flush to disk, and how to answer its writes then. */
interface CommittedBatch {
  revision: number;
  answer(failure?: Error): void;
}

/** Flushes a file's data to disk (fs.fdatasync; a test hands in one that fails). */
export type FlushFile = (fd: number, done: (error: Error | null) => void) => void;

export interface SqliteStoreOptions {
  flushFile?: FlushFile;
}

/** How much of the log one step of a watch's replay reads. */
const replayPageRows = 1000;
const replayPageBytes = 4 * 1024 * 1024;

/** Greater than any key in UTF-8 byte order: the range end of the empty prefix. */
const afterEverything = '\u{10FFFF}';

/** The smallest string greater than every string starting with `prefix`. */
function prefixEnd(prefix: string): string {
  if (prefix === '') return afterEverything;
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

function toKeyValue(row: { key: string; value: Buffer; create_revision: number; id: number }): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}

const schema = `
  CREATE TABLE IF NOT EXISTS kv (
    id INTEGER PRIMARY KEY AUTOINCREMENT,      -- the revision of this write
    key TEXT NOT NULL COLLATE BINARY,
    value BLOB NOT NULL,
    create_revision INTEGER NOT NULL,          -- revision that created the key
    prev_revision INTEGER NOT NULL,            -- the key's previous row (0: none)
    deleted INTEGER NOT NULL DEFAULT 0         -- 1: a deletion marker
  );
  CREATE INDEX IF NOT EXISTS kv_key_id ON kv (key, id);
  CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/**
 * Compare-and-swap in the database itself, as kine does: every row names the
 * row it supersedes, and no two rows may supersede the same one. A second
 * write from a revision someone already wrote from then fails in SQL — from
 * another connection, another process, or a path that skipped the check in
 * `update` — instead of both succeeding.
 */
const casIndex = 'kv_key_prev_revision';
const casIndexSql = `CREATE UNIQUE INDEX ${casIndex} ON kv (key, prev_revision)`;

/**
 * Databases written before the index existed recorded prev_revision 0 for a
 * key recreated after a deletion, like its first creation: such rows now name
 * the deletion marker they follow (the newest earlier row of their key), so
 * the index can be built. Every other row already names its predecessor.
 */
function addCasIndex(db: Database.Database): void {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(casIndex);
  if (exists) return;
  db.transaction(() => {
    db.exec(`
      UPDATE kv SET prev_revision = (SELECT MAX(earlier.id) FROM kv AS earlier WHERE earlier.key = kv.key AND earlier.id < kv.id)
       WHERE prev_revision = 0 AND EXISTS (SELECT 1 FROM kv AS earlier WHERE earlier.key = kv.key AND earlier.id < kv.id);
    `);
    db.exec(casIndexSql);
  }).immediate();
}

/** Whether a failed insert broke the (key, prev_revision) index: another write already superseded that row. */
function isCasViolation(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE' && error.message.includes('prev_revision');
}

/**
 * The database, its WAL and its shared-memory file hold every Secret: readable
 * by the owner only, like the keys. SQLite creates the -wal and -shm files with
 * the mode of the database file, so creating that one 0600 is enough for a new
 * store; files of an older one are tightened on open.
 */
function restrictToOwner(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /** The newest revision committed into the database (durable or not yet). */
  private revision: number;
  /** The newest revision on disk: what readers see and watchers have been told. */
  private durable: number;
  private compacted: number;
  private readonly watchers = new WatcherSet();
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  /** Committed transactions whose flush to disk has not finished, oldest first. */
  private committed: CommittedBatch[] = [];
  /** The flush to disk under way, if any. */
  private flushing: Promise<void> | undefined;
  /** Set when a flush to disk failed: no later write can be trusted to last. */
  private failure: Error | undefined;
  private walFd: number | undefined;
  /** Set once close() is called: no new write is taken; resolves when the database is closed. */
  private closing: Promise<void> | undefined;
  private closed = false;
  private readonly flushFile: FlushFile;

  private readonly statements;

  constructor(
    private readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      restrictToOwner(path);
    }
    this.flushFile = options.flushFile ?? fdatasync;
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // NORMAL: a commit does not wait for the disk; flushAfterCommit does, off the event loop,
    // before any write is answered. (Checkpoints still sync the WAL and the database file.)
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(schema);
    addCasIndex(this.db);

    const range = 'key >= @start AND key < @end';
    const latestAt = `SELECT MAX(id) AS id FROM kv WHERE ${range} AND key > @after AND id <= @revision GROUP BY key`;
    this.statements = {
      latest: this.db.prepare<[string], Row>('SELECT * FROM kv WHERE key = ? ORDER BY id DESC LIMIT 1'),
      // A key's newest row, skipping this store's commits not yet on disk (ids in (durable, written]);
      // rows another connection wrote after them are newer still and seen.
      latestDurable: this.db.prepare<{ key: string; durable: number; written: number }, Row>(
        'SELECT * FROM kv WHERE key = @key AND (id <= @durable OR id > @written) ORDER BY id DESC LIMIT 1',
      ),
      insert: this.db.prepare(
        'INSERT INTO kv (id, key, value, create_revision, prev_revision, deleted) VALUES (@id, @key, @value, @createRevision, @prevRevision, @deleted)',
      ),
      list: this.db.prepare<Record<string, unknown>, Row>(
        `SELECT kv.* FROM kv JOIN (${latestAt}) latest ON kv.id = latest.id WHERE kv.deleted = 0 ORDER BY kv.key LIMIT @limit`,
      ),
      count: this.db.prepare<Record<string, unknown>, { n: number }>(
        `SELECT COUNT(*) AS n FROM kv JOIN (${latestAt}) latest ON kv.id = latest.id WHERE kv.deleted = 0`,
      ),
      history: this.db.prepare<Record<string, unknown>, HistoryRow>(
        // A recreation names the deletion marker it follows: that is no previous value.
        `SELECT kv.*, prev.value AS prev_value, prev.create_revision AS prev_create_revision
           FROM kv LEFT JOIN kv AS prev ON prev.id = kv.prev_revision AND prev.deleted = 0
          WHERE kv.key >= @start AND kv.key < @end AND kv.id > @after AND kv.id <= @until ORDER BY kv.id`,
      ),
      sequence: this.db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'kv'"),
      getMeta: this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
      setMeta: this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
      compact: this.db.prepare(
        // Keep, for every key, its newest row at or below the compacted revision
        // (reads at that revision need it) unless that row is a deletion marker.
        `DELETE FROM kv WHERE id <= @revision AND (deleted = 1 OR id < (SELECT MAX(k2.id) FROM kv AS k2 WHERE k2.key = kv.key AND k2.id <= @revision))`,
      ),
    };
    this.revision = this.statements.sequence.get()?.seq ?? 0;
    this.durable = this.revision;
    this.compacted = this.statements.getMeta.get('compacted')?.value ?? 0;
  }

  async currentRevision(): Promise<number> {
    return this.durable;
  }

  async compactedRevision(): Promise<number> {
    return this.compacted;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    const row = this.durable === this.revision ? this.statements.latest.get(key) : this.statements.latestDurable.get({ key, durable: this.durable, written: this.revision });
    return row && !row.deleted ? toKeyValue(row) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const revision = options.revision || this.durable;
    if (revision < this.compacted) throw new ExpiredError(revision, this.compacted);
    const limit = options.limit && options.limit > 0 ? options.limit : -1;
    const params = { start: prefix, end: prefixEnd(prefix), after: options.startAfter ?? '', revision };
    // One extra row tells whether more follow without counting them all.
    const rows = this.statements.list.all({ ...params, limit: limit < 0 ? -1 : limit + 1 });
    let more = false;
    let remaining = 0;
    if (limit > 0 && rows.length > limit) {
      rows.length = limit;
      more = true;
      remaining = this.statements.count.get({ ...params, after: rows[rows.length - 1].key })!.n;
    }
    return { items: rows.map(toKeyValue), revision, more, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.statements.count.get({ start: prefix, end: prefixEnd(prefix), after: '', revision: this.durable })!.n;
  }

  create(key: string, value: Uint8Array): Promise<KeyValue> {
    return this.write(() => {
      const current = this.statements.latest.get(key);
      if (current && !current.deleted) throw new KeyExistsError(key);
      // A recreation supersedes the deletion marker, so two recreations cannot both succeed.
      const id = this.append(key, value, 0, current?.id ?? 0, false);
      const kv: KeyValue = { key, value: Buffer.from(value), createRevision: id, modRevision: id };
      return { result: kv, event: { type: 'put', kv } };
    });
  }

  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    return this.write(() => {
      const current = this.statements.latest.get(key);
      if (!current || current.deleted) throw new KeyNotFoundError(key);
      if (current.id !== expectedModRevision) throw new RevisionConflictError(key, expectedModRevision, current.id);
      const id = this.append(key, value, current.create_revision, current.id, false);
      const kv: KeyValue = { key, value: Buffer.from(value), createRevision: current.create_revision, modRevision: id };
      return { result: kv, event: { type: 'put', kv, prev: toKeyValue(current) } };
    });
  }

  delete(key: string, expectedModRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    return this.write(() => {
      const current = this.statements.latest.get(key);
      if (!current || current.deleted) throw new KeyNotFoundError(key);
      if (expectedModRevision !== undefined && current.id !== expectedModRevision) {
        throw new RevisionConflictError(key, expectedModRevision, current.id);
      }
      const id = this.append(key, new Uint8Array(0), current.create_revision, current.id, true);
      const prev = toKeyValue(current);
      return { result: { prev, revision: id }, event: { type: 'delete', key, modRevision: id, prev } };
    });
  }

  watch(prefix: string, options: WatchOptions, onEvent: (event: WatchEvent) => void, onError?: (err: Error) => void): void {
    if (options.signal.aborted) return;
    if (this.closed || options.afterRevision < this.compacted) {
      const err = this.closed ? new Error('store is closed') : new ExpiredError(options.afterRevision, this.compacted);
      queueMicrotask(() => onError?.(err));
      return;
    }
    const watcher = new Watcher(prefix, onEvent);
    // Registering for new commits and fixing where the replay ends happen in
    // the same synchronous step, and commits are published in revision order
    // once durable, each in one step too, so no event falls between the
    // replay and the live stream, nor arrives twice.
    const until = this.durable;
    this.watchers.add(watcher, options.signal);
    if (options.afterRevision < until) {
      watcher.hold();
      this.replay(watcher, prefix, options.afterRevision, until, onError);
    } else {
      watcher.push({ type: 'progress', revision: until });
    }
  }

  /**
   * Replays the log after `after` up to `until` in pages, one page per turn of
   * the event loop, so the reader can handle and drop one page before the
   * next is read: history of big objects is never all in memory at once.
   */
  private replay(watcher: Watcher, prefix: string, after: number, until: number, onError?: (err: Error) => void): void {
    if (watcher.closed || this.closed) return;
    // A compaction between two pages may have removed rows this replay still needs.
    if (after < this.compacted) {
      watcher.closed = true;
      onError?.(new ExpiredError(after, this.compacted));
      return;
    }
    let last = after;
    let rows = 0;
    let bytes = 0;
    for (const row of this.statements.history.iterate({ start: prefix, end: prefixEnd(prefix), after, until })) {
      watcher.replay(this.historyEvent(row));
      last = row.id;
      bytes += row.value.length + (row.prev_value?.length ?? 0);
      if (++rows >= replayPageRows || bytes >= replayPageBytes) break;
    }
    if (last < until && (rows >= replayPageRows || bytes >= replayPageBytes)) {
      setImmediate(() => this.replay(watcher, prefix, last, until, onError));
      return;
    }
    watcher.replay({ type: 'progress', revision: until });
    watcher.release();
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision <= this.compacted) return;
    if (revision > this.durable) throw new Error(`cannot compact to revision ${revision}: newer than the current revision ${this.durable}`);
    this.db.transaction(() => {
      this.statements.compact.run({ revision });
      this.statements.setMeta.run('compacted', revision);
    })();
    this.compacted = revision;
  }

  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  /** The database's pages in use or free (what the file holds, the write-ahead log aside); undefined in memory. */
  async sizeBytes(): Promise<number | undefined> {
    if (this.path === ':memory:' || this.closing) return undefined;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return pages * pageSize;
  }

  /** Answers the writes already accepted (committed and flushed to disk), then closes the database. */
  private async finish(): Promise<void> {
    if (this.pending.length > 0) this.flush();
    while (this.flushing) await this.flushing;
    this.closed = true;
    this.watchers.closeAll();
    this.db.close();
    if (this.walFd !== undefined) closeSync(this.walFd);
  }

  // ---- writing -------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }

  /**
   * Appends one row at the next revision, inside the current transaction,
   * superseding the key's row `prevRevision` (0: none). When another write
   * already superseded that row the index refuses it, and the caller learns of
   * it as the conflict (or, for a creation, the existing key) it is.
   */
  private append(key: string, value: Uint8Array, createRevision: number, prevRevision: number, deleted: boolean): number {
    const id = this.revision + 1;
    try {
      this.statements.insert.run({
        id,
        key,
        value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
        createRevision: createRevision || id,
        prevRevision,
        deleted: deleted ? 1 : 0,
      });
    } catch (error) {
      if (!isCasViolation(error)) throw error;
      if (createRevision === 0) throw new KeyExistsError(key);
      const current = this.statements.latest.get(key);
      if (!current || current.deleted) throw new KeyNotFoundError(key);
      throw new RevisionConflictError(key, prevRevision, current.id);
    }
    this.revision = id;
    return id;
  }

  private write<T>(apply: () => { result: T; event: WatchEvent }): Promise<T> {
    if (this.closing) return Promise.reject(new Error('store is closed'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ apply, resolve: resolve as (result: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate: every write issued in this turn of the event loop joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every pending write in one transaction, then answers them and tells watchers. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 || this.closed) {
      for (const write of batch) write.reject(new Error('store is closed'));
      return;
    }
    const outcomes: ({ ok: true; result: unknown; event: WatchEvent } | { ok: false; error: unknown })[] = [];
    const revisionBefore = this.revision;
    try {
      // IMMEDIATE: take the write lock before reading, so the checks below read
      // the newest rows even when another connection writes to the same file,
      // and start from the newest revision that connection may have written.
      this.db.transaction(() => {
        this.revision = Math.max(this.revision, this.statements.sequence.get()?.seq ?? 0);
        for (const write of batch) {
          // A write that fails its precondition is answered with its error; the
          // others in the batch still commit (it wrote nothing).
          try {
            const { result, event } = write.apply();
            outcomes.push({ ok: true, result, event });
          } catch (error) {
            if (!isPreconditionError(error)) throw error;
            outcomes.push({ ok: false, error });
          }
        }
      }).immediate();
    } catch (error) {
      // The transaction rolled back: nothing of this batch is durable.
      this.revision = revisionBefore;
      for (const write of batch) write.reject(error);
      return;
    }
    const revision = this.revision;
    this.committed.push({
      revision,
      answer: (failure) => {
        const events: WatchEvent[] = [];
        batch.forEach((write, i) => {
          const outcome = outcomes[i];
          if (failure) write.reject(failure);
          else if (outcome.ok) {
            events.push(outcome.event);
            write.resolve(outcome.result);
          } else {
            write.reject(outcome.error);
          }
        });
        if (failure) return;
        this.durable = revision;
        if (events.length > 0) this.watchers.publish(events, revision);
      },
    });
    this.flushAfterCommit();
  }

  /**
   * Has the WAL flushed to disk for every transaction committed so far, then
   * answers them, oldest first. One flush at a time: transactions committed
   * while one runs wait for the next, which covers them all.
   */
  private flushAfterCommit(): void {
    if (this.flushing || this.committed.length === 0) return;
    const covered = this.committed.length;
    const answer = (error: Error | null) => {
      const batches = this.committed.splice(0, covered);
      if (error && !this.failure) this.failure = new Error(`the database could not be flushed to disk, so no write can be trusted to last: ${error.message}`);
      for (const batch of batches) batch.answer(error ? this.failure : undefined);
    };
    const fd = this.walFileDescriptor();
    // An in-memory database has nothing to flush.
    if (fd === undefined) return answer(null);
    this.flushing = new Promise<void>((resolve) =>
      this.flushFile(fd, (error) => {
        this.flushing = undefined;
        answer(error);
        resolve();
        this.flushAfterCommit();
      }),
    );
  }

  /** The WAL file, opened once (SQLite created it with the database in WAL mode). */
  private walFileDescriptor(): number | undefined {
    if (this.path === ':memory:') return undefined;
    this.walFd ??= openSync(`${this.path}-wal`, 'r');
    return this.walFd;
  }

  private historyEvent(row: HistoryRow): WatchEvent {
    const prev: KeyValue | undefined =
      row.prev_value !== null ? { key: row.key, value: row.prev_value, createRevision: row.prev_create_revision ?? 0, modRevision: row.prev_revision } : undefined;
    if (row.deleted) {
      return { type: 'delete', key: row.key, modRevision: row.id, prev: prev ?? { key: row.key, value: Buffer.alloc(0), createRevision: row.create_revision, modRevision: row.prev_revision } };
    }
    return prev ? { type: 'put', kv: toKeyValue(row), prev } : { type: 'put', kv: toKeyValue(row) };
  }
}

function isPreconditionError(error: unknown): boolean {
  return error instanceof KeyExistsError || error instanceof KeyNotFoundError || error instanceof RevisionConflictError;
}

/** Opens (creating if needed) a store at `path`, or an in-memory one for `:memory:`. */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  return new SqliteStore(path, options);
}
