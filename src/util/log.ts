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
