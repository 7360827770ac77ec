/**
 * Reads of API objects that several callers share: whoever asks for an
 * object while a read of it is under way joins that read, and gets an
 * answer from a read that started at most one round trip before it asked.
 * With a reuse window, an answer also serves the callers of the next
 * `reuseMs` milliseconds; a failed read is never kept. Callers share the
 * object they get and must not change it.
 *
 * The agent shares reads under way across pods (a burst of pods of one
 * namespace all mount its kube-root-ca.crt, and would otherwise read it at
 * the same moment); a pod's volumes also reuse answers for a few seconds,
 * since a starting pod syncs several times within one.
 */
export class SharedReads<T> {
  private readonly reads = new Map<string, { read: Promise<T>; answeredAt?: number }>();

  constructor(
    private readonly reuseMs = 0,
    private readonly now: () => number = Date.now,
  ) {}

  read(key: string, start: () => Promise<T>): Promise<T> {
    const known = this.reads.get(key);
    if (known && (known.answeredAt === undefined || this.now() - known.answeredAt < this.reuseMs)) return known.read;
    const entry: { read: Promise<T>; answeredAt?: number } = { read: start() };
    this.reads.set(key, entry);
    const forget = () => {
      if (this.reads.get(key) === entry) this.reads.delete(key);
    };
    entry.read.then(() => {
      if (this.reuseMs > 0) entry.answeredAt = this.now();
      else forget();
    }, forget);
    return entry.read;
  }
}
