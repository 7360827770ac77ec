/**
 * The audit log backend (--audit-log-path): each event becomes one line
 * (json or legacy) in a size-rotated file, or on standard output for `-`.
 *
 * Modes, as upstream's --audit-log-mode (the log backend's default is
 * `blocking`):
 * - `blocking`: the request waits until its event is written, and is served
 *   even if writing failed (the failure is logged and counted);
 * - `blocking-strict`: the same, but a RequestReceived event that cannot be
 *   stored fails the request (processEvents answers false);
 * - `batch`: events are queued and the request goes on at once.
 *
 * Unlike Go's blocking write, waiting here never stalls the event loop: the
 * line is serialized at once (so later changes to the event do not show),
 * queued, and written by one asynchronous writer, many lines per write.
 * The queue is bounded by events (--audit-log-batch-buffer-size, 10000) and
 * by bytes; an event that does not fit is dropped, logged and counted (what
 * upstream's buffered backend does when its buffer is full), whatever the
 * mode, so a stalled disk costs bounded memory. close() writes what is
 * queued, then closes the file.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { silentLogger, type Logger } from '../../util/log.js';
import type { AuditEvent } from './event.js';
import { eventString, formatEvent, type AuditLogFormat } from './format.js';
import { RotatingFile } from './rotating-file.js';
import type { AuditSink } from './stages.js';

export const auditBackendModes = ['batch', 'blocking', 'blocking-strict'] as const;
export type AuditBackendMode = (typeof auditBackendModes)[number];

/** Upstream's defaultBatchBufferSize. */
export const defaultAuditBufferSize = 10_000;
/** Bytes queued at most; request and response bodies can make single events large. */
export const defaultAuditBufferBytes = 64 * 1024 * 1024;
/** At most this much is written in one go, so a waiting request is not held behind a huge write. */
const maxWriteBytes = 1024 * 1024;
/** Impacted events named in one error log line. */
const maxImpactedInLog = 5;

export interface AuditLogBackendOptions {
  /** A file, or `-` for standard output. */
  path: string;
  format?: AuditLogFormat;
  mode?: AuditBackendMode;
  maxSizeMB?: number;
  maxBackups?: number;
  maxAgeDays?: number;
  compress?: boolean;
  bufferSize?: number;
  bufferBytes?: number;
  logger?: Logger;
  /** Where `-` writes (tests). */
  stdout?: NodeJS.WritableStream;
  /** The clock for backup names (tests). */
  now?: () => Date;
}

interface QueuedLine {
  data: Buffer;
  auditID: string;
  done?: (ok: boolean) => void;
}

export interface AuditBackendCounters {
  /** Events accepted (apiserver_audit_event_total). */
  events: number;
  /** Events lost to a full queue, a failed write or shutdown (apiserver_audit_error_total{plugin="log"}). */
  errors: number;
}

/** Upstream's ensureLogFile: the directory (0700) and the file (0600) exist and can be written, or starting fails. */
export function ensureLogFile(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
  } catch (err) {
    throw new Error(`ensureLogFile: ${(err as Error).message}`);
  }
}

export class AuditLogBackend implements AuditSink {
  readonly counters: AuditBackendCounters = { events: 0, errors: 0 };
  private readonly queue: QueuedLine[] = [];
  private queuedBytes = 0;
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly file: RotatingFile | undefined;
  private readonly format: AuditLogFormat;
  private readonly mode: AuditBackendMode;
  private readonly bufferSize: number;
  private readonly bufferBytes: number;
  private readonly logger: Logger;

  /** Throws when the log file cannot be created (as kube-apiserver refuses to start). */
  constructor(private readonly options: AuditLogBackendOptions) {
    this.format = options.format ?? 'json';
    this.mode = options.mode ?? 'blocking';
    // Blocking modes queue too (the writes are asynchronous), so a bound is always needed.
    this.bufferSize = options.bufferSize && options.bufferSize > 0 ? options.bufferSize : defaultAuditBufferSize;
    this.bufferBytes = options.bufferBytes && options.bufferBytes > 0 ? options.bufferBytes : defaultAuditBufferBytes;
    this.logger = options.logger ?? silentLogger;
    if (options.path !== '-') {
      ensureLogFile(options.path);
      this.file = new RotatingFile({
        path: options.path,
        maxSizeMB: options.maxSizeMB,
        maxBackups: options.maxBackups,
        maxAgeDays: options.maxAgeDays,
        compress: options.compress,
        now: options.now,
      });
    }
  }

  /** Upstream's HandlePluginError: counted, and logged with the events it cost. */
  private pluginError(message: string, impacted: string[]): void {
    this.counters.errors += impacted.length;
    const shown = impacted.slice(0, maxImpactedInLog);
    this.logger({ component: 'audit', msg: `Error in audit plugin 'log' affecting ${impacted.length} audit events: ${message}`, impacted: shown });
  }

  processEvents(...events: AuditEvent[]): boolean | Promise<boolean> {
    const strict = this.mode === 'blocking-strict';
    if (this.closed) {
      this.pluginError('audit backend shut down', events.map(eventString));
      return !strict;
    }
    const waits: Promise<boolean>[] = [];
    let refused = false;
    for (const event of events) {
      let line: Buffer;
      try {
        line = Buffer.from(formatEvent(event, this.format), 'utf8');
      } catch (err) {
        this.pluginError(`encoding failed: ${(err as Error).message}`, [eventString(event)]);
        refused = true;
        continue;
      }
      if (this.queue.length >= this.bufferSize || this.queuedBytes + line.length > this.bufferBytes) {
        this.pluginError('audit buffer queue blocked', [eventString(event)]);
        refused = true;
        continue;
      }
      this.counters.events++;
      const queued: QueuedLine = { data: line, auditID: event.auditID };
      if (this.mode !== 'batch') waits.push(new Promise<boolean>((resolve) => (queued.done = resolve)));
      this.queue.push(queued);
      this.queuedBytes += line.length;
    }
    this.startDraining();
    if (this.mode === 'batch') return true;
    if (waits.length === 0) return !(strict && refused);
    return Promise.all(waits).then((written) => !strict || (!refused && written.every(Boolean)));
  }

  private startDraining(): void {
    if (this.draining || this.queue.length === 0) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // Lines queued while the last write finished.
      this.startDraining();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      let count = 0;
      let bytes = 0;
      while (count < this.queue.length && (count === 0 || bytes + this.queue[count].data.length <= maxWriteBytes)) bytes += this.queue[count++].data.length;
      const batch = this.queue.splice(0, count);
      this.queuedBytes -= bytes;
      const results = await this.write(batch.map((line) => line.data));
      const failed = new Map<string, string[]>();
      batch.forEach((line, i) => {
        const error = results[i];
        if (error) failed.set(error.message, [...(failed.get(error.message) ?? []), `auditID=${line.auditID}`]);
        line.done?.(!error);
      });
      for (const [message, impacted] of failed) this.pluginError(message, impacted);
    }
  }

  private async write(chunks: Buffer[]): Promise<(Error | undefined)[]> {
    if (this.file) return this.file.writeChunks(chunks);
    const out = this.options.stdout ?? process.stdout;
    const error = await new Promise<Error | undefined>((resolve) => {
      try {
        out.write(Buffer.concat(chunks), (err) => resolve(err ?? undefined));
      } catch (err) {
        resolve(err as Error);
      }
    });
    return chunks.map(() => error);
  }

  /** Resolves once everything queued so far is written (or has failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Stops taking events, writes what is queued, closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.file?.close();
  }
}
