/**
 * Virtual time for tests of the scraper: timers fire only when a test
 * advances the clock, in order, with pending promise callbacks settled
 * between them — no real waiting anywhere.
 */
import type { Scheduler } from './service.js';

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

/** Lets every callback already queued (promise reactions, immediates) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeScheduler implements Scheduler {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(private nowMs = Date.parse('2026-03-01T10:00:00Z')) {}

  now(): number {
    return this.nowMs;
  }

  after(ms: number, callback: () => void): () => void {
    const timer = { at: this.nowMs + Math.max(0, ms), seq: this.seq++, callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers not yet fired. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves the clock `ms` on, firing each timer due on the way at its own time. */
  async advance(ms: number): Promise<void> {
    const until = this.nowMs + ms;
    await settle();
    for (;;) {
      const next = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.nowMs = next.at;
      next.callback();
      await settle();
    }
    this.nowMs = until;
  }

  /** Advances the clock in `stepMs` steps until `promise` settles (at most `limitMs`); its result. */
  async run<T>(promise: Promise<T>, stepMs = 100, limitMs = 600_000): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    for (let spent = 0; !done; spent += stepMs) {
      await settle();
      if (done) break;
      if (spent >= limitMs) throw new Error(`not settled after ${limitMs} ms of virtual time`);
      await this.advance(stepMs);
    }
    return watched;
  }
}
