import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { EventLog, storeContract } from '../contract.js';
import { RevisionConflictError } from '../interface.js';
import { openSqliteStore, type FlushFile } from './store.js';
import type { Store } from '../interface.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

storeContract('sqlite in memory', () => openSqliteStore(':memory:'));
const paths = new WeakMap<Store, string>();
let lastPath = '';
const openOnDisk = async (path: string) => {
  const store = await openSqliteStore(path);
  paths.set(store, path);
  lastPath = path;
  return store;
};
storeContract('sqlite on disk', () => openOnDisk(join(dir, `contract-${files++}`, 'state.db')), {
  // Another connection to the same file, as a second process would open.
  openAnother: () => openSqliteStore(lastPath),
  reopen: async (store) => {
    await store.close();
    return openOnDisk(paths.get(store)!);
  },
});

describe('sqlite store across restarts', () => {
  it('keeps data, the revision counter and the compacted revision', async () => {
    const path = join(dir, 'reopen', 'state.db');
    const first = await openSqliteStore(path);
    const a = await first.create('/a', new TextEncoder().encode('1'));
    const b = await first.create('/b', new TextEncoder().encode('2'));
    await first.delete('/b');
    await first.compact(b.modRevision);
    const last = await first.currentRevision();
    await first.close();

    const second = await openSqliteStore(path);
    assert.equal(await second.currentRevision(), last);
    assert.equal(await second.compactedRevision(), b.modRevision);
    const kv = await second.get('/a');
    assert.equal(kv?.modRevision, a.modRevision);
    assert.equal(await second.get('/b'), undefined);
    // A deleted key compacted away must not bring its revision back into use.
    const next = await second.create('/c', new TextEncoder().encode('3'));
    assert.equal(next.modRevision, last + 1);
    await second.close();
  });
});

describe('sqlite store: compare-and-swap in SQL', () => {
  it('refuses, in the database itself, a second row superseding the same revision', async () => {
    const path = join(dir, 'cas', 'state.db');
    const store = await openSqliteStore(path);
    const k = await store.create('/k', new TextEncoder().encode('1'));
    await store.update('/k', new TextEncoder().encode('2'), k.modRevision);
    await store.close();
    // A writer that skips the store's checks (another program, a bug) still cannot fork the key's history.
    const raw = new Database(path);
    try {
      assert.throws(
        () => raw.prepare("INSERT INTO kv (key, value, create_revision, prev_revision, deleted) VALUES ('/k', x'33', ?, ?, 0)").run(k.modRevision, k.modRevision),
        /UNIQUE constraint failed: kv.key, kv.prev_revision/,
      );
    } finally {
      raw.close();
    }
  });

  it('adds the index to a database written before it, keeping its history readable', async () => {
    const path = join(dir, 'migrate', 'state.db');
    mkdirSync(dirname(path), { recursive: true });
    // The schema and rows of the earlier store: a recreation after a deletion had prev_revision 0.
    const old = new Database(path);
    old.exec(`
      CREATE TABLE kv (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL COLLATE BINARY, value BLOB NOT NULL,
                       create_revision INTEGER NOT NULL, prev_revision INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX kv_key_id ON kv (key, id);
      CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO kv VALUES (1, '/k', x'31', 1, 0, 0), (2, '/k', x'', 1, 1, 1), (3, '/k', x'32', 3, 0, 0), (4, '/k', x'33', 3, 3, 0), (5, '/j', x'6a', 5, 0, 0);
    `);
    old.close();
    const store = await openSqliteStore(path);
    try {
      assert.equal(await store.currentRevision(), 5);
      assert.equal(new TextDecoder().decode((await store.get('/k'))!.value), '3');
      const log = new EventLog();
      const abort = new AbortController();
      store.watch('/k', { afterRevision: 0, signal: abort.signal }, log.onEvent, log.onError);
      await log.until(() => log.changes().length === 4, 'the replayed history');
      abort.abort();
      const recreated = log.changes()[2];
      assert.ok(recreated.type === 'put' && recreated.prev === undefined, 'the recreation is still an addition');
      // The migrated key can still be written, guarded as before.
      await assert.rejects(store.update('/k', new TextEncoder().encode('x'), 3), RevisionConflictError);
      await store.update('/k', new TextEncoder().encode('4'), 4);
      await store.delete('/k');
      await store.create('/k', new TextEncoder().encode('5'));
    } finally {
      await store.close();
    }
  });
});

describe('sqlite store: files at rest', () => {
  const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

  it('creates the database, its WAL and shared-memory file readable by the owner only', async () => {
    const path = join(dir, 'modes', 'state.db');
    const store = await openSqliteStore(path);
    await store.create('/secret', new TextEncoder().encode('s3cr3t'));
    try {
      for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(modeOf(file), '600', file);
    } finally {
      await store.close();
    }
  });

  it('tightens the files of an existing database on open', async () => {
    const path = join(dir, 'old-modes', 'state.db');
    // As an earlier store left them: world-readable (an empty file is an empty SQLite database).
    mkdirSync(dirname(path), { recursive: true });
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      writeFileSync(file, '');
      chmodSync(file, 0o644);
    }
    const store = await openSqliteStore(path);
    try {
      for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(modeOf(file), '600', file);
    } finally {
      await store.close();
    }
  });
});

describe('sqlite store: answers a write only once it is on disk', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  /** A flush to disk the test finishes by hand: each call waits in `calls`. */
  const manualFlush = () => {
    const calls: ((error: Error | null) => void)[] = [];
    const flushFile: FlushFile = (_fd, done) => void calls.push(done);
    const settle = async () => {
      // The store asks for a flush once the transaction committed (after a setImmediate).
      await new Promise((resolve) => setImmediate(resolve));
      return calls.length;
    };
    return { calls, flushFile, settle };
  };

  it('hides a commit from readers and watchers until its flush is done, and one flush covers every commit made meanwhile', async () => {
    const flush = manualFlush();
    const store = await openSqliteStore(join(dir, 'flush', 'state.db'), { flushFile: flush.flushFile });
    try {
      const log = new EventLog();
      const abort = new AbortController();
      store.watch('/f/', { afterRevision: 0, signal: abort.signal }, log.onEvent, log.onError);
      let answered = false;
      const first = store.create('/f/a', bytes('1')).then((kv) => ((answered = true), kv));
      assert.equal(await flush.settle(), 1, 'the commit asked for one flush');
      // Committed into the database, yet nobody may see it: a power cut now would lose it.
      assert.equal(answered, false);
      assert.equal(await store.get('/f/a'), undefined);
      assert.equal((await store.list('/f/')).items.length, 0);
      assert.equal(await store.currentRevision(), 0);
      // Two more writes commit while the flush runs; they wait for the next flush, which covers both.
      const more = [store.create('/f/b', bytes('2')), store.create('/f/c', bytes('3'))];
      await flush.settle();
      assert.equal(flush.calls.length, 1, 'no second flush while one is under way');
      flush.calls[0](null);
      const a = await first;
      assert.equal((await store.get('/f/a'))?.modRevision, a.modRevision);
      assert.equal(await store.get('/f/b'), undefined, 'the later commits are still not on disk');
      assert.equal(flush.calls.length, 2, 'the next flush starts as soon as the first is done');
      flush.calls[1](null);
      const [b, c] = await Promise.all(more);
      assert.equal(await store.currentRevision(), c.modRevision);
      await log.until(() => log.changes().length === 3, 'the three creations');
      assert.deepEqual(log.changes().map((e) => (e.type === 'put' ? e.kv.modRevision : 0)), [a.modRevision, b.modRevision, c.modRevision]);
      abort.abort();
    } finally {
      // close waits for no flush: none is under way.
      await store.close();
    }
  });

  it('closes only after the writes it had taken are on disk and answered, however often it is called', async () => {
    const flush = manualFlush();
    const store = await openSqliteStore(join(dir, 'flush-close', 'state.db'), { flushFile: flush.flushFile });
    const taken = store.create('/f/taken', bytes('1'));
    const closes = [store.close(), store.close()];
    await assert.rejects(store.create('/f/refused', bytes('2')), /store is closed/);
    const done = [false, false];
    closes.forEach((close, i) => void close.then(() => (done[i] = true)));
    await flush.settle();
    assert.deepEqual(done, [false, false], 'neither close is done while the flush runs');
    flush.calls[0](null);
    await Promise.all(closes);
    assert.equal((await taken).key, '/f/taken');
    const reopened = await openSqliteStore(join(dir, 'flush-close', 'state.db'));
    try {
      assert.ok(await reopened.get('/f/taken'));
      assert.equal(await reopened.get('/f/refused'), undefined);
    } finally {
      await reopened.close();
    }
  });

  it('fails the writes a failed flush covered, and every write after, keeping what was on disk readable', async () => {
    const flush = manualFlush();
    const store = await openSqliteStore(join(dir, 'flush-fails', 'state.db'), { flushFile: flush.flushFile });
    try {
      const kept = store.create('/f/kept', bytes('1'));
      await flush.settle();
      flush.calls[0](null);
      await kept;
      const lost = store.create('/f/lost', bytes('2'));
      await flush.settle();
      flush.calls[1](Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      await assert.rejects(lost, /could not be flushed to disk.*EIO/);
      await assert.rejects(store.create('/f/later', bytes('3')), /could not be flushed to disk/);
      assert.equal(flush.calls.length, 2, 'a write after the failure does not even commit');
      assert.equal(new TextDecoder().decode((await store.get('/f/kept'))!.value), '1');
    } finally {
      await store.close();
    }
  });
});

it('sizeBytes: what the database file holds; nothing for a store in memory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-size-'));
  const store = await openSqliteStore(join(dir, 'state.db'));
  try {
    await store.create('/registry/configmaps/default/a', new TextEncoder().encode('x'.repeat(10_000)));
    const size = await store.sizeBytes!();
    assert.ok(size !== undefined && size >= 10_000, String(size));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const memory = await openSqliteStore(':memory:');
  assert.equal(await memory.sizeBytes!(), undefined);
  await memory.close();
});
