/**
 * Applying a PATCH body to the current object, by content type: JSON patch,
 * JSON merge patch or strategic merge patch (built-in kinds only, driven by
 * the kind's schema). The result goes through field validation like a PUT body.
 */
import type { KubeObject } from '../../machinery/object.js';
import { isPlainObject } from '../../machinery/object.js';
import { errors } from '../../machinery/status.js';
import type { Schema } from '../../machinery/schema/types.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../machinery/patch/index.js';
import type { RequestContext } from '../context.js';
import { query } from '../context.js';
import { checkKind, fieldValidationOf, parseBody, validateFields } from './decode.js';

export const patchTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

export function applyPatchBody(ctx: RequestContext, current: KubeObject, body: Buffer, schema: Schema = ctx.type.schema): KubeObject {
  const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!patchTypes.includes(contentType)) throw errors.unsupportedMediaType(contentType);
  const { value: patch, duplicates } = parseBody(body, contentType);
  let result: unknown;
  switch (contentType) {
    case 'application/json-patch+json':
      result = applyJsonPatch(current, patch);
      break;
    case 'application/merge-patch+json':
      if (!isPlainObject(patch)) throw errors.badRequest('merge patch must be a JSON object');
      result = applyMergePatch(current, patch);
      break;
    case 'application/strategic-merge-patch+json':
      if (!isPlainObject(patch)) throw errors.badRequest('strategic merge patch must be a JSON object');
      result = applyStrategicMergePatch(current, patch, schema);
      break;
    case 'application/apply-patch+yaml':
      if (!query(ctx, 'fieldManager')) throw errors.badRequest('PATCH, application/apply-patch+yaml requests must have a fieldManager');
      // Server-side apply comes with its field-ownership model in a later change;
      // until then an apply merges the applied configuration like a merge patch.
      if (!isPlainObject(patch)) throw errors.badRequest('apply patch must be an object');
      result = applyMergePatch(current, patch);
      break;
  }
  if (!isPlainObject(result)) throw errors.badRequest('the patch did not produce an object');
  if (schema === ctx.type.schema) checkKind(ctx, result);
  validateFields(ctx, result, schema, duplicates, fieldValidationOf(ctx));
  return result as KubeObject;
}
