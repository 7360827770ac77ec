import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExpiringLruCache, SharedLookups } from './expiring-lru.js';

describe('ExpiringLruCache', () => {
  it('forgets an entry when its time is up', () => {
    let now = 1_000;
    const cache = new ExpiringLruCache<string>(4, () => now);
    cache.set('a', 'x', 100);
    now += 99;
    assert.equal(cache.get('a'), 'x');
    now += 1;
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.size, 0);
  });

  it('keeps at most its capacity, dropping the least recently used first', () => {
    const cache = new ExpiringLruCache<number>(2, () => 0);
    cache.set('a', 1, 10);
    cache.set('b', 2, 10);
    assert.equal(cache.get('a'), 1); // b is now the least recently used
    cache.set('c', 3, 10);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
  });

  it('keeps nothing for a time of zero, and refuses a capacity that is not a positive integer', () => {
    const cache = new ExpiringLruCache<number>(1, () => 0);
    cache.set('a', 1, 0);
    assert.equal(cache.size, 0);
    assert.throws(() => new ExpiringLruCache(0), /positive integer/);
  });
});

describe('SharedLookups', () => {
  it('runs one lookup for callers asking the same key at once, and a new one afterwards', async () => {
    const lookups = new SharedLookups<number>();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const lookup = async () => {
      runs++;
      await gate;
      return runs;
    };
    const both = Promise.all([lookups.run('k', lookup), lookups.run('k', lookup)]);
    release();
    assert.deepEqual(await both, [1, 1]);
    assert.equal(await lookups.run('k', lookup), 2);
  });
});
