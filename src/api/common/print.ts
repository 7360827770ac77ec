/** Small pieces the table printers of these groups share. */
import { humanDuration } from '../../machinery/duration.js';
import type { TableColumn } from '../resource.js';

export const nameColumn: TableColumn = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' };
export const ageColumn: TableColumn = { name: 'Age', type: 'string', description: 'Time since the object was created.' };

/** `a,b,c + 2 more...`, or `<unset>` for an empty list (upstream's listWithMoreString). */
export function listWithMore(items: string[], max = 3): string {
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  return items.length ? items.join(',') : '<unset>';
}

/** Time since `timestamp` as kubectl shows it, `<unknown>` when unset. */
export function since(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? '<unknown>' : humanDuration(now.getTime() - at);
}
