import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../contract.js';
import { openSqliteStore } from './store.js';
import type { Store } from '../interface.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

storeContract('sqlite in memory', () => openSqliteStore(':memory:'));
const paths = new WeakMap<Store, string>();
const openOnDisk = async (path: string) => {
  const store = await openSqliteStore(path);
  paths.set(store, path);
  return store;
};
storeContract('sqlite on disk', () => openOnDisk(join(dir, `contract-${files++}`, 'state.db')), {
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
