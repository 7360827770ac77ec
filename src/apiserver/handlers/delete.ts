/**
 * delete and deletecollection, with upstream's semantics: preconditions,
 * graceful deletion (pods), finalizers and deletionTimestamp, and the
 * propagation policy turned into the `orphan` / `foregroundDeletion`
 * finalizers that the garbage collector acts on.
 */
import { admissionReporting } from '../admission/reporting.js';
import type { KubeObject } from '../../machinery/object.js';
import { isPlainObject } from '../../machinery/object.js';
import { errors, isStatusError } from '../../machinery/status.js';
import { readBody, sendJson } from '../http.js';
import type { RequestContext } from '../context.js';
import { isDryRun, query, queryBool, queryInt, timestamp } from '../context.js';
import { parseBody } from './decode.js';
import { filterFor } from './filter.js';
import { sendObject } from './respond.js';
import { deletionGracePeriod } from '../graceful-deletion.js';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

/**
 * DeleteOptions arrive in the body (kubectl and client libraries send them
 * there) or as query parameters; both count, the query winning where both say
 * something, and both are validated alike.
 */
export async function readDeleteOptions(ctx: RequestContext): Promise<DeleteOptions> {
  const body = await readBody(ctx.req);
  let options: DeleteOptions = {};
  if (body.length > 0 && body.toString('utf8').trim() !== '') {
    const { value } = parseBody(body, ctx.req.headers['content-type']);
    if (!isPlainObject(value)) throw errors.badRequest('DeleteOptions must be an object');
    options = value as DeleteOptions;
    if (options.gracePeriodSeconds !== undefined && options.gracePeriodSeconds !== null && !Number.isInteger(options.gracePeriodSeconds)) {
      throw errors.badRequest(`json: cannot unmarshal ${typeof options.gracePeriodSeconds} into Go struct field DeleteOptions.gracePeriodSeconds of type int64`);
    }
  }
  const grace = queryInt(ctx, 'gracePeriodSeconds');
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = query(ctx, 'propagationPolicy');
  if (policy !== undefined) options.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  const orphan = query(ctx, 'orphanDependents');
  if (orphan !== undefined) options.orphanDependents = queryBool(ctx, 'orphanDependents');
  const dryRun = ctx.url.searchParams.getAll('dryRun');
  if (dryRun.length > 0) options.dryRun = dryRun;
  validateDeleteOptions(options);
  return options;
}

/** Upstream's DeleteOptions validation: 422 Invalid on DeleteOptions, whichever way the options came. */
export function validateDeleteOptions(options: DeleteOptions): void {
  if (options.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)) {
    throw errors.invalid('', 'DeleteOptions', '', [
      { type: 'FieldValueNotSupported', field: 'propagationPolicy', value: options.propagationPolicy, detail: 'supported values: "Foreground", "Background", "Orphan", "nil"' },
    ]);
  }
  if (options.propagationPolicy && options.orphanDependents !== undefined) {
    throw errors.invalid('', 'DeleteOptions', '', [
      { type: 'FieldValueInvalid', field: 'propagationPolicy', value: options.propagationPolicy, detail: 'orphanDependents and deletionPropagation cannot be both set' },
    ]);
  }
  if (options.gracePeriodSeconds !== undefined && (!Number.isInteger(options.gracePeriodSeconds) || options.gracePeriodSeconds < 0)) {
    throw errors.invalid('', 'DeleteOptions', '', [
      { type: 'FieldValueInvalid', field: 'gracePeriodSeconds', value: options.gracePeriodSeconds, detail: 'must be greater than or equal to 0' },
    ]);
  }
  if (options.dryRun !== undefined) {
    if (!Array.isArray(options.dryRun)) throw errors.badRequest('dryRun must be a list of strings');
    for (const value of options.dryRun) {
      if (value !== 'All') {
        throw errors.invalid('', 'DeleteOptions', '', [{ type: 'FieldValueNotSupported', field: 'dryRun', value, detail: 'supported values: "All"' }]);
      }
    }
  }
}

/** True when the options ask for a dry run: everything is checked, nothing is written. */
export function isDryRunDelete(options: DeleteOptions): boolean {
  return options.dryRun?.includes('All') ?? false;
}

function finalizerFor(options: DeleteOptions): string | undefined {
  if (options.propagationPolicy === 'Orphan' || options.orphanDependents === true) return 'orphan';
  if (options.propagationPolicy === 'Foreground') return 'foregroundDeletion';
  return undefined;
}

interface DeleteOutcome {
  object: KubeObject;
  /** True when the object is gone; false when it waits for finalizers or graceful termination. */
  deleted: boolean;
}

/** Deletes one object, retrying on concurrent writes. */
export async function deleteObject(ctx: RequestContext, namespace: string | undefined, name: string, options: DeleteOptions): Promise<DeleteOutcome> {
  const { type, server, storage } = ctx;
  // Callers that build options themselves (eviction, namespace finalize) may not carry the query's dryRun.
  const dryRun = isDryRunDelete(options) || isDryRun(ctx);
  for (let attempt = 0; ; attempt++) {
    const { object: current, revision } = await storage.get(namespace, name);
    const preconditions = options.preconditions ?? {};
    if (preconditions.uid && preconditions.uid !== current.metadata.uid) {
      throw errors.conflict(type.group, type.resource, name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (preconditions.resourceVersion && preconditions.resourceVersion !== String(revision)) {
      throw errors.conflict(type.group, type.resource, name, `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${revision}`);
    }
    // Deletes pass both phases, as upstream (mutating webhooks see them too; nothing can be changed).
    const attributes = { operation: 'DELETE' as const, type, namespace, name, oldObject: current, user: ctx.user, dryRun, ...admissionReporting(ctx) };
    await server.admission.admit(attributes);
    await server.admission.validate(attributes);

    const next = structuredClone(current);
    const meta = next.metadata;
    if (!meta.deletionTimestamp) type.beginDeletion?.(next, timestamp(server.clock.now()));
    const finalizer = finalizerFor(options);
    if (finalizer && !(meta.finalizers ?? []).includes(finalizer)) {
      meta.finalizers = [...(meta.finalizers ?? []).filter((f) => f !== 'orphan' && f !== 'foregroundDeletion'), finalizer];
    }
    const grace = deletionGracePeriod(type, current, options.gracePeriodSeconds);
    const waitsForNamespaceFinalizers = type.group === '' && type.resource === 'namespaces' && ((next.spec as { finalizers?: string[] })?.finalizers?.length ?? 0) > 0;
    const pending = (meta.finalizers?.length ?? 0) > 0 || grace > 0 || waitsForNamespaceFinalizers;

    if (!pending) {
      if (dryRun) return { object: current, deleted: true };
      try {
        const { object: gone } = await storage.remove(namespace, name, revision);
        server.hooksFor(type)?.afterDelete?.(gone);
        return { object: gone, deleted: true };
      } catch (err) {
        if (isStatusError(err, 'Conflict') && attempt < 10) continue;
        throw err;
      }
    }

    // Graceful: mark for deletion and let finalizers (or the node, for pods) finish it.
    const now = server.clock.now();
    if (!meta.deletionTimestamp) {
      meta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
      meta.deletionGracePeriodSeconds = grace;
    } else if (grace < (meta.deletionGracePeriodSeconds ?? 0)) {
      // A shorter grace period may shorten a deletion already under way.
      meta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
      meta.deletionGracePeriodSeconds = grace;
    }
    if (type.group === '' && type.resource === 'namespaces') {
      next.status = { ...(next.status as object), phase: 'Terminating' };
    }
    // Marking for deletion is a change of desired state: upstream bumps generation.
    if (!current.metadata.deletionTimestamp && (meta.generation ?? 0) > 0) meta.generation = meta.generation! + 1;
    if (dryRun) return { object: next, deleted: false };
    if (JSON.stringify(next) === JSON.stringify(current)) return { object: current, deleted: false };
    try {
      const { object: stored } = await storage.update(next, revision);
      return { object: stored, deleted: false };
    } catch (err) {
      if (isStatusError(err, 'Conflict') && attempt < 10) continue;
      throw err;
    }
  }
}

/** Kinds whose DELETE answers with the deleted object rather than a Status, as upstream. */
const returnsDeletedObject = new Set(['pods', 'services', 'namespaces']);

function successStatus(ctx: RequestContext, object: KubeObject) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: object.metadata.name, group: ctx.type.group || undefined, kind: ctx.type.resource, uid: object.metadata.uid },
  };
}

export async function handleDelete(ctx: RequestContext): Promise<void> {
  const options = await readDeleteOptions(ctx);
  const outcome = await deleteObject(ctx, ctx.info.namespace, ctx.info.name!, options);
  if (outcome.deleted && !(ctx.type.group === '' && returnsDeletedObject.has(ctx.type.resource))) {
    sendJson(ctx.res, 200, successStatus(ctx, outcome.object));
    return;
  }
  sendObject(ctx, 200, outcome.object);
}

export async function handleDeleteCollection(ctx: RequestContext): Promise<void> {
  const options = await readDeleteOptions(ctx);
  const filter = filterFor(ctx);
  const cache = await ctx.storage.cache();
  await cache.sync();
  const deleted: KubeObject[] = [];
  for (const entry of cache.list(ctx.storage.keyPrefixFor(ctx.info.namespace))) {
    const object = ctx.storage.view(entry);
    if (!filter(object)) continue;
    try {
      const outcome = await deleteObject(ctx, object.metadata.namespace, object.metadata.name!, options);
      deleted.push(outcome.object);
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
  }
  const kind = `${ctx.type.kind}List`;
  const apiVersion = ctx.type.group ? `${ctx.type.group}/${ctx.type.version}` : ctx.type.version;
  sendJson(ctx.res, 200, { kind, apiVersion, metadata: { resourceVersion: String(cache.revision) }, items: deleted });
}
