/**
 * What admission plugins may say besides yes or no: warnings for the client
 * and annotations for the audit event of the request.
 */
import type { RequestContext } from '../context.js';
import { addWarning } from '../http.js';
import { addAuditAnnotation } from '../audit/event.js';

export function admissionReporting(ctx: RequestContext): { warn(text: string): void; annotate(key: string, value: string): void } {
  return {
    warn: (text) => addWarning(ctx.res, text),
    annotate: (key, value) => {
      if (ctx.audit) addAuditAnnotation(ctx.audit.event, key, value);
    },
  };
}
