/**
 * Server-side apply and field ownership, for one request: who the manager
 * is (`fieldManager`, else the User-Agent), where the write happens (the
 * version, the subresource, what that endpoint may not write), and the two
 * operations of machinery/fieldpath/field-manager.ts with upstream's errors
 * around them. Also upstream's two courtesies to kubectl: an apply by the
 * `kubectl` manager keeps the client-side `last-applied-configuration`
 * annotation in step when the object has one, and may take over the fields
 * that annotation names without a conflict.
 */
import type { KubeObject } from '../machinery/object.js';
import { errors, field, StatusError } from '../machinery/status.js';
import { ApplyConflictError, applyConfiguration, describeManager, recordUpdate, type WriteScope } from '../machinery/fieldpath/field-manager.js';
import { managerFromUserAgent } from '../machinery/fieldpath/managed-fields.js';
import { formatPath, goJson } from '../machinery/fieldpath/path-element.js';
import { compareObjects } from '../machinery/fieldpath/compare.js';
import { fieldSetOf } from '../machinery/fieldpath/to-field-set.js';
import type { FieldSet } from '../machinery/fieldpath/field-set.js';
import { query, timestamp, type RequestContext } from './context.js';

const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
/** The manager name kubectl applies with; upstream keeps client-side apply in step only for it. */
const kubectlManager = 'kubectl';

/** `fieldManager` as upstream checks it: at most 128 characters, all printable. */
function validatedFieldManager(ctx: RequestContext): string | undefined {
  const name = query(ctx, 'fieldManager');
  if (!name) return undefined;
  const problems = [];
  if ([...name].length > 128) problems.push(field.tooLong('fieldManager', name, 128));
  [...name].forEach((char, i) => {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(char)) {
      const code = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      problems.push(field.invalid('fieldManager', name, `invalid character U+${code} (at position ${i})`));
    }
  });
  if (problems.length) throw errors.invalid('', 'PatchOptions', '', problems);
  return name;
}

/** The manager a write is recorded under. */
export function managerOf(ctx: RequestContext): string {
  return validatedFieldManager(ctx) ?? managerFromUserAgent(ctx.req?.headers['user-agent']);
}

function scopeOf(ctx: RequestContext): WriteScope {
  const { type } = ctx;
  const subresource = ctx.info.subresource;
  const apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
  let ignoresField: ((name: string) => boolean) | undefined;
  if (subresource === 'status') ignoresField = (name) => name !== 'status' && name !== 'metadata';
  else if (!subresource && type.subresources?.status) ignoresField = (name) => name === 'status';
  return { schema: type.schema, apiVersion, subresource, now: timestamp(ctx.server.clock.now()), ignoresField };
}

/** Records a create, update or non-apply patch in `next.metadata.managedFields`, in place. */
export function recordWrite(ctx: RequestContext, old: KubeObject | undefined, next: KubeObject): void {
  recordUpdate(old, next, managerOf(ctx), scopeOf(ctx));
}

/** The most the annotation may hold; a bigger configuration leaves it out (upstream's SetLastApplied). */
const maxLastAppliedBytes = 256 * 1024;

/** The last-applied annotation's value: the applied configuration as sent, without that annotation, encoded as upstream encodes it. */
function lastAppliedOf(config: KubeObject): string {
  const copy = structuredClone(config);
  if (copy.metadata?.annotations) delete copy.metadata.annotations[lastAppliedAnnotation];
  return `${goJson(copy)}\n`;
}

/**
 * The fields kubectl's client-side apply last applied and that still hold
 * the values it applied: taking them over is no conflict for `kubectl`
 * (upstream's lastAppliedManager). A field someone changed since is not
 * among them — that conflict is real.
 */
function clientSideAppliedFields(ctx: RequestContext, live: KubeObject | undefined): FieldSet | undefined {
  const text = live?.metadata.annotations?.[lastAppliedAnnotation];
  if (!text || !live) return undefined;
  try {
    const lastApplied = JSON.parse(text) as KubeObject;
    const apiVersion = ctx.type.group ? `${ctx.type.group}/${ctx.type.version}` : ctx.type.version;
    if (lastApplied.apiVersion !== apiVersion) return undefined;
    const { added, modified, removed } = compareObjects(lastApplied, live, ctx.type.schema);
    return fieldSetOf(lastApplied, ctx.type.schema).difference(added.union(modified).union(removed));
  } catch {
    return undefined;
  }
}

function conflictError(error: ApplyConflictError): StatusError {
  const { conflicts } = error;
  const causes = conflicts.map(({ manager, path }) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describeManager(manager)}`, field: formatPath(path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0].manager)}: ${formatPath(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const { manager, path } of conflicts) {
      const name = describeManager(manager);
      byManager.set(name, [...(byManager.get(name) ?? []), formatPath(path)]);
    }
    const lines = [...byManager.keys()].sort().flatMap((name) => [`conflicts with ${name}:`, ...byManager.get(name)!.map((path) => `- ${path}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

/**
 * An apply of `config` to `live` (undefined: the apply creates the object).
 * Returns the merged object with its managedFields.
 */
export function applyToObject(ctx: RequestContext, live: KubeObject | undefined, config: KubeObject, sent: KubeObject = config): KubeObject {
  if (config.metadata?.managedFields !== undefined && config.metadata.managedFields !== null) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
  const manager = managerOf(ctx);
  const force = ['true', '1'].includes((query(ctx, 'force') ?? '').toLowerCase());
  if (query(ctx, 'force') !== undefined && !['true', 'false', '1', '0'].includes(query(ctx, 'force')!.toLowerCase())) {
    throw errors.badRequest(`strconv.ParseBool: parsing ${JSON.stringify(query(ctx, 'force'))}: invalid syntax`);
  }
  const fromKubectl = manager === kubectlManager;
  let merged: KubeObject;
  try {
    merged = applyConfiguration(live, config, manager, scopeOf(ctx), { force, allowedConflicts: fromKubectl ? clientSideAppliedFields(ctx, live) : undefined });
  } catch (err) {
    if (err instanceof ApplyConflictError) throw conflictError(err);
    throw err;
  }
  // kubectl may go back to client-side apply: the annotation it reads then says what was applied last.
  if (fromKubectl && merged.metadata.annotations?.[lastAppliedAnnotation]) {
    const value = lastAppliedOf(sent);
    if (Buffer.byteLength(value) <= maxLastAppliedBytes) merged.metadata.annotations = { ...merged.metadata.annotations, [lastAppliedAnnotation]: value };
    else {
      delete merged.metadata.annotations[lastAppliedAnnotation];
      if (Object.keys(merged.metadata.annotations).length === 0) delete merged.metadata.annotations;
    }
  }
  return merged;
}
