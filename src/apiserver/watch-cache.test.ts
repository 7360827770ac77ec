/**
 * The watch cache's window: bounded by bytes as well as by events, and a
 * subscription from before the window (after a restart, or past a window that
 * big objects pushed forward) gets exactly the events after its revision, read
 * from the store's history, then the live ones.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../storage/index.js';
import type { Store } from '../storage/interface.js';
import { StatusError } from '../machinery/status.js';
import { WatchCache, type CacheEvent } from './watch-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-watch-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const prefix = '/registry/configmaps/';
const encode = (object: unknown) => new TextEncoder().encode(JSON.stringify(object));
const configMap = (name: string, value: string) => encode({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { value } });

/** Collects a subscription's events; `until` waits, with a deadline, for a condition. */
class Received {
  readonly events: CacheEvent[] = [];
  error: StatusError | undefined;
  private wake: (() => void) | undefined;
  readonly listener = (event: CacheEvent): void => {
    this.events.push(event);
    this.wake?.();
  };
  readonly onError = (err: StatusError): void => {
    this.error = err;
    this.wake?.();
  };
  async until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${this.events.length} events`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }
  revisions(): number[] {
    return this.events.map((e) => e.revision);
  }
}

async function updateRepeatedly(store: Store, name: string, times: number, size: number): Promise<number[]> {
  const key = `${prefix}default/${name}`;
  let kv = await store.create(key, configMap(name, 'x'.repeat(size)));
  const revisions = [kv.modRevision];
  for (let i = 1; i < times; i++) {
    kv = await store.update(key, configMap(name, String(i % 10).repeat(size)), kv.modRevision);
    revisions.push(kv.modRevision);
  }
  return revisions;
}

describe('watch cache window', () => {
  test('is bounded by bytes as well as by events; older revisions are served from the store, in order and exactly once', async () => {
    const store = await openSqliteStore(':memory:');
    const cache = new WatchCache(store, prefix, { events: 10_000, bytes: 100 * 1024 });
    await cache.start();
    const before = cache.revision;
    const revisions = await updateRepeatedly(store, 'big', 50, 10 * 1024);
    await cache.sync();
    const window = cache.historyStats();
    assert.ok(window.bytes <= 100 * 1024, `window holds ${window.bytes} bytes`);
    assert.ok(window.events < 50, `window holds ${window.events} events`);
    assert.ok(window.oldestKnownRevision > before, 'the window moved past the first updates');

    const received = new Received();
    const subscription = await cache.subscribe(before, received.listener, received.onError);
    // A live write while the store's history is being read: it must come once, after the others.
    const kv = await store.get(`${prefix}default/big`);
    const live = await store.update(`${prefix}default/big`, configMap('big', 'live'), kv!.modRevision);
    await received.until(() => received.events.length >= 51, 'the 50 past events and the live one');
    assert.deepEqual(received.revisions(), [...revisions, live.modRevision]);
    assert.deepEqual(received.events.slice(0, 3).map((e) => e.type), ['ADDED', 'MODIFIED', 'MODIFIED']);
    assert.equal(received.events[1].previous?.revision, revisions[0], 'a MODIFIED event from the store carries the previous object');
    assert.ok(subscription.live());
    assert.equal(received.error, undefined);
    subscription.unsubscribe();
    cache.stop();
    await store.close();
  });

  test('after a restart, a watch from a revision acknowledged before it resumes from the store; compacted ones get 410', async () => {
    const path = join(dir, 'restart', 'state.db');
    const first = await openSqliteStore(path);
    const a = await first.create(`${prefix}default/a`, configMap('a', '1'));
    const acknowledged = a.modRevision;
    const a2 = await first.update(`${prefix}default/a`, configMap('a', '2'), a.modRevision);
    await first.create('/registry/secrets/default/s', configMap('s', 'not a configmap'));
    const deleted = await first.delete(`${prefix}default/a`);
    await first.close();

    const store = await openSqliteStore(path);
    const cache = new WatchCache(store, prefix);
    await cache.start();
    assert.deepEqual(cache.historyStats().events, 3, 'the window is primed from the store: the three configmap events');
    assert.ok(cache.historyStats().oldestKnownRevision < acknowledged);
    const received = new Received();
    const subscription = await cache.subscribe(acknowledged, received.listener, received.onError);
    const b = await store.create(`${prefix}default/b`, configMap('b', '1'));
    await received.until(() => received.events.length >= 3, 'two past events and a live one');
    assert.deepEqual(
      received.events.map((e) => [e.type, e.revision]),
      [
        ['MODIFIED', a2.modRevision],
        ['DELETED', deleted.revision],
        ['ADDED', b.modRevision],
      ],
    );
    assert.equal((received.events[1].current.object.data as { value: string }).value, '2', 'a deletion carries the last state');
    subscription.unsubscribe();

    cache.stop();

    // Another restart after a compaction: the window starts at the compacted revision.
    await store.compact(a2.modRevision);
    const compactedCache = new WatchCache(store, prefix);
    await compactedCache.start();
    await assert.rejects(compactedCache.subscribe(acknowledged, () => {}), (err: StatusError) => err.status.code === 410 && err.status.reason === 'Expired');
    // The compacted revision itself is still a valid starting point.
    const fromCompacted = new Received();
    const resumed = await compactedCache.subscribe(a2.modRevision, fromCompacted.listener);
    await fromCompacted.until(() => fromCompacted.events.length >= 2, 'the deletion and the later create');
    assert.deepEqual(fromCompacted.revisions(), [deleted.revision, b.modRevision]);
    resumed.unsubscribe();
    compactedCache.stop();
    await store.close();
  });
});
