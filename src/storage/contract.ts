/**
 * The contract every store backend must pass: etcd's semantics as the
 * apiserver relies on them. A backend's test file calls
 * `storeContract('name', open)`; nothing here knows about any backend.
 */
import { describe as suite, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  ExpiredError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  type Store,
  type WatchEvent,
} from './interface.js';

const text = new TextEncoder();
const bytes = (value: string) => text.encode(value);
const str = (value: Uint8Array) => new TextDecoder().decode(value);

/** Collects watch events and lets a test wait, with a deadline, until a condition holds. */
export class EventLog {
  readonly events: WatchEvent[] = [];
  error: Error | undefined;
  private waiters: (() => void)[] = [];

  readonly onEvent = (event: WatchEvent): void => {
    this.events.push(event);
    this.wake();
  };
  readonly onError = (err: Error): void => {
    this.error = err;
    this.wake();
  };

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** The put and delete events, without progress markers. */
  changes(): Exclude<WatchEvent, { type: 'progress' }>[] {
    return this.events.filter((e): e is Exclude<WatchEvent, { type: 'progress' }> => e.type !== 'progress');
  }

  async until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.map(describeEvent))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

function describeEvent(event: WatchEvent): string {
  if (event.type === 'progress') return `progress@${event.revision}`;
  if (event.type === 'put') return `put ${event.kv.key}@${event.kv.modRevision}`;
  return `delete ${event.key}@${event.modRevision}`;
}

function revisionOf(event: WatchEvent): number {
  return event.type === 'put' ? event.kv.modRevision : event.type === 'delete' ? event.modRevision : event.revision;
}

export interface ContractOptions {
  /**
   * Opens a second handle on the data of the store `open` returned last — as
   * another process would (another connection to the same file, another
   * client of the same etcd). Backends whose data only one handle can reach
   * (in memory) leave it out, and the tests that need it are skipped.
   */
  openAnother?: () => Promise<Store>;
  /**
   * Closes a store and opens the same data again, as a restart does (a
   * backend with nothing to reopen, like an in-memory one, leaves this out).
   */
  reopen?: (store: Store) => Promise<Store>;
}

export function storeContract(name: string, open: () => Promise<Store>, options: ContractOptions = {}): void {
  suite(`store contract: ${name}`, () => {
    let store: Store;
    const aborts: AbortController[] = [];
    const watch = (prefix: string, afterRevision: number): EventLog => {
      const log = new EventLog();
      const abort = new AbortController();
      aborts.push(abort);
      store.watch(prefix, { afterRevision, signal: abort.signal }, log.onEvent, log.onError);
      return log;
    };

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      for (const abort of aborts.splice(0)) abort.abort();
      await store.close();
    });

    it('starts empty at revision 0', async () => {
      assert.equal(await store.currentRevision(), 0);
      assert.equal(await store.get('/a'), undefined);
      assert.deepEqual((await store.list('/')).items, []);
    });

    it('gives every write a new, strictly increasing global revision', async () => {
      const a = await store.create('/a', bytes('1'));
      const b = await store.create('/b', bytes('2'));
      const a2 = await store.update('/a', bytes('3'), a.modRevision);
      const deleted = await store.delete('/b');
      assert.ok(a.modRevision < b.modRevision && b.modRevision < a2.modRevision && a2.modRevision < deleted.revision);
      assert.equal(await store.currentRevision(), deleted.revision);
    });

    it('creates only absent keys', async () => {
      const created = await store.create('/k', bytes('v'));
      assert.equal(created.createRevision, created.modRevision);
      await assert.rejects(store.create('/k', bytes('again')), KeyExistsError);
      assert.equal(str((await store.get('/k'))!.value), 'v');
    });

    it('guards updates by mod revision and keeps the create revision', async () => {
      const created = await store.create('/k', bytes('1'));
      const updated = await store.update('/k', bytes('2'), created.modRevision);
      assert.equal(updated.createRevision, created.createRevision);
      assert.ok(updated.modRevision > created.modRevision);
      await assert.rejects(store.update('/k', bytes('3'), created.modRevision), RevisionConflictError);
      await assert.rejects(store.update('/missing', bytes('3'), 1), KeyNotFoundError);
      const current = await store.get('/k');
      assert.equal(str(current!.value), '2');
      assert.equal(current!.modRevision, updated.modRevision);
    });

    it('guards deletes by mod revision when asked', async () => {
      const created = await store.create('/k', bytes('1'));
      await store.update('/k', bytes('2'), created.modRevision);
      await assert.rejects(store.delete('/k', created.modRevision), RevisionConflictError);
      const { prev } = await store.delete('/k');
      assert.equal(str(prev.value), '2');
      assert.equal(await store.get('/k'), undefined);
      await assert.rejects(store.delete('/k'), KeyNotFoundError);
    });

    it('recreates a deleted key with a new create revision', async () => {
      const first = await store.create('/k', bytes('1'));
      await store.delete('/k');
      const second = await store.create('/k', bytes('2'));
      assert.ok(second.createRevision > first.createRevision);
    });

    it('lists a prefix in byte order, and only that prefix', async () => {
      for (const key of ['/a/c', '/a/b', '/a/bc', '/ab', '/a/B', '/b/a']) await store.create(key, bytes(key));
      const list = await store.list('/a/');
      assert.deepEqual(list.items.map((kv) => kv.key), ['/a/B', '/a/b', '/a/bc', '/a/c']);
      assert.equal(list.revision, await store.currentRevision());
      assert.deepEqual((await store.list('/a/b')).items.map((kv) => kv.key), ['/a/b', '/a/bc']);
      assert.equal(await store.count('/a/'), 4);
      assert.equal(await store.count('/'), 6);
    });

    it('paginates at a fixed revision, ignoring later writes', async () => {
      for (let i = 0; i < 5; i++) await store.create(`/p/${i}`, bytes(String(i)));
      const first = await store.list('/p/', { limit: 2 });
      assert.deepEqual(first.items.map((kv) => kv.key), ['/p/0', '/p/1']);
      assert.equal(first.more, true);
      assert.equal(first.remaining, 3);
      // Writes after the first page must not show in the following pages.
      await store.delete('/p/3');
      await store.create('/p/5', bytes('5'));
      const rest = await store.list('/p/', { revision: first.revision, startAfter: '/p/1' });
      assert.deepEqual(rest.items.map((kv) => kv.key), ['/p/2', '/p/3', '/p/4']);
      assert.equal(rest.more, false);
      assert.equal(str(rest.items[1].value), '3');
      const now = await store.list('/p/');
      assert.deepEqual(now.items.map((kv) => kv.key), ['/p/0', '/p/1', '/p/2', '/p/4', '/p/5']);
    });

    it('reads old values at an old revision', async () => {
      const created = await store.create('/k', bytes('old'));
      await store.update('/k', bytes('new'), created.modRevision);
      const then = await store.list('/k', { revision: created.modRevision });
      assert.equal(str(then.items[0].value), 'old');
    });

    it('watches from a past revision: replays history, then continues live without gaps', async () => {
      const a = await store.create('/w/a', bytes('1'));
      await store.update('/w/a', bytes('2'), a.modRevision);
      await store.create('/other', bytes('x'));
      await store.delete('/w/a');
      const log = watch('/w/', a.modRevision - 1);
      await store.create('/w/b', bytes('3'));
      await log.until(() => log.changes().length === 4, 'four events');
      const changes = log.changes();
      assert.deepEqual(changes.map((e) => e.type), ['put', 'put', 'delete', 'put']);
      const revisions = changes.map(revisionOf);
      assert.deepEqual([...revisions].sort((x, y) => x - y), revisions);
      assert.equal(str((changes[1] as { prev?: { value: Uint8Array } }).prev!.value), '1');
      const deletion = changes[2] as Extract<WatchEvent, { type: 'delete' }>;
      assert.equal(str(deletion.prev.value), '2');
      assert.equal(log.error, undefined);
    });

    it('replays a long history while writes continue: every event exactly once, in order', async () => {
      const written: number[] = [];
      for (let batch = 0; batch < 5; batch++) {
        const kvs = await Promise.all(Array.from({ length: 500 }, (_, i) => store.create(`/long/${batch}-${i}`, bytes('v'.repeat(100)))));
        written.push(...kvs.map((kv) => kv.modRevision));
      }
      const log = watch('/long/', 0);
      // Writes racing the replay come after it, once each.
      for (let i = 0; i < 20; i++) written.push((await store.create(`/long/late-${i}`, bytes('late'))).modRevision);
      await log.until(() => log.changes().length >= written.length, `${written.length} events`);
      assert.deepEqual(log.changes().map(revisionOf), [...written].sort((x, y) => x - y));
    });

    it('delivers only events under the watched prefix, with the previous value', async () => {
      const log = watch('/x/', await store.currentRevision());
      const a = await store.create('/x/a', bytes('1'));
      await store.create('/xy', bytes('not mine'));
      await store.update('/x/a', bytes('2'), a.modRevision);
      await store.delete('/x/a');
      await log.until(() => log.changes().length === 3, 'three events');
      const [created, updated, deleted] = log.changes();
      assert.equal(created.type, 'put');
      assert.equal(updated.type === 'put' && str(updated.prev!.value), '1');
      assert.equal(deleted.type === 'delete' && str(deleted.prev.value), '2');
    });

    it('sends progress markers so a quiet watcher learns the current revision', async () => {
      const log = watch('/quiet/', await store.currentRevision());
      const written = await store.create('/busy', bytes('1'));
      await log.until(() => log.events.some((e) => e.type === 'progress' && e.revision >= written.modRevision), 'progress');
      assert.equal(log.changes().length, 0);
    });

    it('stops delivering after the watch is aborted', async () => {
      const abort = new AbortController();
      const stopped = new EventLog();
      store.watch('/s/', { afterRevision: 0, signal: abort.signal }, stopped.onEvent, stopped.onError);
      abort.abort();
      const witness = watch('/s/', await store.currentRevision());
      await store.create('/s/a', bytes('1'));
      await witness.until(() => witness.changes().length === 1, 'the witness event');
      assert.equal(stopped.changes().length, 0);
    });

    it('gives concurrent writers distinct revisions', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.create(`/c/${i}`, bytes(String(i)))));
      assert.equal(new Set(results.map((kv) => kv.modRevision)).size, 50);
      assert.equal(await store.count('/c/'), 50);
    });

    it('fails one guarded write in a concurrent burst without failing the others', async () => {
      await store.create('/dup', bytes('first'));
      const outcomes = await Promise.allSettled([store.create('/ok1', bytes('1')), store.create('/dup', bytes('2')), store.create('/ok2', bytes('3'))]);
      assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.ok((outcomes[1] as PromiseRejectedResult).reason instanceof KeyExistsError);
    });

    it('lets exactly one of two writes from the same revision succeed, even through two handles', { skip: !options.openAnother && 'no second handle' }, async () => {
      const other = await options.openAnother!();
      try {
        // The second handle was opened before these writes: what it knew then must not matter.
        const k = await store.create('/cas/k', bytes('0'));
        const outcomes = await Promise.allSettled([store.update('/cas/k', bytes('mine'), k.modRevision), other.update('/cas/k', bytes('theirs'), k.modRevision)]);
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, `outcomes: ${JSON.stringify(outcomes.map((o) => o.status === 'rejected' ? String(o.reason) : 'ok'))}`);
        const loser = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
        assert.ok(loser.reason instanceof RevisionConflictError, `the losing write fails with a conflict, not ${loser.reason}`);
        // The other order: the second handle writes first, the first one is refused.
        const current = (await other.get('/cas/k'))!;
        const theirs = await other.update('/cas/k', bytes('theirs again'), current.modRevision);
        await assert.rejects(store.update('/cas/k', bytes('late'), current.modRevision), RevisionConflictError);
        await assert.rejects(store.delete('/cas/k', current.modRevision), RevisionConflictError);
        assert.equal(str((await store.get('/cas/k'))!.value), 'theirs again');
        // Both handles keep writing, each at a revision newer than anything written before.
        const mine = await store.update('/cas/k', bytes('mine again'), theirs.modRevision);
        assert.ok(mine.modRevision > theirs.modRevision);
        const created = await other.create('/cas/j', bytes('j'));
        assert.ok(created.modRevision > mine.modRevision);
        // Two recreations of a deleted key: one wins.
        await store.delete('/cas/j');
        const recreations = await Promise.allSettled([store.create('/cas/j', bytes('a')), other.create('/cas/j', bytes('b'))]);
        assert.deepEqual(recreations.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
        assert.ok((recreations.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason instanceof KeyExistsError);
      } finally {
        await other.close();
      }
    });

    it('reports a recreated key as new to watchers replaying history', async () => {
      const first = await store.create('/re/k', bytes('1'));
      await store.delete('/re/k');
      await store.create('/re/k', bytes('2'));
      const log = watch('/re/', first.modRevision - 1);
      await log.until(() => log.changes().length === 3, 'three events');
      const [, , recreated] = log.changes();
      assert.equal(recreated.type, 'put');
      assert.equal(recreated.type === 'put' && recreated.prev, undefined, 'a recreation has no previous value');
    });

    it('resumes a watch from an old revision after a restart: exactly the later events, then live ones', { skip: !options.reopen && 'this backend cannot be reopened' }, async () => {
      const a = await store.create('/r/a', bytes('1'));
      const acknowledged = a.modRevision;
      const later: number[] = [];
      let current = a;
      for (let i = 2; i <= 20; i++) {
        current = await store.update('/r/a', bytes(String(i)), current.modRevision);
        later.push(current.modRevision);
        await store.create(`/other/${i}`, bytes('x'));
      }
      later.push((await store.delete('/r/a')).revision);
      store = await options.reopen!(store);
      const log = watch('/r/', acknowledged);
      later.push((await store.create('/r/b', bytes('live'))).modRevision);
      await log.until(() => log.changes().length === later.length, `${later.length} events`);
      assert.deepEqual(log.changes().map(revisionOf), later);
      assert.equal(str((log.changes()[0] as { prev?: { value: Uint8Array } }).prev!.value), '1');
      assert.equal(log.error, undefined);
    });

    it('compacts history: old reads and watches expire, current data stays', async () => {
      const a = await store.create('/h/a', bytes('1'));
      const a2 = await store.update('/h/a', bytes('2'), a.modRevision);
      await store.create('/h/b', bytes('b'));
      await store.delete('/h/b');
      const current = await store.currentRevision();
      await store.compact(a2.modRevision);
      assert.equal(await store.compactedRevision(), a2.modRevision);
      await assert.rejects(store.list('/h/', { revision: a.modRevision }), ExpiredError);
      const atCompacted = await store.list('/h/', { revision: a2.modRevision });
      assert.deepEqual(atCompacted.items.map((kv) => str(kv.value)), ['2']);
      assert.deepEqual((await store.list('/h/')).items.map((kv) => kv.key), ['/h/a']);
      const expired = watch('/h/', a.modRevision);
      await expired.until(() => expired.error !== undefined, 'the expired error');
      assert.ok(expired.error instanceof ExpiredError);
      const fine = watch('/h/', a2.modRevision);
      await fine.until(() => fine.changes().length === 2, 'the events after the compaction point');
      assert.equal(revisionOf(fine.changes()[1]), current);
    });
  });
}
