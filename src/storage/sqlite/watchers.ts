/**
 * Fan-out of committed changes to in-process watchers.
 *
 * Each watcher has its own queue drained on a microtask, so delivery is
 * asynchronous to the writer: a slow or throwing watcher can never fail or
 * delay a write, and every watcher still sees events strictly in revision
 * order. After each commit every watcher also gets a `progress` event with
 * the new revision, so a watcher of a quiet prefix still learns how far the
 * store has moved (the apiserver's watch cache relies on this to serve
 * consistent reads from memory).
 */
import type { WatchEvent } from '../interface.js';

export class Watcher {
  private queue: WatchEvent[] = [];
  private scheduled = false;
  /** While history is being replayed, live events wait here (they all come after it). */
  private held: WatchEvent[] | undefined;
  closed = false;

  constructor(
    readonly prefix: string,
    private readonly onEvent: (event: WatchEvent) => void,
  ) {}

  matches(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  /** Live events wait until `release()`; `replay()` delivers history meanwhile. */
  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) this.push(event);
  }

  push(event: WatchEvent): void {
    if (this.held) {
      if (!this.closed) this.held.push(event);
      return;
    }
    this.replay(event);
  }

  /** Queues an event even while live ones are held (history being replayed). */
  replay(event: WatchEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    const events = this.queue;
    this.queue = [];
    for (const event of events) {
      if (this.closed) return;
      try {
        this.onEvent(event);
      } catch {
        // A watcher's own failure is its business; the store carries on.
      }
    }
  }
}

export class WatcherSet {
  private readonly watchers = new Set<Watcher>();

  add(watcher: Watcher, signal: AbortSignal): void {
    if (signal.aborted) {
      watcher.closed = true;
      return;
    }
    this.watchers.add(watcher);
    signal.addEventListener(
      'abort',
      () => {
        watcher.closed = true;
        this.watchers.delete(watcher);
      },
      { once: true },
    );
  }

  /** Delivers one commit's events, then the progress marker, to every watcher. */
  publish(events: WatchEvent[], revision: number): void {
    for (const watcher of this.watchers) {
      for (const event of events) {
        const key = event.type === 'put' ? event.kv.key : event.type === 'delete' ? event.key : undefined;
        if (key !== undefined && watcher.matches(key)) watcher.push(event);
      }
      watcher.push({ type: 'progress', revision });
    }
  }

  closeAll(): void {
    for (const watcher of this.watchers) watcher.closed = true;
    this.watchers.clear();
  }
}
