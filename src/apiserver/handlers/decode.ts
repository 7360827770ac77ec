/**
 * Decoding a request body into an object of the addressed kind, the way
 * upstream's decoder and field validation do: JSON or YAML; wrong JSON types
 * are a 400; unknown and duplicate fields are an error (Strict), a warning
 * (Warn, the server default) or silently dropped (Ignore).
 */
import { logRequestObject } from '../audit/event-objects.js';
import { parse as parseYaml } from 'yaml';
import { errors } from '../../machinery/status.js';
import { isPlainObject, type KubeObject } from '../../machinery/object.js';
import type { Schema } from '../../machinery/schema/types.js';
import { ObjectMetaSchema } from '../../machinery/schema/meta.js';
import { pruneCustomResource } from '../../machinery/schema/structural.js';
import {
  checkTypes,
  findUnknownFields,
  formatTypeError,
  parseJsonStrict,
  parseYamlStrict,
  pruneUnknownFields,
  canonicalizeQuantities,
} from '../../machinery/schema/validate.js';
import { addWarning } from '../http.js';
import { jsonNestingExceeds, maxYamlNestingDepth, valueNestingExceeds, yamlNestingExceeds } from './nesting-depth.js';
import type { RequestContext } from '../context.js';
import { query } from '../context.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(ctx: RequestContext): FieldValidation {
  const value = query(ctx, 'fieldValidation');
  if (value === undefined || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${value}"`);
}

const protobufMediaType = 'application/vnd.kubernetes.protobuf';

/**
 * The protobuf decoder (120 KiB of generated field tables) is loaded on the
 * first protobuf body, not with the server: kubectl sends JSON, and only
 * client-go programs that ask for protobuf need it. `handleResource` awaits
 * this before any handler runs, so `parseBody` can stay synchronous.
 */
let protobufDecoder: typeof import('../protobuf/decode.js') | undefined;

export async function loadDecoderFor(contentType: string | undefined): Promise<void> {
  if (protobufDecoder === undefined && mediaType(contentType) === protobufMediaType) protobufDecoder = await import('../protobuf/decode.js');
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
}

/**
 * Parses JSON, YAML or protobuf; returns the value and any duplicate field
 * paths. Before a parser runs, the body's nesting depth is checked with a
 * cheap scan (nesting-depth.ts): a deeper body is a 400, as upstream's
 * decoders answer, and never reaches the parsers or the recursive code after
 * them. `purpose` only chooses upstream's wording for a patch.
 */
export function parseBody(body: Buffer, contentType: string | undefined, purpose: 'object' | 'patch' = 'object'): { value: unknown; duplicates: string[] } {
  const type = mediaType(contentType);
  if (body.length === 0) throw errors.badRequest('the request body is empty');
  if (type === protobufMediaType) return { value: decodeProtobufBody(body), duplicates: [] };
  // The depth scans read the bytes, before the body is decoded to text at all.
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml' || type === 'text/yaml') {
    // kubectl and client-go send server-side apply bodies as JSON (JSON is YAML): read those as JSON,
    // a hundred times faster than the YAML parser, which needs a second for a megabyte of JSON.
    const asJson = firstByteIsBrace(body) && !jsonNestingExceeds(body) ? parseJsonIfValid(body) : undefined;
    if (asJson) return asJson;
    if (yamlNestingExceeds(body)) throw errors.badRequest(`error converting YAML to JSON: yaml: exceeded max depth of ${maxYamlNestingDepth}`);
    if (body.length > maxYamlBodyBytes) throw errors.requestEntityTooLarge(maxYamlBodyBytes);
    return parseYamlStrict(nonEmptyText(body));
  }
  if (type === 'application/json' || type.endsWith('+json') || type === '*/*' || type === '') {
    if (jsonNestingExceeds(body)) {
      throw errors.badRequest(purpose === 'patch' ? 'error decoding patch: exceeded max depth' : "couldn't get version/kind; json parse error: exceeded max depth");
    }
    return parseJsonStrict(nonEmptyText(body));
  }
  throw errors.unsupportedMediaType(type);
}

/**
 * Most bytes a body in YAML (not JSON) may have. The YAML parser runs on the
 * event loop at some hundred milliseconds a megabyte, during which no other
 * client is answered; JSON bodies keep the 3 MiB limit of every request.
 */
export const maxYamlBodyBytes = 1024 * 1024;

function firstByteIsBrace(body: Buffer): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b;
  }
  return false;
}

/** The body parsed as JSON, or undefined when it is not JSON (then it is YAML's to judge). */
function parseJsonIfValid(body: Buffer): { value: unknown; duplicates: string[] } | undefined {
  try {
    return parseJsonStrict(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function nonEmptyText(body: Buffer): string {
  const text = body.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty');
  return text;
}

/** A protobuf body's object; messages nest too (JSONSchemaProps, raw JSON inside), so the depth limit holds. */
function decodeProtobufBody(body: Buffer): unknown {
  if (protobufDecoder === undefined) throw new Error('the protobuf decoder was not loaded: call loadDecoderFor first');
  let object: unknown;
  try {
    object = protobufDecoder.decodeKubernetesProtobuf(body).object;
  } catch (err) {
    // Nesting deep enough to exhaust the decoder's stack is the same hostile input as below.
    if (!(err instanceof RangeError)) throw err;
    throw errors.badRequest('the body of the request could not be decoded as protobuf: exceeded max depth');
  }
  if (valueNestingExceeds(object)) throw errors.badRequest('the body of the request could not be decoded as protobuf: exceeded max depth');
  return object;
}

/**
 * Checks a decoded value against the kind's schema and applies field validation.
 * `kindName` is the kind in the request URL's version, for upstream's messages.
 */
export function validateFields(
  ctx: RequestContext,
  value: unknown,
  schema: Schema,
  duplicates: string[],
  mode: FieldValidation,
): void {
  if (ctx.type.customResource && schema === ctx.type.schema) return pruneCustomResourceFields(ctx, value, ctx.type.customResource.structuralSchema, duplicates, mode);
  const typeErrors = checkTypes(value, schema);
  if (typeErrors.length > 0) throw errors.badRequest(formatTypeError(ctx.type.kind, ctx.type.version, typeErrors[0]));
  const problems = [
    ...duplicates.map((path) => `duplicate field "${path}"`),
    ...findUnknownFields(value, schema).map((path) => `unknown field "${path}"`),
  ];
  reportFieldProblems(ctx, problems, mode);
  pruneUnknownFields(value, schema);
  canonicalizeQuantities(value, schema);
}

/** Unknown and duplicate fields: an error under Strict, warnings under Warn, nothing under Ignore. */
function reportFieldProblems(ctx: RequestContext, problems: string[], mode: FieldValidation): void {
  if (problems.length === 0) return;
  if (mode === 'Strict') {
    const { kind, version } = ctx.type;
    throw errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${problems.join(', ')}`);
  }
  if (mode === 'Warn') for (const problem of problems) addWarning(ctx.res, problem);
}

/**
 * A custom resource's body: metadata is ObjectMeta as for every kind; the rest
 * is pruned by the CRD's structural schema. Wrong JSON types are left to the
 * schema's validation, which answers 422 as upstream does.
 */
function pruneCustomResourceFields(ctx: RequestContext, value: unknown, structural: Schema, duplicates: string[], mode: FieldValidation): void {
  const object = value as Record<string, unknown>;
  const unknown: string[] = [];
  if (object.metadata !== undefined) {
    const typeErrors = checkTypes(object.metadata, ObjectMetaSchema);
    if (typeErrors.length > 0) {
      const error = typeErrors[0];
      throw errors.badRequest(formatTypeError(ctx.type.kind, ctx.type.version, { ...error, path: error.path ? `metadata.${error.path}` : 'metadata' }));
    }
    unknown.push(...findUnknownFields(object.metadata, ObjectMetaSchema).map((path) => `metadata.${path}`));
    pruneUnknownFields(object.metadata, ObjectMetaSchema);
  }
  unknown.push(...pruneCustomResource(object, structural));
  reportFieldProblems(ctx, [...duplicates.map((path) => `duplicate field "${path}"`), ...unknown.map((path) => `unknown field "${path}"`)], mode);
}

/** Decodes a create/update body into an object of the request's kind. */
export function decodeObject(ctx: RequestContext, body: Buffer): KubeObject {
  const { value, duplicates } = parseBody(body, ctx.req.headers['content-type']);
  if (!isPlainObject(value)) throw errors.badRequest(`${ctx.type.kind} in version "${ctx.type.version}" cannot be handled as a ${ctx.type.kind}: the body must be a JSON object`);
  checkKind(ctx, value);
  validateFields(ctx, value, ctx.type.schema, duplicates, fieldValidationOf(ctx));
  const object = value as KubeObject;
  if (!isPlainObject(object.metadata)) object.metadata = {};
  if (ctx.audit) logRequestObject(ctx.audit.event, ctx.audit.config, object, { group: ctx.type.group, version: ctx.type.version, resource: ctx.type.resource, subresource: ctx.info.subresource });
  return object;
}

/** The body's apiVersion and kind, when given, must be the URL's. */
export function checkKind(ctx: RequestContext, value: Record<string, unknown>): void {
  const expectedApiVersion = ctx.type.group ? `${ctx.type.group}/${ctx.type.version}` : ctx.type.version;
  const { apiVersion, kind } = value;
  if (kind !== undefined && kind !== '' && kind !== ctx.type.kind) {
    throw errors.badRequest(
      `the kind "${String(kind)}" of the request body does not match the expected kind "${ctx.type.kind}" of resource "${ctx.type.resource}"`,
    );
  }
  if (apiVersion !== undefined && apiVersion !== '' && apiVersion !== expectedApiVersion) {
    throw errors.badRequest(
      `the API version in the data (${String(apiVersion)}) does not match the expected API version (${expectedApiVersion})`,
    );
  }
  value.apiVersion = expectedApiVersion;
  value.kind = ctx.type.kind;
}

export { parseYaml };
