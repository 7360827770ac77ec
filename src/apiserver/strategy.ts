/**
 * The generic steps every write goes through before storage, driven by the
 * kind's ResourceType hooks: server-set metadata, defaulting, status
 * separation, generation, validation. Upstream spreads this over
 * rest.BeforeCreate / BeforeUpdate and each kind's strategy.
 */
import type { Requester, ResourceType, SubresourceStrategy } from '../api/resource.js';
import type { KubeObject } from '../machinery/object.js';
import { errors, field, type FieldErrorLike } from '../machinery/status.js';
import { validateObjectMeta } from '../machinery/validation.js';
import { generateName, newUid } from '../machinery/names.js';
import { timestamp } from './context.js';

/** What a change of bumps metadata.generation: everything but metadata, and status when it has its own subresource. */
function desiredState(type: ResourceType, object: KubeObject): string {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = object;
  if (type.subresources?.status) delete rest.status;
  return JSON.stringify(rest);
}

function throwIfInvalid(type: ResourceType, object: KubeObject, errs: FieldErrorLike[]): void {
  if (errs.length > 0) throw errors.invalid(type.group, type.kind, object.metadata.name ?? '', errs);
}

function validateWhole(type: ResourceType, object: KubeObject, operation: 'create' | 'update'): FieldErrorLike[] {
  if (type.validate) return type.validate(object, { operation });
  return validateObjectMeta(object.metadata, { namespaced: type.namespaced });
}

/** Fills in what the server owns on create: name from generateName, uid, timestamps. */
export function prepareCreateMetadata(type: ResourceType, object: KubeObject, namespace: string | undefined, now: Date): void {
  const meta = object.metadata;
  if (type.namespaced) {
    if (meta.namespace && namespace && meta.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (namespace) meta.namespace = namespace;
  } else {
    delete meta.namespace;
  }
  if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
  meta.uid = newUid();
  meta.creationTimestamp = timestamp(now);
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  delete meta.generation;
}

export function defaultAndPrepareCreate(type: ResourceType, object: KubeObject, requester?: Requester): void {
  type.defaults?.(object);
  type.prepareForCreate?.(object, requester);
  if (type.hasGeneration) object.metadata.generation = 1;
}

export function validateCreate(type: ResourceType, object: KubeObject): void {
  throwIfInvalid(type, object, validateWhole(type, object, 'create'));
}

/**
 * Prepares a full replacement of `old` by `object` (PUT, or the result of a patch):
 * server-owned metadata is kept, status is kept when it has its own subresource,
 * generation moves when the desired state changed.
 */
export function prepareUpdate(type: ResourceType, object: KubeObject, old: KubeObject): void {
  const meta = object.metadata;
  const oldMeta = old.metadata;
  if (meta.uid && meta.uid !== oldMeta.uid) {
    throwIfInvalid(type, object, [field.invalid('metadata.uid', meta.uid, 'field is immutable')]);
  }
  meta.uid = oldMeta.uid;
  meta.creationTimestamp = oldMeta.creationTimestamp;
  meta.deletionTimestamp = oldMeta.deletionTimestamp;
  meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  if (meta.deletionTimestamp === undefined) delete meta.deletionTimestamp;
  if (meta.deletionGracePeriodSeconds === undefined) delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  type.defaults?.(object);
  if (type.subresources?.status) {
    if (old.status === undefined) delete object.status;
    else object.status = structuredClone(old.status);
  }
  type.prepareForUpdate?.(object, old);
  if (type.hasGeneration) {
    const oldGeneration = oldMeta.generation ?? 1;
    meta.generation = desiredState(type, object) === desiredState(type, old) ? oldGeneration : oldGeneration + 1;
  } else {
    delete meta.generation;
    if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
  }
}

export function validateUpdate(type: ResourceType, object: KubeObject, old: KubeObject): void {
  const errs = validateWhole(type, object, 'update');
  if (object.metadata.name !== old.metadata.name) errs.push(field.invalid('metadata.name', object.metadata.name, 'field is immutable'));
  errs.push(...(type.validateUpdate?.(object, old) ?? []));
  throwIfInvalid(type, object, errs);
}

/** A write to `/status`: the old object with the new status (and metadata changes upstream allows). */
export function prepareStatusUpdate(type: ResourceType, object: KubeObject, old: KubeObject, now = new Date()): KubeObject {
  const next = structuredClone(old);
  if (object.status === undefined) delete next.status;
  else next.status = object.status;
  // Status writers may still edit labels and annotations, as upstream's status strategies permit.
  if (object.metadata.labels !== undefined) next.metadata.labels = object.metadata.labels;
  if (object.metadata.annotations !== undefined) next.metadata.annotations = object.metadata.annotations;
  type.prepareForStatusUpdate?.(next, old, timestamp(now));
  type.defaults?.(next);
  const errs = [...validateWhole(type, next, 'update'), ...(type.validateStatusUpdate?.(next, old) ?? [])];
  throwIfInvalid(type, next, errs);
  return next;
}

/**
 * A write through a subresource with its own strategy (pods'
 * `ephemeralcontainers`): the strategy keeps what it may change, the
 * result is defaulted and validated as a whole and by the strategy.
 */
export function prepareSubresourceUpdate(type: ResourceType, strategy: SubresourceStrategy, object: KubeObject, old: KubeObject): KubeObject {
  const next = strategy.prepareForUpdate(object, old);
  type.defaults?.(next);
  const errs = [...validateWhole(type, next, 'update'), ...strategy.validateUpdate(next, old)];
  throwIfInvalid(type, next, errs);
  return next;
}

/** True when an update leaves an object that is being deleted with nothing left to wait for. */
export function shouldDeleteAfterUpdate(object: KubeObject): boolean {
  const meta = object.metadata;
  return Boolean(meta.deletionTimestamp) && (meta.finalizers?.length ?? 0) === 0 && !meta.deletionGracePeriodSeconds;
}
