/**
 * Storage benchmark: the SQLite store on a temporary file (durable writes,
 * WAL + fsync per commit): sequential and concurrent create latency and
 * throughput, get and list latency, and watch delivery latency.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/storage/index.js';
import { conditions, filesystemOf, ms, percentile } from './stats.js';

const value = new TextEncoder().encode(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', data: { key: 'value'.repeat(40) } }));

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-storage-'));
  console.log(`\n## storage: SQLite, WAL, synchronous=FULL, temp file on ${filesystemOf(dir)} (${conditions()})`);
  const store = await openSqliteStore(join(dir, 'state.db'));
  try {
    // Sequential creates: each waits for its own commit (one fsync each).
    const sequential: number[] = [];
    for (let i = 0; i < 500; i++) {
      const start = process.hrtime.bigint();
      await store.create(`/registry/configmaps/seq/${i}`, value);
      sequential.push(elapsedMs(start));
    }
    console.log(`sequential create: p50 ${ms(percentile(sequential, 50))}, p99 ${ms(percentile(sequential, 99))}`);

    // Concurrent creates: 64 callers at a time share group commits.
    const total = 5000;
    const concurrency = 64;
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          await store.create(`/registry/configmaps/par/${i}`, value);
        }
      }),
    );
    const seconds = elapsedMs(started) / 1000;
    console.log(`concurrent create (${concurrency} callers): ${Math.round(total / seconds)} writes/s`);

    const gets: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const start = process.hrtime.bigint();
      await store.get(`/registry/configmaps/par/${i}`);
      gets.push(elapsedMs(start));
    }
    console.log(`get: p50 ${ms(percentile(gets, 50))}, p99 ${ms(percentile(gets, 99))}`);

    const lists: number[] = [];
    for (let i = 0; i < 30; i++) {
      const start = process.hrtime.bigint();
      await store.list('/registry/configmaps/par/', { limit: 1000 });
      lists.push(elapsedMs(start));
    }
    console.log(`list 1000 of 5000 keys: p50 ${ms(percentile(lists, 50))}, p99 ${ms(percentile(lists, 99))}`);

    // Watch delivery: from the write's acknowledgement to the watcher's callback.
    const abort = new AbortController();
    const delivered = new Map<string, bigint>();
    let wake: (() => void) | undefined;
    store.watch('/registry/watch/', { afterRevision: await store.currentRevision(), signal: abort.signal }, (event) => {
      if (event.type === 'put') {
        delivered.set(event.kv.key, process.hrtime.bigint());
        wake?.();
      }
    });
    const latencies: number[] = [];
    for (let i = 0; i < 300; i++) {
      const key = `/registry/watch/${i}`;
      const seen = new Promise<void>((resolve) => (wake = resolve));
      const start = process.hrtime.bigint();
      await store.create(key, value);
      await seen;
      latencies.push(Number(delivered.get(key)! - start) / 1e6);
    }
    abort.abort();
    console.log(`write → watch event: p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
