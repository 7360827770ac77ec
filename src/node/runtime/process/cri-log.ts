/**
 * Container logs in the CRI format the kubelet reads and `kubectl logs`
 * shows: one line per output line, `<RFC3339Nano> <stdout|stderr> F <text>`,
 * in files rotated by size.
 */
import { closeSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** One CRI log line: time, stream, full-line tag, text. */
export function criLine(stream: 'stdout' | 'stderr', line: string): string {
  const now = new Date();
  const nanos = String(now.getMilliseconds() * 1_000_000).padStart(9, '0');
  return `${now.toISOString().replace(/\.\d{3}Z$/, `.${nanos}Z`)} ${stream} F ${line}\n`;
}

/**
 * A log file that is rotated when it grows past a size: the full file is
 * renamed `<name>.<timestamp>` (readers following it start over on the new,
 * smaller file), and only the newest rotated files are kept. Writes are
 * synchronous: lines land in order and a rotation never races a write.
 */
export class RotatingLog {
  private fd: number;
  private size = 0;
  private rotations = 0;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
  ) {
    this.fd = openSync(path, 'a');
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    writeSync(this.fd, line);
    this.size += bytes;
  }

  private rotate(): void {
    closeSync(this.fd);
    // A timestamp and a counter: names sort by age even within one millisecond.
    renameSync(this.path, `${this.path}.${Date.now()}-${String(this.rotations++).padStart(6, '0')}`);
    const dir = dirname(this.path);
    const prefix = `${basename(this.path)}.`;
    const rotated = readdirSync(dir).filter((f) => f.startsWith(prefix)).sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - (this.maxFiles - 1)))) unlinkSync(join(dir, old));
    this.fd = openSync(this.path, 'a');
    this.size = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Splits a stream's chunks into lines for the log; a trailing partial line waits for its end. */
export class LineSplitter {
  private buffered = '';
  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: string): void {
    this.buffered += chunk;
    const lines = this.buffered.split('\n');
    this.buffered = lines.pop() ?? '';
    for (const line of lines) this.emit(line);
  }

  flush(): void {
    if (this.buffered) this.emit(this.buffered);
    this.buffered = '';
  }
}
