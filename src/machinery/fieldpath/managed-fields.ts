/**
 * `metadata.managedFields` as the apiserver keeps it: one entry per
 * manager and operation — Apply entries per manager (and subresource),
 * Update entries per manager, apiVersion and subresource — each with the
 * set of fields it owns. Read (with upstream's checks), written in
 * upstream's order (Apply before Update, oldest first, then by manager,
 * apiVersion and subresource), and the paths no one owns removed: an
 * object's identity and bookkeeping (apiVersion, kind, metadata's name,
 * namespace, uid, resourceVersion, …) belong to no manager.
 */
import type { ManagedFieldsEntry } from '../object.js';
import { FieldSet } from './field-set.js';
import type { PathElement } from './path-element.js';

export interface ManagedFields {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
}

export class ManagedFieldsError extends Error {}

/** Reads entries as upstream decodes them; throws for one upstream refuses (the caller keeps the live object's then). */
export function decodeManagedFields(entries: ManagedFieldsEntry[] | undefined): ManagedFields[] {
  return (entries ?? []).map((entry, i) => {
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') throw new ManagedFieldsError(`error decoding managed fields: managedFields[${i}]: invalid operation ${JSON.stringify(entry.operation ?? '')}`);
    if (!entry.apiVersion) throw new ManagedFieldsError(`error decoding managed fields: managedFields[${i}]: empty apiVersion`);
    if (entry.fieldsType !== 'FieldsV1') throw new ManagedFieldsError(`error decoding managed fields: managedFields[${i}]: invalid fieldsType ${JSON.stringify(entry.fieldsType ?? '')}`);
    return {
      manager: entry.manager ?? '',
      operation: entry.operation,
      apiVersion: entry.apiVersion,
      ...(entry.time ? { time: entry.time } : {}),
      ...(entry.subresource ? { subresource: entry.subresource } : {}),
      fields: FieldSet.fromFieldsV1(entry.fieldsV1 ?? {}),
    };
  });
}

const seconds = (time: string | undefined) => (time ? Math.floor(Date.parse(time) / 1000) : 0);
const compareText = (a: string | undefined, b: string | undefined) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);

/** Writes entries in upstream's order, dropping managers that own nothing; undefined when none is left. */
export function encodeManagedFields(managers: ManagedFields[]): ManagedFieldsEntry[] | undefined {
  const kept = managers.filter((entry) => !entry.fields.isEmpty());
  if (kept.length === 0) return undefined;
  kept.sort(
    (p, q) =>
      compareText(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      compareText(p.manager, q.manager) ||
      compareText(p.apiVersion, q.apiVersion) ||
      compareText(p.subresource, q.subresource),
  );
  return kept.map((entry) => ({
    manager: entry.manager,
    operation: entry.operation,
    apiVersion: entry.apiVersion,
    ...(entry.time ? { time: entry.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: entry.fields.toFieldsV1(),
    ...(entry.subresource ? { subresource: entry.subresource } : {}),
  }));
}

/** Who an entry stands for: Apply entries per manager (any apiVersion), Update entries per manager and apiVersion; both per subresource. */
export function managerIdentity(entry: Pick<ManagedFields, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([entry.manager, entry.operation, entry.operation === 'Apply' ? '' : entry.apiVersion, entry.subresource ?? '']);
}

/**
 * The manager a request without `fieldManager` is counted under: its
 * User-Agent up to the first `/`, printable characters only, at most 128
 * bytes; `unknown` when nothing is left.
 */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0];
  let name = '';
  for (const char of prefix) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) continue;
    if (Buffer.byteLength(name + char) > 128) break;
    name += char;
  }
  return name || 'unknown';
}

const field = (name: string): PathElement => ({ kind: 'field', name });
/** The paths upstream's field manager strips from every set: identity and bookkeeping no one manages. */
const unmanagedPaths: PathElement[][] = [
  [field('apiVersion')],
  [field('kind')],
  [field('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((name) => [field('metadata'), field(name)]),
];

/** A set without the paths no manager owns. */
export function withoutUnmanaged(set: FieldSet): FieldSet {
  const strip = new FieldSet();
  for (const path of unmanagedPaths) strip.insert(path);
  return set.difference(strip);
}
