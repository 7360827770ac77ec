/**
 * One call of one webhook, shared by both phases: the dry-run check, the
 * AdmissionReview out, the answer checked, its audit annotations and
 * warnings passed on, a denial turned into the webhook's status. What the
 * answer's patch does is the mutating phase's business.
 */
import { randomUUID } from 'node:crypto';
import type https from 'node:https';
import type { Webhook } from '../../../api/admissionregistration/index.js';
import { isQualifiedName } from '../../../machinery/validation.js';
import type { ServiceResolver } from '../../conversion-webhook.js';
import { ClientConfigError, postAdmissionReview } from './client.js';
import { CallingWebhookError, dryRunUnsupported, rejectionStatus } from './errors.js';
import { buildAdmissionReview, decodeAdmissionReview, reviewVersionFor, verifyAdmissionResponse, type AdmissionResponse, type DecodedReview } from './review.js';
import type { VersionedObjects, WebhookRequest } from './versions.js';

/** Upstream's default and largest timeoutSeconds. */
export const defaultTimeoutSeconds = 10;
export const maxTimeoutSeconds = 30;

export interface WebhookEvent {
  msg: string;
  [key: string]: unknown;
}

/** What every call needs besides the webhook and the request. */
export interface CallEnvironment {
  resolveService: ServiceResolver;
  agent: https.Agent;
  log(event: WebhookEvent): void;
}

function timeoutOf(webhook: Webhook): number {
  const seconds = webhook.timeoutSeconds;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds)) return defaultTimeoutSeconds;
  return Math.min(Math.max(seconds, 1), maxTimeoutSeconds);
}

/** Audit annotation keys must be `<prefix>/<name>` qualified names; others are dropped with a log line, as upstream. */
function annotate(request: WebhookRequest, webhook: Webhook, response: AdmissionResponse, env: CallEnvironment): void {
  for (const [key, value] of Object.entries(response.auditAnnotations)) {
    const annotation = `${webhook.name}/${key}`;
    if (annotation.split('/').length !== 2 || isQualifiedName(annotation).length > 0) {
      env.log({ msg: 'invalid audit annotation from webhook', v: 2, webhook: webhook.name, key: annotation });
      continue;
    }
    request.attributes.annotate?.(annotation, value);
  }
  for (const warning of response.warnings) request.attributes.warn?.(warning);
}

/**
 * Calls the webhook; resolves to its answer when it allowed the request.
 * Throws CallingWebhookError (failurePolicy decides) or a StatusError (the
 * request is refused: a denial, a dry run the webhook cannot take).
 */
export async function callWebhook(webhook: Webhook, request: WebhookRequest, versioned: VersionedObjects, mutating: boolean, env: CallEnvironment): Promise<AdmissionResponse> {
  const name = webhook.name;
  if (request.attributes.dryRun) {
    if (webhook.sideEffects === undefined || webhook.sideEffects === null) throw new CallingWebhookError(name, 'Webhook SideEffects is nil');
    if (webhook.sideEffects !== 'None' && webhook.sideEffects !== 'NoneOnDryRun') throw dryRunUnsupported(name);
  }
  const version = reviewVersionFor(webhook.admissionReviewVersions);
  if (!version) throw new CallingWebhookError(name, 'could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)');
  const uid = randomUUID();
  const body = JSON.stringify(buildAdmissionReview(version, uid, request, versioned));
  let answer: DecodedReview;
  try {
    answer = decodeAdmissionReview(
      await postAdmissionReview({ clientConfig: webhook.clientConfig ?? {}, body, timeoutSeconds: timeoutOf(webhook), resolveService: env.resolveService, agent: env.agent }),
    );
  } catch (err) {
    const message = (err as Error).message;
    if (err instanceof ClientConfigError) throw new CallingWebhookError(name, `could not get REST client: ${message}`);
    throw new CallingWebhookError(name, `failed to call webhook: ${message}`);
  }
  let response: AdmissionResponse;
  try {
    response = verifyAdmissionResponse(version, uid, mutating, answer);
  } catch (err) {
    throw new CallingWebhookError(name, `received invalid webhook response: ${(err as Error).message}`);
  }
  annotate(request, webhook, response, env);
  if (!response.allowed) throw rejectionStatus(name, response.result);
  return response;
}
