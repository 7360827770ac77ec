/**
 * Field ownership across writes: what every write does to
 * `metadata.managedFields`, as upstream's field manager does it.
 *
 * - An *update* (create, PUT, a JSON, merge or strategic merge patch) makes
 *   its manager the owner of what it changed: the fields it added or
 *   modified join its Update entry (per manager, apiVersion and
 *   subresource); every other manager loses them, and everyone loses the
 *   fields the write removed. Updates never conflict.
 * - An *apply* (`application/apply-patch+yaml`) states the fields its
 *   manager wants to own, exactly: the configuration is merged into the
 *   live object; what the manager applied last time and no longer applies
 *   is removed unless another manager owns it; and changing a value another
 *   manager owns is a conflict (409) unless forced, when the others lose it.
 *   The manager's Apply entry becomes the applied field set.
 *
 * Fields a write may not change through its endpoint (status through the
 * main resource, everything but status through `/status`) are outside both.
 * Writing `managedFields: [{}]` clears the entries; writing other entries
 * replaces them (kubectl moves client-side apply to server-side this way).
 */
import type { KubeObject, ManagedFieldsEntry } from '../object.js';
import type { Schema } from '../schema/types.js';
import { compareObjects } from './compare.js';
import { FieldSet } from './field-set.js';
import { decodeManagedFields, encodeManagedFields, managerIdentity, withoutUnmanaged, type ManagedFields } from './managed-fields.js';
import { mergeConfiguration, pruneApplied } from './merge.js';
import type { PathElement } from './path-element.js';
import { fieldSetOf } from './to-field-set.js';

/** Where a write happens: the kind's schema, the version written, the subresource, and the time. */
export interface WriteScope {
  schema: Schema;
  /** `apps/v1`, `v1`, `stable.example.com/v1`. */
  apiVersion: string;
  subresource?: string;
  /** RFC 3339, second precision. */
  now: string;
  /** Whether a top-level field is outside what this endpoint writes (status on the main resource, spec on /status). */
  ignoresField?(name: string): boolean;
}

/** At most this many Update entries are kept; the oldest are merged into `ancient-changes` (upstream's cap). */
const maxUpdateManagers = 10;
const ancientChanges = 'ancient-changes';
/** Who an object's fields are counted under when it is first applied without any entries (upstream's name). */
const beforeFirstApply = 'before-first-apply';

export interface Conflict {
  manager: ManagedFields;
  path: PathElement[];
}

/** An apply that would change fields other managers own. */
export class ApplyConflictError extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super(`Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}`);
  }
}

/** Whether an apply left the object as it was (managedFields aside). */
function sameObject(live: KubeObject | undefined, merged: KubeObject): boolean {
  if (!live) return false;
  const strip = (object: KubeObject) => ({ ...object, metadata: { ...object.metadata, managedFields: undefined } });
  return JSON.stringify(strip(live)) === JSON.stringify(strip(merged));
}

/** The one-empty-entry list that asks for managedFields to be cleared. */
function isReset(entries: ManagedFieldsEntry[] | undefined): boolean {
  return entries?.length === 1 && entries[0] !== null && typeof entries[0] === 'object' && Object.keys(entries[0]).length === 0;
}

function decodeOrEmpty(entries: ManagedFieldsEntry[] | undefined): ManagedFields[] | undefined {
  try {
    return decodeManagedFields(entries);
  } catch {
    return undefined;
  }
}

/** The set without the fields this write does not manage: identity and bookkeeping, and the ignored top-level fields. */
function managedPart(set: FieldSet, scope: WriteScope): FieldSet {
  const kept = withoutUnmanaged(set);
  const ignores = scope.ignoresField;
  return ignores ? kept.filter((path) => !(path[0]?.kind === 'field' && ignores(path[0].name))) : kept;
}

function changesBetween(old: unknown, next: unknown, scope: WriteScope): { changed: FieldSet; removed: FieldSet } {
  const { added, modified, removed } = compareObjects(old, next, scope.schema);
  return { changed: managedPart(added.union(modified), scope), removed: managedPart(removed, scope) };
}

/**
 * Upstream's cap on Update entries: past ten, the oldest (by second, then
 * identity) are folded, per apiVersion, into an `ancient-changes` entry
 * that takes the time of the newest entry folded into it.
 */
function capUpdateManagers(managers: ManagedFields[]): ManagedFields[] {
  const updaters = managers.filter((entry) => entry.operation === 'Update');
  if (updaters.length <= maxUpdateManagers) return managers;
  const seconds = (entry: ManagedFields) => (entry.time ? Math.floor(Date.parse(entry.time) / 1000) : 0);
  updaters.sort((a, b) => seconds(a) - seconds(b) || (managerIdentity(a) < managerIdentity(b) ? -1 : managerIdentity(a) > managerIdentity(b) ? 1 : 0));
  const kept = new Set(managers);
  const firstOfVersion = new Map<string, ManagedFields>();
  const buckets = new Map<string, ManagedFields>();
  let length = updaters.length;
  for (const entry of updaters) {
    if (length <= maxUpdateManagers) break;
    const first = firstOfVersion.get(entry.apiVersion);
    if (!first) {
      firstOfVersion.set(entry.apiVersion, entry);
      continue;
    }
    let bucket = buckets.get(entry.apiVersion) ?? managers.find((m) => m.operation === 'Update' && m.manager === ancientChanges && m.apiVersion === entry.apiVersion && !m.subresource);
    if (!bucket || !kept.has(bucket)) {
      // The first entry of this version becomes the bucket.
      kept.delete(first);
      bucket = { manager: ancientChanges, operation: 'Update', apiVersion: entry.apiVersion, time: first.time, fields: first.fields };
      kept.add(bucket);
    }
    bucket.fields = bucket.fields.union(entry.fields);
    bucket.time = entry.time;
    buckets.set(entry.apiVersion, bucket);
    kept.delete(entry);
    length--;
  }
  return [...kept];
}

function write(object: KubeObject, managers: ManagedFields[], cap: boolean): void {
  const owning = managers.filter((entry) => !entry.fields.isEmpty());
  const entries = encodeManagedFields(cap ? capUpdateManagers(owning) : owning);
  if (entries) object.metadata.managedFields = entries;
  else delete object.metadata.managedFields;
}

/**
 * Records an update in `next.metadata.managedFields`, in place. `old` is the
 * object before the write (undefined for a create).
 */
export function recordUpdate(old: KubeObject | undefined, next: KubeObject, manager: string, scope: WriteScope): void {
  const given = next.metadata.managedFields;
  if (isReset(given)) {
    delete next.metadata.managedFields;
    return;
  }
  // Entries the client wrote itself count (unless on a subresource); a client that knows nothing of them keeps the old ones.
  const fromClient = !scope.subresource && given?.length ? decodeOrEmpty(given) : undefined;
  const managers = fromClient ?? decodeOrEmpty(old?.metadata.managedFields) ?? [];
  // An existing object without entries (cleared, or from before they were kept) is not tracked by
  // updates until it is applied (upstream's skipNonAppliedManager); a create always is.
  if (old && managers.length === 0) {
    delete next.metadata.managedFields;
    return;
  }
  const { changed, removed } = changesBetween(old ?? {}, next, scope);
  for (const entry of managers) entry.fields = entry.fields.difference(changed).difference(removed);
  const identity = managerIdentity({ manager, operation: 'Update', apiVersion: scope.apiVersion, subresource: scope.subresource });
  const own = managers.find((entry) => managerIdentity(entry) === identity);
  if (!changed.isEmpty()) {
    if (own) {
      own.fields = own.fields.union(changed);
      own.time = scope.now;
    } else {
      managers.push({ manager, operation: 'Update', apiVersion: scope.apiVersion, time: scope.now, ...(scope.subresource ? { subresource: scope.subresource } : {}), fields: changed });
    }
  }
  write(next, managers, true);
}

export interface ApplyOptions {
  force: boolean;
  /** Conflicts on these paths are taken over as if forced (kubectl's client-side apply fields, when kubectl applies server-side). */
  allowedConflicts?: FieldSet;
}

/**
 * An apply: the configuration merged into `live` (undefined when the apply
 * creates the object), pruned and checked for conflicts. Returns the new
 * object, with its managedFields; throws ApplyConflictError.
 */
export function applyConfiguration(live: KubeObject | undefined, config: KubeObject, manager: string, scope: WriteScope, options: ApplyOptions): KubeObject {
  const managers = decodeOrEmpty(live?.metadata.managedFields) ?? [];
  // The first apply to an object without entries counts what it has under `before-first-apply`: applying other values conflicts with it.
  if (live && managers.length === 0) {
    // As an update from nothing to the live object, the way upstream records it.
    const existing = changesBetween({}, live, scope).changed;
    if (!existing.isEmpty()) managers.push({ manager: beforeFirstApply, operation: 'Update', apiVersion: scope.apiVersion, time: scope.now, fields: existing });
  }
  const configWithoutMeta = { ...config, metadata: { ...config.metadata } };
  delete configWithoutMeta.metadata.managedFields;
  const applied = managedPart(fieldSetOf(configWithoutMeta, scope.schema), scope);
  let merged = mergeConfiguration(live ?? { metadata: {} }, configWithoutMeta, scope.schema) as KubeObject;
  merged.metadata ??= {};

  const identity = managerIdentity({ manager, operation: 'Apply', apiVersion: scope.apiVersion, subresource: scope.subresource });
  const previous = managers.find((entry) => managerIdentity(entry) === identity);
  const self: ManagedFields = { manager, operation: 'Apply', apiVersion: scope.apiVersion, ...(previous?.time ? { time: previous.time } : {}), ...(scope.subresource ? { subresource: scope.subresource } : {}), fields: applied };
  const others = managers.filter((entry) => entry !== previous);

  // What this manager applied before and applies no more goes, unless a manager holds it.
  if (previous && !previous.fields.isEmpty()) {
    const managed = others.reduce((set, entry) => set.union(entry.fields), applied);
    merged = pruneApplied(merged, previous.fields, managed, scope.schema) as KubeObject;
    merged.metadata ??= {};
  }

  const { changed, removed } = changesBetween(live ?? {}, merged, scope);
  const conflicts: Conflict[] = [];
  for (const entry of others) {
    for (const path of entry.fields.intersection(changed).paths()) {
      if (!options.force && !options.allowedConflicts?.has(path)) conflicts.push({ manager: entry, path });
    }
  }
  if (conflicts.length > 0) throw new ApplyConflictError(conflicts);
  for (const entry of others) entry.fields = entry.fields.difference(changed).difference(removed);
  // The entry's time moves when the object does (a new manager applying what is there gets none).
  if (!sameObject(live, merged)) self.time = scope.now;
  write(merged, [...others, self], false);
  return merged;
}

/** A conflict's manager as upstream prints it: `"kubectl"`, or `"kube-controller-manager" using apps/v1` for an Update entry. */
export function describeManager(entry: Pick<ManagedFields, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let text = JSON.stringify(entry.manager);
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === 'Update') text += ` using ${entry.apiVersion}`;
  return text;
}
