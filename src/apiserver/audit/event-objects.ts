/**
 * Request and response bodies in an audit event, as upstream's
 * LogRequestObject, LogRequestPatch and LogResponseObject: the object
 * reference is completed from the object; the request body is kept at
 * Request level and above, the response body at RequestResponse; a Status
 * answer becomes the responseStatus; managedFields are dropped from both
 * bodies when the policy says so.
 *
 * Bodies are copied when logged: the handler goes on changing the object
 * (defaulting, admission), and the event must show it as it was.
 */
import { isPlainObject } from '../../machinery/object.js';
import { levelAtLeast, type RequestAuditConfig } from './policy.js';
import type { AuditEvent, AuditResponseStatus } from './event.js';

type Fields = Record<string, unknown>;

function snapshot<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    // Something structuredClone refuses (a function, a class with private state): keep what JSON keeps.
    return JSON.parse(JSON.stringify(value ?? null)) as T;
  }
}

function dropManagedFields(object: unknown): void {
  if (isPlainObject(object) && isPlainObject(object.metadata)) delete (object.metadata as Fields).managedFields;
}

/**
 * A copy without metadata.managedFields: of the object, of each item of a
 * list, of each row's object of a Table. Anything else is copied as it is.
 */
export function copyWithoutManagedFields(value: unknown): unknown {
  const copy = snapshot(value);
  if (!isPlainObject(copy)) return copy;
  dropManagedFields(copy);
  if (Array.isArray(copy.items)) for (const item of copy.items) dropManagedFields(item);
  if (copy.kind === 'Table' && Array.isArray(copy.rows)) {
    for (const row of copy.rows) if (isPlainObject(row)) dropManagedFields(row.object);
  }
  return copy;
}

function bodyFor(config: Pick<RequestAuditConfig, 'omitManagedFields'>, value: unknown): unknown {
  return config.omitManagedFields ? copyWithoutManagedFields(value) : snapshot(value);
}

/** What the handler knows about the addressed resource, for fields the request path did not give. */
export interface AuditResourceInfo {
  group: string;
  version: string;
  resource: string;
  subresource?: string;
}

/**
 * Records the decoded request body (create, update, and the like): completes
 * objectRef from the object's metadata, and keeps the body itself at Request
 * level and above.
 */
export function logRequestObject(event: AuditEvent, config: RequestAuditConfig, object: unknown, resource?: AuditResourceInfo): void {
  if (!levelAtLeast(config.level, 'Metadata')) return;
  const ref = (event.objectRef ??= {});
  const metadata = isPlainObject(object) && isPlainObject(object.metadata) ? (object.metadata as Fields) : undefined;
  if (metadata) {
    const fromMetadata = ['namespace', 'name', 'uid', 'resourceVersion'] as const;
    for (const key of fromMetadata) {
      const value = metadata[key];
      if (!ref[key] && typeof value === 'string' && value) ref[key] = value;
    }
  }
  if (resource) {
    if (!ref.apiVersion) {
      if (resource.group) ref.apiGroup = resource.group;
      else delete ref.apiGroup;
      if (resource.version) ref.apiVersion = resource.version;
    }
    if (!ref.resource && resource.resource) ref.resource = resource.resource;
    if (!ref.subresource && resource.subresource) ref.subresource = resource.subresource;
  }
  if (!levelAtLeast(config.level, 'Request')) return;
  event.requestObject = bodyFor(config, object);
}

/**
 * Records a PATCH body as it was sent (Request level and above). JSON is
 * kept as its value; a body that is not JSON (an apply patch in YAML) is kept
 * as a string, so the audit line stays valid JSON.
 */
export function logRequestPatch(event: AuditEvent, config: RequestAuditConfig, patch: Buffer | string): void {
  if (!levelAtLeast(config.level, 'Request')) return;
  const text = typeof patch === 'string' ? patch : patch.toString('utf8');
  try {
    event.requestObject = JSON.parse(text);
  } catch {
    event.requestObject = text;
  }
}

/** Whether a response body is a meta/v1 Status. */
function isStatus(value: unknown): value is Fields {
  return isPlainObject(value) && value.kind === 'Status' && (value.apiVersion === 'v1' || value.apiVersion === undefined);
}

/**
 * Records the response body: a Status answer (every error, and some
 * deletes) becomes responseStatus; the body itself is kept at
 * RequestResponse level.
 */
export function logResponseObject(event: AuditEvent, config: RequestAuditConfig, object: unknown): void {
  if (!levelAtLeast(config.level, 'Metadata')) return;
  if (isStatus(object)) {
    const status: AuditResponseStatus = { metadata: {} };
    if (object.status === 'Success' || object.status === 'Failure') status.status = object.status;
    if (typeof object.message === 'string' && object.message) status.message = object.message;
    if (typeof object.reason === 'string' && object.reason) status.reason = object.reason;
    if (isPlainObject(object.details)) status.details = snapshot(object.details);
    if (typeof object.code === 'number' && object.code) status.code = object.code;
    event.responseStatus = status;
  }
  if (!levelAtLeast(config.level, 'RequestResponse')) return;
  event.responseObject = bodyFor(config, object);
}
