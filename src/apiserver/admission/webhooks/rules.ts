/**
 * Whether a webhook rule (operations, apiGroups, apiVersions, resources,
 * scope) covers a request, as upstream's rules matcher decides it; and the
 * admission configuration kinds no webhook ever sees, so that a broken
 * webhook can always be removed.
 */
import type { Rule } from '../../../api/admissionregistration/common.js';
import { isNamespacesResource, type GroupVersionKind, type GroupVersionResource } from './versions.js';

/** The parts of a request a rule looks at. */
export interface RuleSubject {
  operation: string;
  resource: GroupVersionResource;
  subresource: string;
  /** `''` for cluster-scoped objects; a namespace's own name for namespaces. */
  namespace: string;
}

function exactOrWildcard(items: readonly string[] | undefined, requested: string): boolean {
  return (items ?? []).some((item) => item === '*' || item === requested);
}

/** Namespaces are cluster-scoped even though their requests carry a namespace (their own name). */
export function scopeMatches(scope: string | undefined, subject: RuleSubject): boolean {
  if (scope === undefined || scope === '*') return true;
  const namespaces = isNamespacesResource(subject.resource) && subject.resource.version === 'v1';
  if (scope === 'Namespaced') return !namespaces && subject.namespace !== '';
  if (scope === 'Cluster') return namespaces || subject.namespace === '';
  return false;
}

export function operationMatches(operations: readonly string[] | undefined, operation: string): boolean {
  return (operations ?? []).some((op) => op === '*' || op === operation);
}

/** `pods` is the main resource only, `pods/*` the resource and every subresource, `*\/status` status of all. */
export function resourceMatches(resources: readonly string[] | undefined, resource: string, subresource: string): boolean {
  return (resources ?? []).some((entry) => {
    const slash = entry.indexOf('/');
    const res = slash < 0 ? entry : entry.slice(0, slash);
    const sub = slash < 0 ? '' : entry.slice(slash + 1);
    return (res === '*' || res === resource) && (sub === '*' || sub === subresource);
  });
}

export function ruleMatches(rule: Rule, subject: RuleSubject): boolean {
  return (
    scopeMatches(rule.scope, subject) &&
    operationMatches(rule.operations, subject.operation) &&
    exactOrWildcard(rule.apiGroups, subject.resource.group) &&
    exactOrWildcard(rule.apiVersions, subject.resource.version) &&
    resourceMatches(rule.resources, subject.resource.resource, subject.subresource)
  );
}

const exemptKinds = new Set([
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
]);

/** Requests on webhook configurations and admission policies are never sent to webhooks. */
export function isExemptConfigurationKind(kind: GroupVersionKind): boolean {
  return kind.group === 'admissionregistration.k8s.io' && exemptKinds.has(kind.kind);
}
