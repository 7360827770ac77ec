/**
 * A log kept on disk within a bound (containerd's output, skiff's own log): the current file up to
 * `maxBytes`, then it becomes `<file>.1` (replacing the one before) and a
 * new one starts — at most twice the bound in all, however long it runs.
 * The last lines are kept in memory too, for the error when containerd
 * ends before it answers.
 */
import { closeSync, openSync, renameSync, statSync, writeSync } from 'node:fs';

export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
const TAIL_BYTES = 4096;

export class RotatingLogFile {
  private fd: number | undefined;
  private size = 0;
  private tailText = '';
  private failure: string | undefined;

  constructor(
    readonly path: string,
    private readonly maxBytes: number = DEFAULT_LOG_MAX_BYTES,
  ) {}

  /** Appends a chunk of output; a failing disk is reported once (failure()) and the output dropped, never thrown. */
  write(chunk: Buffer): void {
    this.tailText = (this.tailText + chunk.toString('utf8')).slice(-TAIL_BYTES);
    try {
      if (this.fd === undefined) this.open();
      if (this.size > 0 && this.size + chunk.length > this.maxBytes) this.rotate();
      let written = 0;
      while (written < chunk.length) written += writeSync(this.fd!, chunk, written);
      this.size += chunk.length;
    } catch (err) {
      this.failure ??= `${this.path}: ${(err as Error).message}`;
    }
  }

  /** The last lines written (up to 4 KiB). */
  tail(lines = 10): string {
    return this.tailText.split('\n').filter(Boolean).slice(-lines).join('\n');
  }

  /** The first write error, if any. */
  failed(): string | undefined {
    return this.failure;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = statSync(this.path).size;
  }

  private rotate(): void {
    this.close();
    renameSync(this.path, `${this.path}.1`);
    this.open();
  }
}
