/**
 * A bounded cache whose entries expire: what upstream's delegated
 * authenticator and authorizer keep their review answers in. The least
 * recently used entry goes first when the cache is full, so a flood of
 * distinct tokens or requests costs at most `capacity` entries.
 */
export class ExpiringLruCache<V> {
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least recently used.
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`cache capacity must be a positive integer, not ${capacity}`);
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Runs one lookup per key at a time: callers asking the same question while
 * it is being answered share the answer (upstream's token cache does the
 * same with a singleflight group), so a burst of scrapes sends one review.
 */
export class SharedLookups<V> {
  private readonly inFlight = new Map<string, Promise<V>>();

  run(key: string, lookup: () => Promise<V>): Promise<V> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const started = lookup().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }
}
