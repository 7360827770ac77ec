/**
 * Applying a PATCH body to the current object, by content type: JSON patch,
 * JSON merge patch or strategic merge patch (built-in kinds only, driven by
 * the kind's schema). The result goes through field validation like a PUT body.
 */
import type { KubeObject } from '../../machinery/object.js';
import { isPlainObject } from '../../machinery/object.js';
import { errors } from '../../machinery/status.js';
import type { Schema } from '../../machinery/schema/types.js';
import { applyJsonPatch, applyMergePatchInPlace, applyStrategicMergePatchInPlace } from '../../machinery/patch/index.js';
import type { RequestContext } from '../context.js';
import { query } from '../context.js';
import { checkKind, fieldValidationOf, parseBody, validateFields } from './decode.js';
import { applyToObject } from '../field-manager.js';

export const patchTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** A PATCH body, parsed once and checked for its shape before any object is read. */
export interface DecodedPatch {
  contentType: string;
  patch: unknown;
  /** Duplicate field paths in the body, for field validation. */
  duplicates: string[];
}

export function decodePatch(ctx: RequestContext, body: Buffer): DecodedPatch {
  const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!patchTypes.includes(contentType)) throw errors.unsupportedMediaType(contentType);
  // Strategic merge needs Go structs' patch directives; custom resources have none (as upstream).
  if (ctx.type.customResource && contentType === 'application/strategic-merge-patch+json') {
    throw errors.unsupportedMediaType(contentType, 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
  }
  if (contentType === 'application/apply-patch+yaml' && !query(ctx, 'fieldManager')) {
    throw errors.badRequest('PATCH, application/apply-patch+yaml requests must have a fieldManager');
  }
  const { value: patch, duplicates } = parseBody(body, contentType, 'patch');
  if (contentType === 'application/merge-patch+json' && !isPlainObject(patch)) throw errors.badRequest('merge patch must be a JSON object');
  if (contentType === 'application/strategic-merge-patch+json' && !isPlainObject(patch)) throw errors.badRequest('strategic merge patch must be a JSON object');
  if (contentType === 'application/apply-patch+yaml' && !isPlainObject(patch)) throw errors.badRequest('apply patch must be an object');
  return { contentType, patch, duplicates };
}

/** Whether a patch is a server-side apply. */
export function isApply(decoded: DecodedPatch): boolean {
  return decoded.contentType === 'application/apply-patch+yaml';
}

/**
 * Applies a decoded patch to the current object, which the caller owns and
 * which is changed (guaranteedUpdate hands each round a private copy): copying
 * a megabyte object again would cost more than the patch. The result is
 * validated like a PUT body.
 */
export function applyDecodedPatch(ctx: RequestContext, current: KubeObject, decoded: DecodedPatch, schema: Schema = ctx.type.schema): KubeObject {
  const { patch } = decoded;
  let result: unknown;
  switch (decoded.contentType) {
    case 'application/json-patch+json':
      result = applyJsonPatch(current, patch);
      break;
    case 'application/merge-patch+json':
      result = applyMergePatchInPlace(current, patch);
      break;
    case 'application/strategic-merge-patch+json':
      result = applyStrategicMergePatchInPlace(current, patch, schema);
      break;
    case 'application/apply-patch+yaml':
      if (schema !== ctx.type.schema) {
        // An apply to a view of the object (a Scale) sets what it names, like a merge patch.
        result = applyMergePatchInPlace(current, patch);
        break;
      }
      return applyConfigurationTo(ctx, current, decoded);
  }
  if (!isPlainObject(result)) throw errors.badRequest('the patch did not produce an object');
  if (schema === ctx.type.schema) checkKind(ctx, result);
  validateFields(ctx, result, schema, decoded.duplicates, fieldValidationOf(ctx));
  return result as KubeObject;
}

/**
 * Server-side apply: the configuration is checked like a body (kind, unknown
 * and duplicate fields), then merged into the current object with field
 * ownership (field-manager.ts). `current` undefined: the apply creates.
 */
export function applyConfigurationTo(ctx: RequestContext, current: KubeObject | undefined, decoded: DecodedPatch): KubeObject {
  const config = structuredClone(decoded.patch) as Record<string, unknown>;
  // As sent (for kubectl's last-applied annotation), before the URL's name and namespace are filled in.
  const sent = structuredClone(decoded.patch) as KubeObject;
  checkKind(ctx, config);
  validateFields(ctx, config, ctx.type.schema, decoded.duplicates, fieldValidationOf(ctx));
  if (!isPlainObject(config.metadata)) config.metadata = {};
  const name = ctx.info.name!;
  const metadata = config.metadata as KubeObject['metadata'];
  if (metadata.name && metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${metadata.name}) does not match the name on the URL (${name})`);
  }
  metadata.name = name;
  if (ctx.type.namespaced && ctx.info.namespace) metadata.namespace = ctx.info.namespace;
  const merged = applyToObject(ctx, current, config as KubeObject, sent);
  validateFields(ctx, merged, ctx.type.schema, [], 'Ignore');
  return merged;
}
