/**
 * The work queue between informers and a controller's workers.
 *
 * - A key waits in the queue once, however many events name it; a key being
 *   processed is not handed to a second worker — if it changes meanwhile it
 *   is queued again for when the first is done.
 * - `addRateLimited` delays a failing key exponentially (5 ms, 10 ms, … up to
 *   1000 s, stretched by up to `jitterFactor` at random); `forget` resets it
 *   after a success.
 * - `addAfter` of a key already waiting keeps the sooner of the two times
 *   (client-go's delaying queue): a retry far off never holds back a change.
 * - An overall token bucket (10 per second, bursts of 100 by default) keeps a
 *   storm of retries from flooding the apiserver.
 * - `shutDown` wakes every waiting worker with `undefined`, and drops what
 *   is still queued.
 */

/** What a queue reports to its metrics (client-go's queueMetrics): one recorder per named queue. */
export interface WorkQueueMetricsRecorder<K> {
  /** A key entered the queue (not while it already waits). */
  add(key: K): void;
  /** A worker took the key. */
  get(key: K): void;
  /** The worker is done with the key. */
  done(key: K): void;
  /** A delayed add (`addAfter`, `addRateLimited`). */
  retry(): void;
  /** The queue stopped: what was still queued is dropped. */
  shutDown(): void;
}

/** Makes the recorder of a named queue (client-go's MetricsProvider); see src/client/metrics/. */
export interface WorkQueueMetricsProvider {
  forQueue<K>(name: string): WorkQueueMetricsRecorder<K>;
}

export interface WorkQueueOptions {
  /** The queue's name in metrics (upstream names a controller's queue after the controller, e.g. `replicaset`). */
  name?: string;
  /** Where the queue reports depth, latencies and retries; only a named queue reports. */
  metrics?: WorkQueueMetricsProvider;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall retry rate: tokens per second and bucket size. */
  qps?: number;
  burst?: number;
  /** Each backoff is stretched by up to this fraction at random (0: none), so many keys failing together do not retry together. */
  jitterFactor?: number;
}

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  /** Keys waiting to be processed (in `queue` or to be re-queued when done). */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly failures = new Map<K, number>();
  private readonly timers = new Map<K, { timer: NodeJS.Timeout; at: number }>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private shuttingDown = false;
  private tokens: number;
  private lastRefill = Date.now();
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly qps: number;
  private readonly burst: number;
  private readonly jitterFactor: number;
  private readonly metrics: WorkQueueMetricsRecorder<K> | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 1_000_000;
    this.qps = options.qps ?? 10;
    this.burst = options.burst ?? 100;
    this.jitterFactor = options.jitterFactor ?? 0;
    this.tokens = this.burst;
    this.metrics = options.name && options.metrics ? options.metrics.forQueue<K>(options.name) : undefined;
  }

  get length(): number {
    return this.queue.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics?.add(key);
    this.enqueue(key);
  }

  /** Marks the key waiting and hands it to a waiting worker or the queue; a key being processed waits for done(). */
  private enqueue(key: K): void {
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued by done()
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      this.metrics?.get(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Adds the key after a delay; when it already waits for a time, the sooner of the two holds. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    // client-go counts every delayed add as a retry, a requeue-after included.
    this.metrics?.retry();
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { timer, at });
  }

  /** Adds the key after its backoff, which doubles with every consecutive failure. */
  addRateLimited(key: K): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** failures);
    const itemDelay = backoff * (1 + Math.random() * this.jitterFactor);
    this.addAfter(key, Math.max(itemDelay, this.bucketDelay()));
  }

  /** How often the key has failed in a row. */
  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Clears the key's failure count (after a success). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /**
   * The next key, waiting if none; undefined once shut down — at once, even
   * with keys still queued: stopping must be prompt, and whoever runs next
   * rebuilds the queue from its informers anyway (level-triggered).
   */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      this.metrics?.get(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks a key processed; if it was added meanwhile, it goes back into the queue. */
  done(key: K): void {
    this.metrics?.done(key);
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      // Counted when it was added during processing: back in the queue, not a new add.
      if (!this.shuttingDown) this.enqueue(key);
    }
  }

  shutDown(): void {
    if (!this.shuttingDown) this.metrics?.shutDown();
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  /** Token bucket: the delay before the next retry token is available. */
  private bucketDelay(): number {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.qps);
    this.lastRefill = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }
}
