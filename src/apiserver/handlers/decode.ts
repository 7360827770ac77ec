/**
 * Decoding a request body into an object of the addressed kind, the way
 * upstream's decoder and field validation do: JSON or YAML; wrong JSON types
 * are a 400; unknown and duplicate fields are an error (Strict), a warning
 * (Warn, the server default) or silently dropped (Ignore).
 */
import { parse as parseYaml } from 'yaml';
import { errors } from '../../machinery/status.js';
import { isPlainObject, type KubeObject } from '../../machinery/object.js';
import type { Schema } from '../../machinery/schema/types.js';
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
import { decodeKubernetesProtobuf } from '../protobuf/decode.js';
import type { RequestContext } from '../context.js';
import { query } from '../context.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(ctx: RequestContext): FieldValidation {
  const value = query(ctx, 'fieldValidation');
  if (value === undefined || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${value}"`);
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
}

/** Parses JSON or YAML text; returns the value and any duplicate field paths. */
export function parseBody(body: Buffer, contentType: string | undefined): { value: unknown; duplicates: string[] } {
  const type = mediaType(contentType);
  if (body.length === 0) throw errors.badRequest('the request body is empty');
  if (type === 'application/vnd.kubernetes.protobuf') return { value: decodeKubernetesProtobuf(body).object, duplicates: [] };
  const text = body.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml' || type === 'text/yaml') {
    return parseYamlStrict(text);
  }
  if (type === 'application/json' || type.endsWith('+json') || type === '*/*' || type === '') return parseJsonStrict(text);
  throw errors.unsupportedMediaType(type);
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
  const typeErrors = checkTypes(value, schema);
  if (typeErrors.length > 0) throw errors.badRequest(formatTypeError(ctx.type.kind, ctx.type.version, typeErrors[0]));
  const problems = [
    ...duplicates.map((path) => `duplicate field "${path}"`),
    ...findUnknownFields(value, schema).map((path) => `unknown field "${path}"`),
  ];
  if (problems.length > 0) {
    if (mode === 'Strict') {
      const { kind, version } = ctx.type;
      throw errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${problems.join(', ')}`);
    }
    if (mode === 'Warn') for (const problem of problems) addWarning(ctx.res, problem);
  }
  pruneUnknownFields(value, schema);
  canonicalizeQuantities(value, schema);
}

/** Decodes a create/update body into an object of the request's kind. */
export function decodeObject(ctx: RequestContext, body: Buffer): KubeObject {
  const { value, duplicates } = parseBody(body, ctx.req.headers['content-type']);
  if (!isPlainObject(value)) throw errors.badRequest(`${ctx.type.kind} in version "${ctx.type.version}" cannot be handled as a ${ctx.type.kind}: the body must be a JSON object`);
  checkKind(ctx, value);
  validateFields(ctx, value, ctx.type.schema, duplicates, fieldValidationOf(ctx));
  const object = value as KubeObject;
  if (!isPlainObject(object.metadata)) object.metadata = {};
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
