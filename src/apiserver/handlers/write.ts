/**
 * create, update (PUT), patch: the write path. Every write runs the same
 * pipeline — decode, server metadata, defaults, stateful hooks (IP
 * allocation), admission, validation — then one compare-and-swap in storage.
 */
import { jsonEqual, type KubeObject } from '../../machinery/object.js';
import { errors, isStatusError } from '../../machinery/status.js';
import { readBody } from '../http.js';
import type { RequestContext } from '../context.js';
import { isDryRun } from '../context.js';
import {
  defaultAndPrepareCreate,
  prepareCreateMetadata,
  prepareUpdate,
  shouldDeleteAfterUpdate,
  validateCreate,
  validateUpdate,
} from '../strategy.js';
import { decodeObject } from './decode.js';
import { sendObject } from './respond.js';
import { applyConfigurationTo, applyDecodedPatch, decodePatch, isApply } from './patch.js';
import { recordWrite } from '../field-manager.js';
import { admissionReporting } from '../admission/reporting.js';
import { logRequestPatch } from '../audit/event-objects.js';

export async function handleCreate(ctx: RequestContext): Promise<void> {
  const object = decodeObject(ctx, await readBody(ctx.req));
  // A review is answered for its requester and never stored.
  if (ctx.type.review) return sendObject(ctx, 201, await ctx.type.review(object, { requester: ctx.user, namespace: ctx.info.namespace, access: ctx.server.access, tokens: ctx.server.tokens }));
  const created = await createObject(ctx, object);
  sendObject(ctx, 201, created);
}

/** The create pipeline, shared with subresources that create (none yet) and bootstrap. */
export async function createObject(ctx: RequestContext, object: KubeObject, options: { applied?: boolean } = {}): Promise<KubeObject> {
  const { type, server } = ctx;
  const dryRun = isDryRun(ctx);
  prepareCreateMetadata(type, object, ctx.info.namespace, server.clock.now());
  if (!object.metadata.name) {
    throw errors.invalid(type.group, type.kind, '', [
      { type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' },
    ]);
  }
  defaultAndPrepareCreate(type, object, ctx.user);
  // A create is an update from nothing: its manager owns what it set, defaults included (upstream
  // defaults a body when decoding it). An apply that creates arrived with its ownership recorded.
  if (options.applied !== true) recordWrite(ctx, undefined, object);
  const attributes = {
    operation: 'CREATE' as const,
    type,
    namespace: object.metadata.namespace,
    name: object.metadata.name,
    object,
    user: ctx.user,
    dryRun,
    ...admissionReporting(ctx),
  };
  await server.admission.admit(attributes);
  const undo = await server.hooksFor(type)?.beforeCreate?.(object, dryRun);
  try {
    validateCreate(type, object);
    await server.admission.validate(attributes);
    if (dryRun) {
      // A dry run answers as the real create would, without a resourceVersion.
      const existing = await ctx.storage.get(object.metadata.namespace, object.metadata.name).catch(() => undefined);
      if (existing) throw errors.alreadyExists(type.group, type.resource, object.metadata.name);
      undo?.();
      return object;
    }
    const { object: stored } = await ctx.storage.create(object);
    return stored;
  } catch (err) {
    undo?.();
    throw err;
  }
}

export interface UpdateOptions {
  /** A subresource's own preparation of the object to store, instead of the kind's prepareUpdate. */
  subresourceStatus?: (next: KubeObject, old: KubeObject) => KubeObject;
  /** The mutation is a server-side apply: it recorded field ownership itself. */
  apply?: boolean;
  /** False for writes upstream makes beside the field manager (pods/binding): managedFields stay as they are. */
  tracksFields?: boolean;
}

export interface UpdateOutcome {
  object: KubeObject;
  /** True when the update removed the last finalizer of an object being deleted. */
  deleted: boolean;
}

/**
 * Read-modify-write, as upstream's GuaranteedUpdate: read the current object,
 * let `mutate` turn a private copy into the desired one, write it with a
 * compare-and-swap on the revision read. When the swap fails because someone
 * else wrote first, the whole round runs again on the newer object, as often
 * as it takes (every failed swap means another writer succeeded, so the
 * cluster always makes progress). A client's precondition is a
 * resourceVersion in the desired object (an update's body, a patch that sets
 * it): it is checked against the object of each round, so a stale one fails
 * with 409 Conflict and a current one that loses the race fails the next round.
 */
export async function guaranteedUpdate(
  ctx: RequestContext,
  mutate: (current: KubeObject) => Promise<KubeObject> | KubeObject,
  options: UpdateOptions = {},
): Promise<UpdateOutcome> {
  return oneWriterAtATime(ctx, async () => {
    for (;;) {
      const outcome = await tryUpdate(ctx, mutate, options);
      if (outcome !== 'lost the race') return outcome;
    }
  });
}

/** Per server, the tail of the queue of writes to each object (by storage key). */
const writeQueues = new WeakMap<object, Map<string, Promise<void>>>();

/**
 * Runs the writes this apiserver makes to one object one after another.
 * Correctness does not need it (the compare-and-swap and the retry do that,
 * also against other apiservers), but two clients patching the same large
 * object at once would otherwise lose every other swap and redo all the
 * work of a round (copy, patch, validate, encode): with a megabyte
 * ConfigMap about four rounds in ten were thrown away, CPU every other
 * client waited for. Writes to different objects do not wait for each other.
 */
async function oneWriterAtATime<T>(ctx: RequestContext, work: () => Promise<T>): Promise<T> {
  let queues = writeQueues.get(ctx.server);
  if (!queues) writeQueues.set(ctx.server, (queues = new Map()));
  const key = ctx.storage.keyFor(ctx.info.namespace, ctx.info.name!);
  const previous = queues.get(key) ?? Promise.resolve();
  const mine = previous.then(work);
  const tail = mine.then(() => {}, () => {});
  queues.set(key, tail);
  try {
    return await mine;
  } finally {
    if (queues.get(key) === tail) queues.delete(key);
  }
}

/** One round of guaranteedUpdate; 'lost the race' when another write came between the read and the swap. */
async function tryUpdate(
  ctx: RequestContext,
  mutate: (current: KubeObject) => Promise<KubeObject> | KubeObject,
  options: UpdateOptions,
): Promise<UpdateOutcome | 'lost the race'> {
  const { type, server, storage } = ctx;
  const dryRun = isDryRun(ctx);
  const name = ctx.info.name!;
  // storage.get hands out a private copy: it is the old object; mutate gets a copy of its own.
  const { object: current, revision } = await storage.get(ctx.info.namespace, name);
  const old = current;
  await yieldToOtherRequests();
  let next = await mutate(structuredClone(current));
  const requestedVersion = next.metadata?.resourceVersion;
  if (requestedVersion && requestedVersion !== String(revision)) {
    throw errors.staleResourceVersion(type.group, type.resource, name);
  }
  if (next.metadata?.name && next.metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
  }
  if (type.namespaced && next.metadata?.namespace && next.metadata.namespace !== ctx.info.namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  next.metadata ??= {};
  next.metadata.name = name;
  if (type.namespaced) next.metadata.namespace = ctx.info.namespace;
  const appliedFields = next.metadata.managedFields;
  if (options.subresourceStatus) {
    next = options.subresourceStatus(next, old);
  } else {
    prepareUpdate(type, next, old);
  }
  if (!options.apply && options.tracksFields !== false) recordWrite(ctx, old, next);
  else if (appliedFields) next.metadata.managedFields = appliedFields;
  else delete next.metadata.managedFields;
  const attributes = {
    operation: 'UPDATE' as const,
    type,
    subresource: ctx.info.subresource,
    namespace: ctx.info.namespace,
    name,
    object: next,
    oldObject: old,
    user: ctx.user,
    dryRun,
    ...admissionReporting(ctx),
  };
  await server.admission.admit(attributes);
  const undo = options.subresourceStatus ? undefined : await server.hooksFor(type)?.beforeUpdate?.(next, old, dryRun);
  try {
    if (!options.subresourceStatus) validateUpdate(type, next, old);
    await server.admission.validate(attributes);
    await yieldToOtherRequests();
    if (dryRun) {
      undo?.();
      return { object: next, deleted: false };
    }
    if (shouldDeleteAfterUpdate(next)) {
      const gone = await swapped(() => storage.remove(ctx.info.namespace, name, revision));
      if (!gone) {
        undo?.();
        return 'lost the race';
      }
      server.hooksFor(type)?.afterDelete?.(gone.object);
      return { object: gone.object, deleted: true };
    }
    // Writing an unchanged object is a no-op upstream: same resourceVersion, no event — unless its stored
    // value is stale (encrypted with an old key), when the write is how keys are rotated.
    if (
      jsonEqual({ ...next, metadata: { ...next.metadata, resourceVersion: undefined } }, { ...old, metadata: { ...old.metadata, resourceVersion: undefined } }) &&
      !(await storage.isStale(next.metadata.namespace, name))
    ) {
      undo?.();
      return { object: current, deleted: false };
    }
    const stored = await swapped(() => storage.update(next, revision));
    if (!stored) {
      undo?.();
      return 'lost the race';
    }
    await yieldToOtherRequests(); // before the answer is serialised
    return { object: stored.object, deleted: false };
  } catch (err) {
    undo?.();
    throw err;
  }
}

/**
 * Lets the event loop serve other requests before the next step. Awaiting a
 * promise does not: resolved promises run as microtasks, before any I/O, so
 * reading, patching, validating and encoding a megabyte object would be one
 * long stretch during which no other client is answered.
 */
function yieldToOtherRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A compare-and-swap in storage; undefined when the revision moved on (storage answers Conflict). */
async function swapped<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (isStatusError(err, 'Conflict')) return undefined;
    throw err;
  }
}

export async function handleUpdate(ctx: RequestContext): Promise<void> {
  const body = decodeObject(ctx, await readBody(ctx.req));
  const { object } = await guaranteedUpdate(ctx, () => body);
  sendObject(ctx, 200, object);
}

export async function handlePatch(ctx: RequestContext): Promise<void> {
  const body = await readBody(ctx.req);
  if (ctx.audit) logRequestPatch(ctx.audit.event, ctx.audit.config, body);
  // Decoded once: every round of guaranteedUpdate applies the same patch to the object of that round.
  const patch = decodePatch(ctx, body);
  try {
    const { object } = await guaranteedUpdate(ctx, (current) => applyDecodedPatch(ctx, current, patch), { apply: isApply(patch) });
    sendObject(ctx, 200, object);
  } catch (err) {
    // Server-side apply of an object that does not exist yet creates it.
    if (!isStatusError(err, 'NotFound') || !isApply(patch)) throw err;
    const applied = applyConfigurationTo(ctx, undefined, patch);
    sendObject(ctx, 201, await createObject(ctx, applied, { applied: true }));
  }
}
