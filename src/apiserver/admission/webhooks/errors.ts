/**
 * The two ways a webhook call goes wrong, as upstream tells them apart: the
 * webhook could not be asked or answered nonsense (CallingWebhookError — the
 * webhook's failurePolicy decides), or it answered no (a StatusError built
 * from its status — the request is refused whatever the policy).
 */
import { isPlainObject } from '../../../machinery/object.js';
import { errors, StatusError, type StatusDetails } from '../../../machinery/status.js';

/** A transport or protocol failure; with failurePolicy Fail it becomes a 500 with this message. */
export class CallingWebhookError extends Error {
  constructor(
    readonly webhookName: string,
    readonly reason: string,
  ) {
    super(`failed calling webhook ${JSON.stringify(webhookName)}: ${reason}`);
    this.name = 'CallingWebhookError';
  }
}

/** The status a webhook returns with `allowed: false`, as far as it is well formed. */
export interface WebhookResult {
  code?: unknown;
  status?: unknown;
  reason?: unknown;
  message?: unknown;
  details?: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** HTTP codes a response can carry; a webhook's odd code is kept within what a client can read. */
function rejectionCode(code: unknown): number {
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 400) return 400;
  return code > 599 ? 500 : code;
}

function detailsOf(details: unknown): StatusDetails | undefined {
  if (!isPlainObject(details)) return undefined;
  const out: StatusDetails = {};
  for (const key of ['name', 'group', 'kind', 'uid'] as const) if (typeof details[key] === 'string' && details[key]) out[key] = details[key] as string;
  if (typeof details.retryAfterSeconds === 'number' && Number.isInteger(details.retryAfterSeconds) && details.retryAfterSeconds > 0) out.retryAfterSeconds = details.retryAfterSeconds;
  if (Array.isArray(details.causes)) {
    out.causes = details.causes.filter(isPlainObject).map((cause) => {
      const c: { reason?: string; message?: string; field?: string } = {};
      if (typeof cause.reason === 'string') c.reason = cause.reason;
      if (typeof cause.message === 'string') c.message = cause.message;
      if (typeof cause.field === 'string') c.field = cause.field;
      return c;
    });
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A denial as the client sees it: the webhook's status with its message
 * prefixed `admission webhook "<name>" denied the request`; a code under 400
 * becomes 400 (upstream's default: the webhook libraries send 403 themselves).
 */
export function rejectionStatus(webhookName: string, result: WebhookResult | undefined): StatusError {
  const deniedBy = `admission webhook ${JSON.stringify(webhookName)} denied the request`;
  const given = result ?? {};
  const message = text(given.message) ? `${deniedBy}: ${text(given.message)}` : text(given.reason) ? `${deniedBy}: ${text(given.reason)}` : `${deniedBy} without explanation`;
  const error = new StatusError(rejectionCode(given.code), text(given.reason), message, detailsOf(given.details));
  if (!text(given.reason)) delete error.status.reason;
  return error;
}

export function dryRunUnsupported(webhookName: string): StatusError {
  return errors.badRequest(`admission webhook ${JSON.stringify(webhookName)} does not support dry run`);
}

/** A failure upstream reports as an internal error (a patch that cannot be decoded or applied). */
export function internalError(err: unknown): StatusError {
  if (err instanceof StatusError && err.code === 500) return err;
  return errors.internal(err instanceof Error ? err.message : String(err));
}
