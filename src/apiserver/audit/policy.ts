/**
 * The audit.k8s.io/v1 Policy and its evaluation, as upstream's
 * k8s.io/apiserver/pkg/audit/policy checker: the first rule that matches a
 * request decides its level; the stages to omit are the policy's and the
 * rule's together; a rule's omitManagedFields overrides the policy's.
 * A request no rule matches is not audited (level None).
 */
import type { RequestAttributes } from '../../api/rbac/authorize.js';

export const auditGroup = 'audit.k8s.io';
export const auditVersion = 'v1';
export const auditApiVersion = `${auditGroup}/${auditVersion}`;

export type Level = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type Stage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

/** In upstream's order, which validation messages list them in. */
export const levels: readonly Level[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
export const stages: readonly Stage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

/** Whether `level` records at least what `minimum` records (upstream's Level.GreaterOrEqual). */
export function levelAtLeast(level: Level, minimum: Level): boolean {
  return levels.indexOf(level) >= levels.indexOf(minimum);
}

export interface GroupResources {
  /** The API group; `""` (or absent) is the core group. */
  group?: string;
  // `pods`, `pods/log`, `*` (all, with subresources), `pods/*` (its subresources), `*/scale`
  // (that subresource of any resource); empty means every resource of the group.
  resources?: string[];
  /** Needs resources; empty means every name. */
  resourceNames?: string[];
}

export interface PolicyRule {
  level: Level;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  /** `""` matches cluster-scoped resources. */
  namespaces?: string[];
  /** Paths of non-resource requests; a final `*` matches a prefix. */
  nonResourceURLs?: string[];
  omitStages?: Stage[];
  /** Overrides the policy's omitManagedFields when set. */
  omitManagedFields?: boolean;
}

export interface Policy {
  apiVersion: typeof auditApiVersion;
  kind: 'Policy';
  metadata?: Record<string, unknown>;
  rules: PolicyRule[];
  omitStages?: Stage[];
  omitManagedFields?: boolean;
}

/**
 * What the policy is asked about a request: the authorizer's attributes
 * (verb, resource or path) and the authenticated user — the one who made the
 * request, not one it impersonates. No user matches no users/userGroups rule.
 */
export interface AuditAttributes extends RequestAttributes {
  user?: { username: string; groups: string[] };
}

/** What the policy decided for one request (upstream's RequestAuditConfig). */
export interface RequestAuditConfig {
  level: Level;
  omitStages: Stage[];
  omitManagedFields: boolean;
}

/** The stages of every list, once each, in the stages' order. */
export function unionStages(...lists: (readonly Stage[] | undefined)[]): Stage[] {
  const wanted = new Set<Stage>();
  for (const list of lists) for (const stage of list ?? []) wanted.add(stage);
  return stages.filter((stage) => wanted.has(stage));
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

function ruleMatchesNonResource(rule: PolicyRule, attributes: AuditAttributes): boolean {
  if (attributes.resourceRequest) return false;
  const path = attributes.path ?? '';
  return (rule.nonResourceURLs ?? []).some((spec) => pathMatches(path, spec));
}

function ruleMatchesResource(rule: PolicyRule, attributes: AuditAttributes): boolean {
  if (!attributes.resourceRequest) return false;
  const namespaces = rule.namespaces ?? [];
  // Cluster-scoped requests have the empty namespace, which `""` in the rule names.
  if (namespaces.length > 0 && !namespaces.includes(attributes.namespace ?? '')) return false;
  const groupResources = rule.resources ?? [];
  if (groupResources.length === 0) return true;

  const group = attributes.apiGroup ?? '';
  const resource = attributes.resource ?? '';
  const subresource = attributes.subresource ?? '';
  const combined = subresource ? `${resource}/${subresource}` : resource;
  const name = attributes.name ?? '';
  for (const entry of groupResources) {
    if ((entry.group ?? '') !== group) continue;
    const resources = entry.resources ?? [];
    if (resources.length === 0) return true;
    const names = entry.resourceNames ?? [];
    if (names.length > 0 && !names.includes(name)) continue;
    for (const spec of resources) {
      if (spec === combined || spec === '*') return true;
      if (subresource && spec.startsWith('*/') && subresource === spec.slice(2)) return true;
      if (spec.endsWith('/*') && resource === spec.slice(0, -2)) return true;
    }
  }
  return false;
}

/** Whether every field the rule sets matches the request (an empty field matches everything). */
export function ruleMatches(rule: PolicyRule, attributes: AuditAttributes): boolean {
  const user = attributes.user;
  if ((rule.users ?? []).length > 0 && (!user || !rule.users!.includes(user.username))) return false;
  if ((rule.userGroups ?? []).length > 0 && (!user || !user.groups.some((group) => rule.userGroups!.includes(group)))) return false;
  if ((rule.verbs ?? []).length > 0 && !rule.verbs!.includes(attributes.verb)) return false;
  // A rule with namespaces or resources is about resources only; validation keeps nonResourceURLs apart.
  if ((rule.namespaces ?? []).length > 0 || (rule.resources ?? []).length > 0) return ruleMatchesResource(rule, attributes);
  if ((rule.nonResourceURLs ?? []).length > 0) return ruleMatchesNonResource(rule, attributes);
  return true;
}

/** The level, omitted stages and managed-fields choice for a request: the first matching rule decides. */
export function levelFor(policy: Pick<Policy, 'rules' | 'omitStages' | 'omitManagedFields'>, attributes: AuditAttributes): RequestAuditConfig {
  for (const rule of policy.rules) {
    if (ruleMatches(rule, attributes)) {
      return {
        level: rule.level,
        omitStages: unionStages(policy.omitStages, rule.omitStages),
        omitManagedFields: rule.omitManagedFields ?? policy.omitManagedFields ?? false,
      };
    }
  }
  return { level: 'None', omitStages: unionStages(policy.omitStages), omitManagedFields: policy.omitManagedFields ?? false };
}

/**
 * The policy `skiff up` uses when no --audit-policy-file is given: every
 * request at Metadata (who did what to which object, and the answer's code),
 * without the RequestReceived stage, which would double the log for little.
 * (Upstream records nothing without a policy file; skiff audits by default.)
 */
export const defaultAuditPolicy: Policy = {
  apiVersion: auditApiVersion,
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [{ level: 'Metadata' }],
};

/** The default policy as a file, written to the data directory so an operator can start from it. */
export const defaultAuditPolicyYAML = `# The audit policy skiff uses when --audit-policy-file is not given.
# Every request is recorded at Metadata level; the RequestReceived stage is omitted.
apiVersion: ${auditApiVersion}
kind: Policy
omitStages:
  - RequestReceived
rules:
  - level: Metadata
`;
