/**
 * A log file that rotates by size, as the lumberjack logger behind
 * kube-apiserver's --audit-log-path: before a write would take the file past
 * --audit-log-maxsize megabytes (0: 100), it is renamed to
 * `<name>-<UTC time>.<ext>` (`audit-2026-12-05T22-01-02.123.log`) and a new
 * one is started; then, in the background, backups past
 * --audit-log-maxbackup (0: keep all) or older than --audit-log-maxage days
 * (by the time in their name; 0: keep all) are removed, and the rest
 * gzipped when --audit-log-compress is set.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface RotatingFileOptions {
  path: string;
  /** Megabytes before rotation; 0 means lumberjack's default of 100. */
  maxSizeMB?: number;
  /** Backups kept; 0 keeps all. */
  maxBackups?: number;
  /** Days a backup is kept; 0 keeps all. */
  maxAgeDays?: number;
  compress?: boolean;
  /** The clock for backup names and ages (tests). */
  now?: () => Date;
}

const megabyte = 1024 * 1024;
const defaultMaxSizeMB = 100;
const compressSuffix = '.gz';
const dayMillis = 24 * 60 * 60 * 1000;

/** lumberjack's backup time format, 2006-01-02T15-04-05.000, in UTC. */
export function backupTimestamp(date: Date): string {
  return date.toISOString().slice(0, 23).replace(/:/g, '-');
}

function parseBackupTimestamp(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match.map(Number);
  const time = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  return Number.isNaN(time) ? undefined : time;
}

export class RotatingFile {
  private file: FileHandle | undefined;
  private size = 0;
  private millRunning: Promise<void> | undefined;
  private millAgain = false;
  private readonly now: () => Date;

  constructor(private readonly options: RotatingFileOptions) {
    this.now = options.now ?? (() => new Date());
  }

  get maxBytes(): number {
    return (this.options.maxSizeMB || defaultMaxSizeMB) * megabyte;
  }

  /**
   * Writes chunks (one log line each) in order. A chunk never straddles a
   * rotation. Answers per chunk: undefined when written, else the error (a
   * chunk larger than the maximum size; a failed write fails the rest).
   */
  async writeChunks(chunks: Buffer[]): Promise<(Error | undefined)[]> {
    const results: (Error | undefined)[] = new Array(chunks.length).fill(undefined);
    const max = this.maxBytes;
    let index = 0;
    try {
      while (index < chunks.length) {
        if (chunks[index].length > max) {
          results[index] = new Error(`write length ${chunks[index].length} exceeds maximum file size ${max}`);
          index++;
          continue;
        }
        if (!this.file) await this.openExistingOrNew(chunks[index].length);
        if (this.size + chunks[index].length > max) await this.rotate();
        // As many following lines as fit before the next rotation, in one write.
        let end = index;
        let bytes = 0;
        while (end < chunks.length && chunks[end].length <= max && this.size + bytes + chunks[end].length <= max) bytes += chunks[end++].length;
        await this.writeAll(Buffer.concat(chunks.slice(index, end), bytes));
        this.size += bytes;
        index = end;
      }
    } catch (err) {
      // The file is reopened at the next write; every line not yet written failed.
      await this.closeFile().catch(() => {});
      for (let i = index; i < chunks.length; i++) results[i] ??= err as Error;
    }
    return results;
  }

  private async writeAll(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.file!.write(data, offset, data.length - offset);
      if (bytesWritten <= 0) throw new Error('short write to audit log');
      offset += bytesWritten;
    }
  }

  private async openExistingOrNew(writeLength: number): Promise<void> {
    this.mill();
    let existing;
    try {
      existing = await stat(this.options.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.openNew();
      throw new Error(`error getting log file info: ${(err as Error).message}`);
    }
    if (existing.size + writeLength >= this.maxBytes) return this.rotate();
    try {
      this.file = await open(this.options.path, 'a');
      this.size = existing.size;
    } catch {
      await this.openNew();
    }
  }

  private async openNew(): Promise<void> {
    const path = this.options.path;
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    } catch (err) {
      throw new Error(`can't make directories for new logfile: ${(err as Error).message}`);
    }
    let mode = 0o600;
    try {
      const existing = await stat(path);
      mode = existing.mode & 0o777;
      const ext = extname(path);
      const backup = join(dirname(path), `${basename(path, ext)}-${backupTimestamp(this.now())}${ext}`);
      await rename(path, backup).catch((err: Error) => {
        throw new Error(`can't rename log file: ${err.message}`);
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      this.file = await open(path, 'w', mode);
    } catch (err) {
      throw new Error(`can't open new logfile: ${(err as Error).message}`);
    }
    this.size = 0;
  }

  /** Closes the current file, renames it to a backup and starts a new one. */
  async rotate(): Promise<void> {
    await this.closeFile();
    await this.openNew();
    this.mill();
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }

  /** Starts a cleanup unless one runs; one that runs runs once more (lumberjack's mill channel). */
  private mill(): void {
    const { maxBackups = 0, maxAgeDays = 0, compress = false } = this.options;
    if (maxBackups === 0 && maxAgeDays === 0 && !compress) return;
    if (this.millRunning) {
      this.millAgain = true;
      return;
    }
    this.millRunning = (async () => {
      do {
        this.millAgain = false;
        await this.millOnce().catch(() => {});
      } while (this.millAgain);
      this.millRunning = undefined;
    })();
  }

  /** Backups of this log, newest first. */
  async backups(): Promise<{ name: string; time: number }[]> {
    const dir = dirname(this.options.path);
    const ext = extname(this.options.path);
    const prefix = `${basename(this.options.path, ext)}-`;
    const found: { name: string; time: number }[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.startsWith(prefix)) continue;
      for (const suffix of [ext, ext + compressSuffix]) {
        if (!entry.name.endsWith(suffix)) continue;
        const time = parseBackupTimestamp(entry.name.slice(prefix.length, entry.name.length - suffix.length));
        if (time !== undefined) {
          found.push({ name: entry.name, time });
          break;
        }
      }
    }
    return found.sort((a, b) => b.time - a.time);
  }

  private async millOnce(): Promise<void> {
    const { maxBackups = 0, maxAgeDays = 0, compress = false } = this.options;
    const dir = dirname(this.options.path);
    let files = await this.backups();
    const remove: string[] = [];
    if (maxBackups > 0 && maxBackups < files.length) {
      // A backup and its gzipped copy count once.
      const preserved = new Set<string>();
      const remaining: typeof files = [];
      for (const file of files) {
        preserved.add(file.name.endsWith(compressSuffix) ? file.name.slice(0, -compressSuffix.length) : file.name);
        if (preserved.size > maxBackups) remove.push(file.name);
        else remaining.push(file);
      }
      files = remaining;
    }
    if (maxAgeDays > 0) {
      const cutoff = this.now().getTime() - maxAgeDays * dayMillis;
      for (const file of files) if (file.time < cutoff) remove.push(file.name);
      files = files.filter((file) => file.time >= cutoff);
    }
    for (const name of remove) await unlink(join(dir, name)).catch(() => {});
    if (compress) {
      for (const file of files) if (!file.name.endsWith(compressSuffix)) await compressFile(join(dir, file.name));
    }
  }

  /** Closes the file once background cleanup has finished. */
  async close(): Promise<void> {
    await this.closeFile();
    while (this.millRunning) await this.millRunning;
  }
}

async function compressFile(source: string): Promise<void> {
  const target = source + compressSuffix;
  const { mode } = await stat(source);
  try {
    await pipeline(createReadStream(source), createGzip(), createWriteStream(target, { mode: mode & 0o777 }));
    await unlink(source);
  } catch (err) {
    await unlink(target).catch(() => {});
    throw new Error(`failed to compress log file: ${(err as Error).message}`);
  }
}
