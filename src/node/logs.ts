/**
 * Container logs as the apiserver asks the agent for them (`kubectl logs`):
 * the CRI log file read back as plain lines — optionally with their
 * timestamps, only the last N lines, only those of the last N seconds, at
 * most N bytes — and, with `follow`, new lines as they are written until the
 * container stops.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';

export interface LogOptions {
  follow?: boolean;
  timestamps?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
}

/** One CRI line → the text kubectl shows (with its timestamp when asked). */
export function renderLine(line: string, timestamps: boolean): { time: string; text: string } | undefined {
  const match = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/.exec(line);
  if (!match) return undefined;
  return { time: match[1], text: timestamps ? `${match[1]} ${match[4]}` : match[4] };
}

function selected(lines: string[], options: LogOptions): string[] {
  const since = options.sinceTime ? Date.parse(options.sinceTime) : options.sinceSeconds !== undefined ? Date.now() - options.sinceSeconds * 1000 : undefined;
  let rendered = lines
    .map((line) => renderLine(line, options.timestamps ?? false))
    .filter((l): l is { time: string; text: string } => l !== undefined && (since === undefined || Date.parse(l.time) >= since))
    .map((l) => l.text);
  if (options.tailLines !== undefined && options.tailLines >= 0) rendered = rendered.slice(Math.max(0, rendered.length - options.tailLines));
  return rendered;
}

/**
 * Writes the log to `out`. With follow, keeps reading what is appended
 * until `running()` says the container stopped (and everything is read) or
 * the reader goes away.
 */
export async function streamLog(path: string | undefined, options: LogOptions, out: Writable, running: () => boolean, signal: AbortSignal): Promise<void> {
  let budget = options.limitBytes ?? Infinity;
  const write = (text: string): boolean => {
    if (budget <= 0) return false;
    const chunk = Buffer.from(text);
    const part = chunk.length > budget ? chunk.subarray(0, budget) : chunk;
    budget -= part.length;
    out.write(part);
    return budget > 0;
  };
  if (!path || !existsSync(path)) return;
  const content = await readFile(path, 'utf8');
  const complete = content.endsWith('\n') ? content : content.slice(0, content.lastIndexOf('\n') + 1);
  let offset = Buffer.byteLength(complete);
  for (const line of selected(complete.split('\n').filter(Boolean), options)) if (!write(`${line}\n`)) return;
  if (!options.follow) return;
  // Follow: poll for appended bytes (simple, and enough for a log a person reads).
  let pending = '';
  while (!signal.aborted) {
    const size = existsSync(path) ? statSync(path).size : 0;
    // The file was rotated: the new one starts from the beginning.
    if (size < offset) offset = 0;
    if (size > offset) {
      const chunk = await new Promise<string>((resolve, reject) => {
        let data = '';
        createReadStream(path, { start: offset, end: size - 1, encoding: 'utf8' })
          .on('data', (d) => (data += d))
          .on('end', () => resolve(data))
          .on('error', reject);
      });
      offset = size;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const rendered = renderLine(line, options.timestamps ?? false);
        if (rendered && !write(`${rendered.text}\n`)) return;
      }
      continue;
    }
    if (!running()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
