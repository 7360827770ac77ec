/** Waiting on conditions with a deadline: tests never sleep to synchronise. */
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs?: number;
  /** Said in the error when the deadline passes: what was being waited for. */
  message: string;
  intervalMs?: number;
}

/**
 * Polls `condition` until it returns a truthy value (which is returned) or the
 * deadline passes. The last error or value is in the timeout message, so a
 * failure says what the cluster looked like.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitOptions): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${options.timeoutMs ?? 20_000} ms waiting for ${options.message} (last: ${detail})`);
    }
    await delay(options.intervalMs ?? 100);
  }
}

/** Collects a stream's text and resolves waiters as soon as a line they want arrives. */
export class LineCollector {
  readonly lines: string[] = [];
  private partial = '';
  private waiters: { test: (line: string) => boolean; from: number; resolve: (line: string) => void }[] = [];
  private ended = false;
  private endWaiters: ((lines: string[]) => void)[] = [];

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.addLine(line.replace(/\r$/, ''));
  }

  end(): void {
    if (this.partial) this.addLine(this.partial);
    this.partial = '';
    this.ended = true;
    for (const resolve of this.endWaiters.splice(0)) resolve(this.lines);
  }

  get text(): string {
    return this.lines.join('\n') + (this.partial ? `\n${this.partial}` : '');
  }

  /**
   * The first line at index >= `from` that matches. `from` lets a test wait for
   * the next event rather than one it has already seen.
   */
  waitForLine(pattern: RegExp | string, options: { from?: number; timeoutMs?: number; message?: string } = {}): Promise<string> {
    const test = (line: string) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line));
    const from = options.from ?? 0;
    const seen = this.lines.slice(from).find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    const timeoutMs = options.timeoutMs ?? 20_000;
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        from,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a line matching ${String(pattern)}${options.message ? ` (${options.message})` : ''}; lines so far:\n${this.text}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  waitForEnd(): Promise<string[]> {
    if (this.ended) return Promise.resolve(this.lines);
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  private addLine(line: string): void {
    this.lines.push(line);
    const index = this.lines.length - 1;
    for (const waiter of [...this.waiters]) {
      if (index >= waiter.from && waiter.test(line)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(line);
      }
    }
  }
}
