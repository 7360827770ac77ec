/**
 * Cron schedules of CronJobs: the standard five fields
 * (`minute hour day-of-month month day-of-week`) with ranges, steps, lists
 * and names, plus the descriptors `@hourly`, `@daily`/`@midnight`,
 * `@weekly`, `@monthly`, `@yearly`/`@annually` and `@every <duration>` —
 * what upstream's cron library accepts for a CronJob.
 *
 * `nextRun` finds the first matching minute after a time, in the CronJob's
 * time zone. Wall-clock times that do not exist (skipped by a daylight
 * saving change) are skipped; times that happen twice run at the first.
 */
import { parseGoDuration } from '../../machinery/duration.js';

export interface CronSchedule {
  kind: 'fields';
  minutes: number[];
  hours: number[];
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** Whether day-of-month / day-of-week were `*` or `?` (unrestricted). */
  anyDayOfMonth: boolean;
  anyDayOfWeek: boolean;
}

export interface EverySchedule {
  kind: 'every';
  intervalMs: number;
}

export type Schedule = CronSchedule | EverySchedule;

export class CronParseError extends Error {}

const monthNames = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const dayNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Value of the first name (JAN is 1, SUN is 0). */
  nameBase?: number;
}

const fieldSpecs: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: monthNames, nameBase: 1 },
  { name: 'day of week', min: 0, max: 6, names: dayNames, nameBase: 0 },
];

function parseValue(text: string, spec: FieldSpec): number {
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return index + (spec.nameBase ?? 0);
  if (!/^\d+$/.test(text)) throw new CronParseError(`failed to parse int from ${text}: invalid syntax`);
  return Number(text);
}

/** One field: `*`, `?`, `5`, `1-5`, `*\/15`, `10-50/10`, `MON-FRI`, lists of those. */
function parseField(text: string, spec: FieldSpec): { values: number[]; any: boolean } {
  const values = new Set<number>();
  let any = false;
  for (const part of text.split(',')) {
    const [rangeText, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronParseError(`too many slashes: ${part}`);
    let start: number;
    let end: number;
    if (rangeText === '*' || rangeText === '?') {
      start = spec.min;
      end = spec.max;
      if (stepText === undefined) any = true;
    } else {
      const [low, high, more] = rangeText.split('-');
      if (more !== undefined) throw new CronParseError(`too many hyphens: ${rangeText}`);
      start = parseValue(low, spec);
      // `5/10` means from 5 to the end, every 10.
      end = high !== undefined ? parseValue(high, spec) : stepText !== undefined ? spec.max : start;
    }
    const step = stepText === undefined ? 1 : parseValue(stepText, spec);
    if (start < spec.min) throw new CronParseError(`beginning of range (${start}) below minimum (${spec.min}): ${part}`);
    if (end > spec.max) throw new CronParseError(`end of range (${end}) above maximum (${spec.max}): ${part}`);
    if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${part}`);
    if (step === 0) throw new CronParseError(`step of range should be a positive number: ${part}`);
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return { values: [...values].sort((a, b) => a - b), any };
}

/** An `@every` interval: a Go duration, whose error is a schedule error here. */
function parseCronInterval(text: string): number {
  try {
    return parseGoDuration(text);
  } catch (err) {
    throw new CronParseError((err as Error).message);
  }
}

export function parseCronSchedule(text: string): Schedule {
  const trimmed = text.trim();
  if (/^(CRON_)?TZ=/.test(trimmed)) throw new CronParseError('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  if (trimmed.startsWith('@every ')) {
    const intervalMs = parseCronInterval(trimmed.slice('@every '.length).trim());
    // Upstream's library rounds the interval to whole seconds, with one second at least.
    return { kind: 'every', intervalMs: Math.max(1000, Math.floor(intervalMs / 1000) * 1000) };
  }
  const expanded = trimmed.startsWith('@') ? descriptors[trimmed.toLowerCase()] : trimmed;
  if (expanded === undefined) throw new CronParseError(`unrecognized descriptor: ${trimmed}`);
  const fields = expanded.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${fields.length}: ${text}`);
  const [minutes, hours, dom, months, dow] = fields.map((f, i) => parseField(f, fieldSpecs[i]));
  return {
    kind: 'fields',
    minutes: minutes.values,
    hours: hours.values,
    daysOfMonth: new Set(dom.values),
    months: new Set(months.values),
    daysOfWeek: new Set(dow.values),
    anyDayOfMonth: dom.any,
    anyDayOfWeek: dow.any,
  };
}

/** Whether the text is a schedule; the reason when not. */
export function cronScheduleError(text: string): string | undefined {
  try {
    parseCronSchedule(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

// ---- time zones -------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(key, formatter);
  }
  return formatter;
}

/** Whether `name` is a time zone this machine knows (an IANA name such as `Europe/Paris`). */
export function isKnownTimeZone(name: string): boolean {
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function wallTimeOf(utcMs: number, timeZone: string | undefined): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute };
}

/** The UTC instant of a wall time in a zone; undefined when the zone skips it. */
function instantOf(wall: WallTime, timeZone: string | undefined): number | undefined {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  // Two refinements of the zone offset settle on the right one, even next to a DST change.
  const offsetNear = (t: number) => {
    const w = wallTimeOf(t, timeZone);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(t / 60_000) * 60_000;
  };
  const candidates = [asUtc - offsetNear(asUtc - 86_400_000), asUtc - offsetNear(asUtc + 86_400_000)].sort((a, b) => a - b);
  for (const candidate of candidates) {
    const w = wallTimeOf(candidate, timeZone);
    if (w.year === wall.year && w.month === wall.month && w.day === wall.day && w.hour === wall.hour && w.minute === wall.minute) return candidate;
  }
  return undefined;
}

function dayMatches(schedule: CronSchedule, year: number, month: number, day: number): boolean {
  if (!schedule.months.has(month)) return false;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  const domOk = schedule.daysOfMonth.has(day);
  const dowOk = schedule.daysOfWeek.has(weekday);
  // As in classic cron: when both are restricted, either may match.
  if (schedule.anyDayOfMonth || schedule.anyDayOfWeek) return domOk && dowOk;
  return domOk || dowOk;
}

/** The first time strictly after `after` that the schedule fires, or undefined within five years. */
export function nextRun(schedule: Schedule, after: Date, timeZone?: string): Date | undefined {
  if (schedule.kind === 'every') return new Date(Math.floor(after.getTime() / 1000) * 1000 + schedule.intervalMs);
  const startMs = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
  const start = wallTimeOf(startMs, timeZone);
  let date = Date.UTC(start.year, start.month - 1, start.day);
  for (let days = 0; days < 366 * 5; days++, date += 86_400_000) {
    const d = new Date(date);
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    if (!dayMatches(schedule, year, month, day)) continue;
    for (const hour of schedule.hours) {
      for (const minute of schedule.minutes) {
        const instant = instantOf({ year, month, day, hour, minute }, timeZone);
        if (instant !== undefined && instant >= startMs) return new Date(instant);
      }
    }
  }
  return undefined;
}
