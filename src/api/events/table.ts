/**
 * The events table (`kubectl get events`), shared by core/v1 and
 * events.k8s.io/v1 since both show the same stored events. Works on the
 * core/v1 shape; the server always fills the wide columns.
 */
import type { KubeObject } from '../../machinery/object.js';
import type { TableColumn, TableConvertor } from '../resource.js';
import { since } from '../common/print.js';

export const eventColumns: TableColumn[] = [
  { name: 'Last Seen', type: 'string', description: 'Time since the event was last observed.' },
  { name: 'Type', type: 'string', description: 'Normal or Warning.' },
  { name: 'Reason', type: 'string', description: 'Why the event happened, in machine-readable form.' },
  { name: 'Object', type: 'string', description: 'The object the event is about.' },
  { name: 'Subobject', type: 'string', priority: 1, description: 'Part of the object the event is about.' },
  { name: 'Source', type: 'string', priority: 1, description: 'Component (and host) that reported the event.' },
  { name: 'Message', type: 'string', description: 'Human-readable description of the event.' },
  { name: 'First Seen', type: 'string', priority: 1, description: 'Time since the event was first observed.' },
  { name: 'Count', type: 'string', priority: 1, description: 'How many times the event occurred.' },
  { name: 'Name', type: 'string', priority: 1, format: 'name', description: 'Name must be unique within a namespace.' },
];

interface CoreEventView {
  involvedObject?: { kind?: string; name?: string; fieldPath?: string };
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  count?: number;
  type?: string;
  eventTime?: string;
  series?: { count?: number; lastObservedTime?: string };
  reportingComponent?: string;
  reportingInstance?: string;
}

export function coreEventCells(obj: KubeObject, now: Date): unknown[] {
  const e = obj as KubeObject & CoreEventView;
  // New-style events carry eventTime and a series instead of first/last timestamps and a count.
  const firstSeen = e.firstTimestamp ? since(e.firstTimestamp, now) : since(e.eventTime, now);
  let lastSeen = e.lastTimestamp ? since(e.lastTimestamp, now) : firstSeen;
  let count = e.count ?? 0;
  if (e.series) {
    lastSeen = since(e.series.lastObservedTime, now);
    count = e.series.count ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  const kind = (e.involvedObject?.kind ?? '').toLowerCase();
  const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  const source = instance ? `${component}, ${instance}` : component;
  return [
    lastSeen,
    e.type ?? '',
    e.reason ?? '',
    target,
    e.involvedObject?.fieldPath ?? '',
    source,
    (e.message ?? '').trim(),
    firstSeen,
    count,
    obj.metadata.name ?? '',
  ];
}

export const coreEventTable: TableConvertor = { columns: eventColumns, cells: coreEventCells };
