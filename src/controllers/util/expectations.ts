/**
 * Expectations: what a controller has asked the apiserver to create or
 * delete and not yet seen in its informer. The cache lags behind the
 * controller's own writes; without this, a reconcile that runs before the
 * new pods reach the cache would create them a second time. A controller
 * records "expect N creations" before writing, informer events count them
 * down, and the controller only manages the object again once they are all
 * seen (or after a timeout, in case an event was lost).
 */

interface Expectation {
  adds: number;
  deletes: number;
  setAt: number;
}

export class Expectations {
  private readonly byKey = new Map<string, Expectation>();

  constructor(
    private readonly timeoutMs = 5 * 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  expect(key: string, adds: number, deletes: number): void {
    this.byKey.set(key, { adds, deletes, setAt: this.clock() });
  }

  observedAdd(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.adds--;
  }

  observedDelete(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.deletes--;
  }

  /** A creation or deletion that will never be seen (the write failed). */
  lowerAdds(key: string, by = 1): void {
    const e = this.byKey.get(key);
    if (e) e.adds -= by;
  }

  lowerDeletes(key: string, by = 1): void {
    const e = this.byKey.get(key);
    if (e) e.deletes -= by;
  }

  /** True when nothing is outstanding (or it is too old to wait for). */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    return (e.adds <= 0 && e.deletes <= 0) || this.clock() - e.setAt > this.timeoutMs;
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }
}
