/**
 * What a policy's failures become, in upstream's words: the refusal of the
 * request (its first denial decides message, reason and code), the Warn
 * text, and the Audit annotation's JSON.
 */
import type { ValidatingAdmissionPolicyBinding } from '../../../api/admissionregistration/policies.js';
import { StatusError } from '../../../machinery/status.js';
import type { AdmissionAttributes } from '../chain.js';

export interface Denial {
  policy: string;
  /** Absent for errors of the policy itself (no binding involved). */
  binding?: string;
  message: string;
  /** The validation's reason; Invalid when unset. */
  reason?: string;
}

const codes: Record<string, number> = { Forbidden: 403, Unauthorized: 401, RequestEntityTooLarge: 413, Invalid: 422 };

/** The name upstream's admission errors give the object: its name, else its generateName, else `Unknown`. */
function objectName(attributes: AdmissionAttributes): string {
  if (attributes.name) return attributes.name;
  const object = attributes.object;
  return object?.metadata.name || object?.metadata.generateName || 'Unknown';
}

/** Upstream's admission Forbidden for the request (its resource and name), with `why`; another reason and code when given. */
export function admissionForbidden(attributes: AdmissionAttributes, why: string, reason = 'Forbidden', causes?: { message: string }[]): StatusError {
  const { group, resource } = attributes.type;
  const name = objectName(attributes);
  const qualified = group ? `${resource}.${group}` : resource;
  return new StatusError(codes[reason] ?? 422, reason, `${qualified} ${JSON.stringify(name)} is forbidden: ${why}`, {
    name,
    group: group || undefined,
    kind: resource,
    ...(causes ? { causes } : {}),
  });
}

/** The error refusing the request: Forbidden's wording with the reason (Invalid by default) and code of the denial. */
export function denialError(attributes: AdmissionAttributes, denial: Denial): StatusError {
  const inner = denial.binding
    ? `ValidatingAdmissionPolicy '${denial.policy}' with binding '${denial.binding}' denied request: ${denial.message}`
    : `ValidatingAdmissionPolicy '${denial.policy}' denied request: ${denial.message}`;
  return admissionForbidden(attributes, inner, denial.reason || 'Invalid', [{ message: inner }]);
}

export function warningText(policy: string, binding: string, message: string): string {
  return `Validation failed for ValidatingAdmissionPolicy '${policy}' with binding '${binding}': ${message}`;
}

export const validationFailureAnnotation = 'validation.policy.admission.k8s.io/validation_failure';

/** Go's encoding/json escapes these; audit consumers see the same bytes. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The Audit action's annotation value: a list (of one failure), keys in upstream's order. */
export function validationFailureValue(binding: ValidatingAdmissionPolicyBinding, expressionIndex: number, message: string): string {
  return goJson([
    {
      message,
      policy: binding.spec?.policyName ?? '',
      binding: binding.metadata.name ?? '',
      expressionIndex,
      validationActions: binding.spec?.validationActions ?? [],
    },
  ]);
}

/** Upstream's bound on a published audit annotation value. */
const maxAuditAnnotationValueLength = 10 * 1024;

/**
 * The audit annotations of one policy across its bindings: each key once,
 * distinct values joined by `, ` (several bindings' params may differ).
 */
export class AuditAnnotationCollector {
  private readonly values = new Map<string, string[]>();

  add(key: string, value: string): void {
    const bounded = value.length > maxAuditAnnotationValueLength ? value.slice(0, maxAuditAnnotationValueLength) : value;
    const known = this.values.get(key) ?? [];
    if (!known.includes(bounded)) this.values.set(key, [...known, bounded]);
  }

  publish(policy: string, attributes: AdmissionAttributes): void {
    for (const [key, values] of this.values) attributes.annotate?.(`${policy}/${key}`, values.join(', '));
  }
}
