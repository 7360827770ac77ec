import { it } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../storage/index.js';
import { Compactor } from './compactor.js';

it('compacts to the revision seen one tick earlier', async () => {
  const store = await openSqliteStore(':memory:');
  const compactor = new Compactor(store, 60_000);
  const value = new TextEncoder().encode('v');
  const first = await store.create('/a', value);
  await compactor.tick(); // remembers `first`, compacts nothing yet
  assert.equal(await store.compactedRevision(), 0);
  await store.update('/a', value, first.modRevision);
  await compactor.tick();
  assert.equal(await store.compactedRevision(), first.modRevision);
  await store.close();
});
