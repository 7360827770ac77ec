/**
 * The AdmissionReview a webhook receives and what is read from its answer,
 * as upstream's request package builds and checks them: v1 when the webhook
 * lists it (else v1beta1, when it lists that); the answer's uid and
 * apiVersion/kind checked for v1, its fields type-checked as Go's decoder
 * would, its patch decoded from base64.
 */
import { isPlainObject, type KubeObject } from '../../../machinery/object.js';
import type { WebhookResult } from './errors.js';
import { apiVersionOf, type RequestView, type VersionedObjects, type WebhookRequest } from './versions.js';

export type ReviewVersion = 'v1' | 'v1beta1';

/** The first version the webhook accepts that the apiserver can send. */
export function reviewVersionFor(admissionReviewVersions: readonly string[] | undefined): ReviewVersion | undefined {
  return (admissionReviewVersions ?? []).find((v): v is ReviewVersion => v === 'v1' || v === 'v1beta1');
}

const optionKinds: Record<string, string> = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions' };

/**
 * The operation's options: those the caller put on the attributes (`options`,
 * as the handler decoded them), else the options upstream would send for a
 * request without query parameters. CONNECT has none.
 */
export function operationOptions(request: WebhookRequest): Record<string, unknown> | null {
  const given = (request.attributes as { options?: unknown }).options;
  if (isPlainObject(given)) return given;
  const kind = optionKinds[request.operation];
  if (!kind) return null;
  const options: Record<string, unknown> = { kind, apiVersion: 'meta.k8s.io/v1' };
  if (request.attributes.dryRun) options.dryRun = ['All'];
  return options;
}

/** An object as sent: with its apiVersion and kind, which skiff's objects may leave out. */
function withTypeMeta(object: KubeObject | undefined, view: RequestView): KubeObject | null {
  if (!object) return null;
  if (object.apiVersion && object.kind) return object;
  return { apiVersion: apiVersionOf(view.kind), kind: view.kind.kind, ...object };
}

/** The AdmissionRequest's fields but uid and objects: also what CEL's `request` variable holds. */
export function admissionRequestFields(request: WebhookRequest, view: RequestView): Record<string, unknown> {
  const { user } = request.attributes;
  const userInfo: Record<string, unknown> = {};
  if (user.username) userInfo.username = user.username;
  if (user.uid) userInfo.uid = user.uid;
  if (user.groups?.length) userInfo.groups = user.groups;
  if (user.extra && Object.keys(user.extra).length > 0) userInfo.extra = user.extra;
  const fields: Record<string, unknown> = {
    kind: { group: view.kind.group, version: view.kind.version, kind: view.kind.kind },
    resource: { group: view.resource.group, version: view.resource.version, resource: view.resource.resource },
  };
  if (request.subresource) fields.subResource = request.subresource;
  fields.requestKind = { ...request.own.kind };
  fields.requestResource = { ...request.own.resource };
  if (request.subresource) fields.requestSubResource = request.subresource;
  if (request.name) fields.name = request.name;
  if (request.namespace) fields.namespace = request.namespace;
  fields.operation = request.operation;
  fields.userInfo = userInfo;
  fields.dryRun = request.attributes.dryRun;
  fields.options = operationOptions(request);
  return fields;
}

export function buildAdmissionReview(version: ReviewVersion, uid: string, request: WebhookRequest, versioned: VersionedObjects): Record<string, unknown> {
  const { dryRun, options, ...fields } = admissionRequestFields(request, versioned.view);
  return {
    kind: 'AdmissionReview',
    apiVersion: `admission.k8s.io/${version}`,
    request: {
      uid,
      ...fields,
      object: withTypeMeta(versioned.object, versioned.view),
      oldObject: withTypeMeta(versioned.oldObject, versioned.view),
      dryRun,
      options,
    },
  };
}

/** What the apiserver acts on from a webhook's answer. */
export interface AdmissionResponse {
  allowed: boolean;
  auditAnnotations: Record<string, string>;
  warnings: string[];
  patch: Buffer;
  /** `''` when no patch came. */
  patchType: string;
  result?: WebhookResult;
}

interface DecodedResponse {
  uid?: string;
  allowed: boolean;
  result?: WebhookResult;
  patch: Buffer;
  patchType?: string | null;
  auditAnnotations: Record<string, string>;
  warnings: string[];
}

export interface DecodedReview {
  apiVersion: string;
  kind: string;
  response?: DecodedResponse;
}

function jsonType(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

/** Go's encoding/json message for a value of the wrong JSON type. */
function cannotUnmarshal(value: unknown, struct: string, path: string, goType: string): Error {
  return new Error(`json: cannot unmarshal ${jsonType(value)} into Go struct field ${struct}.${path} of type ${goType}`);
}

function optionalString(value: unknown, struct: string, path: string, goType = 'string'): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw cannotUnmarshal(value, struct, path, goType);
  return value;
}

/** Go decodes []byte from standard base64 (line breaks ignored) and names the first byte it cannot read. */
function decodeBase64(text: string): Buffer {
  const clean = text.replace(/[\r\n]/g, '');
  const body = clean.replace(/={1,2}$/, '');
  const bad = body.search(/[^A-Za-z0-9+/]/);
  if (bad >= 0) throw new Error(`illegal base64 data at input byte ${bad}`);
  if (clean.length % 4 !== 0) throw new Error(`illegal base64 data at input byte ${clean.length - (clean.length % 4)}`);
  return Buffer.from(clean, 'base64');
}

function decodeResult(value: unknown): WebhookResult | undefined {
  if (value === undefined || value === null) return undefined;
  const struct = 'AdmissionResponse';
  if (!isPlainObject(value)) throw cannotUnmarshal(value, struct, 'response.status', 'v1.Status');
  if (value.code !== undefined && value.code !== null && (typeof value.code !== 'number' || !Number.isInteger(value.code))) {
    throw cannotUnmarshal(value.code, 'Status', 'response.status.code', 'int32');
  }
  optionalString(value.message, 'Status', 'response.status.message');
  optionalString(value.reason, 'Status', 'response.status.reason', 'v1.StatusReason');
  optionalString(value.status, 'Status', 'response.status.status');
  return value;
}

function decodeResponse(value: unknown): DecodedResponse | undefined {
  if (value === undefined || value === null) return undefined;
  const struct = 'AdmissionReview';
  if (!isPlainObject(value)) throw cannotUnmarshal(value, struct, 'response', 'v1.AdmissionResponse');
  const inner = 'AdmissionResponse';
  const uid = optionalString(value.uid, inner, 'response.uid', 'types.UID');
  if (value.allowed !== undefined && value.allowed !== null && typeof value.allowed !== 'boolean') throw cannotUnmarshal(value.allowed, inner, 'response.allowed', 'bool');
  const patchText = optionalString(value.patch, inner, 'response.patch', '[]uint8');
  const patchType = value.patchType === null ? null : optionalString(value.patchType, inner, 'response.patchType', 'v1.PatchType');
  const auditAnnotations: Record<string, string> = {};
  if (value.auditAnnotations !== undefined && value.auditAnnotations !== null) {
    if (!isPlainObject(value.auditAnnotations)) throw cannotUnmarshal(value.auditAnnotations, inner, 'response.auditAnnotations', 'map[string]string');
    for (const [key, text] of Object.entries(value.auditAnnotations)) {
      if (typeof text !== 'string') throw cannotUnmarshal(text, inner, 'response.auditAnnotations', 'string');
      auditAnnotations[key] = text;
    }
  }
  const warnings: string[] = [];
  if (value.warnings !== undefined && value.warnings !== null) {
    if (!Array.isArray(value.warnings)) throw cannotUnmarshal(value.warnings, inner, 'response.warnings', '[]string');
    for (const warning of value.warnings) {
      if (typeof warning !== 'string') throw cannotUnmarshal(warning, inner, 'response.warnings', 'string');
      warnings.push(warning);
    }
  }
  return {
    uid,
    allowed: value.allowed === true,
    result: decodeResult(value.status),
    patch: patchText ? decodeBase64(patchText) : Buffer.alloc(0),
    patchType: value.patchType === undefined ? undefined : patchType,
    auditAnnotations,
    warnings,
  };
}

/** Reads an answer as Go decodes it into an AdmissionReview; throws what the decoder would say. */
export function decodeAdmissionReview(value: unknown): DecodedReview {
  if (!isPlainObject(value)) throw new Error(`json: cannot unmarshal ${jsonType(value)} into Go value of type v1.AdmissionReview`);
  return {
    apiVersion: optionalString(value.apiVersion, 'TypeMeta', 'apiVersion') ?? '',
    kind: optionalString(value.kind, 'TypeMeta', 'kind') ?? '',
    response: decodeResponse(value.response),
  };
}

/** Go's GroupVersionKind.String(). */
function gvkText(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const [group, version] = slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
  return `${group}/${version}, Kind=${kind}`;
}

/** Checks an answer against the request; throws why it is not a valid answer. */
export function verifyAdmissionResponse(version: ReviewVersion, uid: string, mutating: boolean, review: DecodedReview): AdmissionResponse {
  const response = review.response;
  if (!response) throw new Error('webhook response was absent');
  const common = { allowed: response.allowed, auditAnnotations: response.auditAnnotations, warnings: response.warnings, result: response.result };
  if (version === 'v1beta1') {
    // v1beta1 answers were never checked for uid or kind; a patch can only be a JSON patch.
    const patch = mutating ? response.patch : Buffer.alloc(0);
    return { ...common, patch, patchType: patch.length > 0 ? 'JSONPatch' : '' };
  }
  if ((response.uid ?? '') !== uid) throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? '')}`);
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') {
    throw new Error(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${gvkText(review.apiVersion, review.kind)}`);
  }
  const hasPatchType = response.patchType !== undefined && response.patchType !== null;
  if (!mutating) {
    if (response.patch.length > 0) throw new Error('validating webhook may not return response.patch');
    if (hasPatchType) throw new Error('validating webhook may not return response.patchType');
    return { ...common, patch: Buffer.alloc(0), patchType: '' };
  }
  if (response.patch.length > 0 && !hasPatchType) throw new Error('webhook returned response.patch but not response.patchType');
  if (response.patch.length === 0 && hasPatchType) throw new Error('webhook returned response.patchType but not response.patch');
  if (hasPatchType && response.patchType === '') throw new Error('webhook returned invalid response.patchType of ""');
  return { ...common, patch: response.patch, patchType: response.patchType ?? '' };
}
