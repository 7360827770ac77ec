/** Helpers for table columns and cells shared by every core kind. */
import type { TableColumn } from '../resource.js';
import { ageOf, humanDuration } from '../../machinery/duration.js';

export const NAME_COLUMN: TableColumn = {
  name: 'Name', type: 'string', format: 'name',
  description: 'Name must be unique within a namespace. Cannot be updated.',
};

export const AGE_COLUMN: TableColumn = {
  name: 'Age', type: 'string',
  description: 'Time since the object was created.',
};

export function column(name: string, description: string, priority?: number, type: TableColumn['type'] = 'string'): TableColumn {
  return priority ? { name, type, description, priority } : { name, type, description };
}

export function age(obj: { metadata?: { creationTimestamp?: string } }, now: Date): string {
  return ageOf(obj.metadata?.creationTimestamp, now);
}

/** upstream translateTimestampSince: `<unknown>` for no time, else a human duration. */
export function since(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** Joins a list for a cell, `<none>` when empty, truncated after `max` entries with ` + N more...`. */
export function listCell(items: string[], max = Infinity): string {
  if (items.length === 0) return '<none>';
  if (items.length <= max) return items.join(',');
  return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
}

/** `a=b,c=d` of a map, sorted by key, `<none>` when empty (upstream labels.FormatLabels). */
export function formatLabels(map: Record<string, string> | undefined): string {
  const entries = Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}
