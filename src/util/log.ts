/**
 * Structured logging: one JSON object per line on stderr, each with a
 * component name. Verbosity follows upstream's -v habit: an event with `v: N`
 * is printed only when the process runs with -v N or higher.
 */
export type LogEvent = { component?: string; msg: string; v?: number } & Record<string, unknown>;

export type Logger = (event: LogEvent) => void;

export function createLogger(verbosity: number, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  return (event) => {
    if ((event.v ?? 0) > verbosity) return;
    write(`${JSON.stringify({ ts: new Date().toISOString(), ...event })}\n`);
  };
}

export const silentLogger: Logger = () => {};

/**
 * Where a long-running command's log goes (`skiff up`, `server`, `agent`):
 *
 *   json  JSON lines on stderr — without a terminal (CI, systemd, a pipe), or
 *         with --log-format json;
 *   text  on a terminal (or --log-format text): the JSON lines go to a file
 *         (DIR/logs/skiff.log, bounded: 10 MiB, then `.1`), and the terminal
 *         gets short lines only — warnings (events with an `error`), in
 *         yellow on a colour terminal, and with -v N every event up to N.
 */
export type LogFormat = 'json' | 'text';

export interface LogSinkOptions {
  format?: LogFormat;
  verbosity: number;
  /** The JSON log file of text mode. */
  file: string;
  /** stderr, as a terminal or not (tests give their own). */
  terminal?: { isTTY?: boolean; write(text: string): unknown; hasColors?: () => boolean };
}

/** The format a command logs in: the flag, else text on a terminal, else JSON. */
export function chooseLogFormat(flag: LogFormat | undefined, isTTY: boolean | undefined): LogFormat {
  return flag ?? (isTTY ? 'text' : 'json');
}

/** An event as one short line: `component: msg (key=value …)`, with its error last. */
export function textLine(event: LogEvent): string {
  const { component, msg, v: _v, error, ts: _ts, ...rest } = event as LogEvent & { error?: unknown; ts?: unknown };
  const fields = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${component ? `${component}: ` : ''}${msg}${fields.length ? ` (${fields.join(', ')})` : ''}${error !== undefined ? `: ${String(error)}` : ''}`;
}

/** The logger of a long-running command, and its file (text mode) to close at the end. */
export async function createCommandLogger(options: LogSinkOptions): Promise<{ log: Logger; format: LogFormat; close(): void }> {
  const terminal = options.terminal ?? process.stderr;
  const format = chooseLogFormat(options.format, terminal.isTTY);
  if (format === 'json') return { log: createLogger(options.verbosity, (line) => terminal.write(line)), format, close: () => {} };
  const [{ mkdirSync }, { dirname }, { RotatingLogFile }] = await Promise.all([import('node:fs'), import('node:path'), import('./rotating-log-file.js')]);
  mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
  const file = new RotatingLogFile(options.file);
  const colour = terminal.hasColors?.() ?? false;
  const toFile = createLogger(options.verbosity, (line) => file.write(Buffer.from(line)));
  const log: Logger = (event) => {
    toFile(event);
    const warning = (event as { error?: unknown }).error !== undefined;
    if (!warning && (options.verbosity === 0 || (event.v ?? 0) > options.verbosity)) return;
    const line = textLine(event);
    terminal.write(warning ? `${colour ? '\x1b[33m' : ''}warning: ${line}${colour ? '\x1b[0m' : ''}\n` : `${line}\n`);
  };
  return { log, format, close: () => file.close() };
}
