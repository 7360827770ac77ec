/**
 * Periodic compaction of the store's history, as kube-apiserver does every
 * five minutes: at each tick, compact up to the revision that was current at
 * the previous tick. History is therefore kept for at least one interval, so
 * watchers that fall behind by less than that can resume from their
 * resourceVersion; older ones get 410 Gone and relist, as with upstream.
 */
import type { Store } from '../storage/interface.js';

export class Compactor {
  private timer: NodeJS.Timeout | undefined;
  private previousRevision = 0;

  constructor(
    private readonly store: Store,
    private readonly intervalMs = 5 * 60_000,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  start(): void {
    if (this.timer) return;
    void this.store.currentRevision().then((revision) => (this.previousRevision = revision));
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    // Compaction alone must not keep the process alive.
    this.timer.unref();
  }

  /** One compaction step; exposed for tests. */
  async tick(): Promise<void> {
    try {
      const target = this.previousRevision;
      this.previousRevision = await this.store.currentRevision();
      if (target > (await this.store.compactedRevision())) await this.store.compact(target);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
