/**
 * Server-side printing: the `Table` that `kubectl get` renders. Each kind
 * declares its columns in src/api; kinds without columns get upstream's
 * default table (Name and Created At).
 */
import type { KubeObject } from '../../machinery/object.js';
import type { ResourceType, TableColumn } from '../../api/resource.js';
import { partialMetadata } from './partial-metadata.js';

const defaultColumns: TableColumn[] = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'Created At', type: 'date', description: 'When the object was created.', priority: 0 },
];

export function columnsOf(type: ResourceType): TableColumn[] {
  return (type.table?.columns ?? defaultColumns).map((c) => ({ format: '', priority: 0, ...c }));
}

export function cellsOf(type: ResourceType, object: KubeObject, now: Date): unknown[] {
  if (type.table) return type.table.cells(object, now);
  return [object.metadata.name ?? '', object.metadata.creationTimestamp ?? null];
}

export function tableRow(type: ResourceType, object: KubeObject, version: string, include: 'None' | 'Metadata' | 'Object', now: Date) {
  const row: { cells: unknown[]; object?: unknown } = { cells: cellsOf(type, object, now) };
  if (include === 'Metadata') row.object = partialMetadata(object, version);
  else if (include === 'Object') row.object = object;
  return row;
}

export function tableFor(
  type: ResourceType,
  objects: KubeObject[],
  version: string,
  include: 'None' | 'Metadata' | 'Object',
  now: Date,
  metadata: Record<string, unknown>,
  withColumns = true,
) {
  const table: Record<string, unknown> = { kind: 'Table', apiVersion: `meta.k8s.io/${version}`, metadata };
  if (withColumns) table.columnDefinitions = columnsOf(type);
  table.rows = objects.map((object) => tableRow(type, object, version, include, now));
  return table;
}
