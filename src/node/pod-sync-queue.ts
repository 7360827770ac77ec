/**
 * When the node agent syncs its pods — the kubelet's pod workers'
 * schedule, on the client's rate-limited work queue (one key per pod):
 *
 *   - a change (a newer pod, a container event, a probe) syncs the pod at
 *     once; one pod is never synced twice at once, and changes during a
 *     sync give exactly one more;
 *   - a failed sync is retried with the pod's own exponential backoff
 *     (1 s doubling to 1 min, each up to 50 % longer at random), without
 *     waiting for another change;
 *   - a pod synced successfully is synced again about every minute (60 s
 *     plus up to 50 %), the kubelet's resync, so drift nobody announced
 *     (a status write lost, a process gone quietly) is found;
 *   - `requestAfter` wakes a pod at a time of its own (CrashLoopBackOff);
 *     the sooner of two waits holds.
 *
 * Different pods sync in parallel: the queue hands out keys to as many
 * syncs as there are pods ready.
 */
import { WorkQueue, type WorkQueueOptions } from '../client/index.js';

/** What the queue syncs: a pod's worker (or another piece of the agent's state-writing work). */
export interface PodSyncTarget {
  /** How it is named in the log. */
  readonly podKey: string;
  /** Nothing to do any more (the agent stops, the pod is torn down): no sync, no retry. */
  readonly stopped: boolean;
  /** Done for good (a finished pod): no periodic resync, though a change still syncs it. */
  readonly settled?: boolean;
  sync(): Promise<void>;
}

export interface PodSyncQueueOptions {
  /** The periodic resync of a pod that synced fine (default 60 s, stretched by up to 50 %); 0: none. */
  resyncMs?: number;
  /** The backoff of failed syncs (default 1 s doubling to 1 min, 50 % jitter). */
  backoff?: WorkQueueOptions;
  log?: (event: Record<string, unknown>) => void;
}

export const podSyncBackoff: WorkQueueOptions = { baseDelayMs: 1000, maxDelayMs: 60_000, jitterFactor: 0.5 };

export class PodSyncQueue {
  private readonly queue: WorkQueue<PodSyncTarget>;
  private looping = false;
  /** Targets asked for and not yet handed out. */
  private readonly waiting = new Set<PodSyncTarget>();
  private readonly running = new Set<PodSyncTarget>();
  private readonly idlers = new Map<PodSyncTarget, (() => void)[]>();
  private readonly resyncMs: number;

  constructor(private readonly options: PodSyncQueueOptions = {}) {
    this.queue = new WorkQueue<PodSyncTarget>(options.backoff ?? podSyncBackoff);
    this.resyncMs = options.resyncMs ?? 60_000;
  }

  /** Syncs the target as soon as it is not syncing. */
  request(target: PodSyncTarget): void {
    if (this.queue.isShuttingDown) return;
    this.waiting.add(target);
    this.queue.add(target);
    this.loop();
  }

  /** Syncs the target after a delay (or sooner, if something else asks). */
  requestAfter(target: PodSyncTarget, delayMs: number): void {
    this.queue.addAfter(target, delayMs);
    this.loop();
  }

  /** How often the target's sync has failed in a row. */
  failures(target: PodSyncTarget): number {
    return this.queue.retries(target);
  }

  /** Resolves once the target is neither waiting nor syncing (delayed wakes do not count). */
  idle(target: PodSyncTarget): Promise<void> {
    if (!this.waiting.has(target) && !this.running.has(target)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.idlers.get(target) ?? [];
      list.push(resolve);
      this.idlers.set(target, list);
    });
  }

  /** No more syncs; whoever waits for one is let go. */
  shutDown(): void {
    this.queue.shutDown();
    this.waiting.clear();
    for (const resolvers of this.idlers.values()) for (const resolve of resolvers) resolve();
    this.idlers.clear();
  }

  /** Hands every ready target to a sync of its own. */
  private loop(): void {
    if (this.looping || this.queue.isShuttingDown) return;
    this.looping = true;
    void (async () => {
      for (;;) {
        const target = await this.queue.get();
        if (target === undefined) return;
        this.waiting.delete(target);
        this.running.add(target);
        void this.process(target);
      }
    })();
  }

  private async process(target: PodSyncTarget): Promise<void> {
    try {
      if (target.stopped) {
        this.queue.forget(target);
        return;
      }
      await target.sync();
      this.queue.forget(target);
      if (this.resyncMs > 0 && !target.settled && !target.stopped) this.queue.addAfter(target, this.resyncMs * (1 + Math.random() * 0.5));
    } catch (err) {
      this.options.log?.({ msg: 'pod sync failed', pod: target.podKey, retries: this.queue.retries(target), error: (err as Error).message });
      if (!target.stopped) this.queue.addRateLimited(target);
    } finally {
      this.running.delete(target);
      this.queue.done(target);
      if (!this.waiting.has(target) && !this.running.has(target)) {
        for (const resolve of this.idlers.get(target) ?? []) resolve();
        this.idlers.delete(target);
      }
    }
  }
}
