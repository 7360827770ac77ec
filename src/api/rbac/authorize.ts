/**
 * RBAC's decision, as a pure function: does any binding that names the user
 * (or one of their groups, or their service account) refer to a role with a
 * rule that covers the request? Rules match as upstream's do:
 *
 * - verbs, API groups and resources match exactly or by `*`;
 * - a subresource is `resource/subresource`, matched whole, or by `*`
 *   followed by `/subresource` (any resource's); `*` covers every resource
 *   and subresource;
 * - resourceNames, when given, limit the rule to those names (a request
 *   without a name — list, create — is not covered);
 * - non-resource URLs match exactly, or by a prefix ending in `*`.
 *
 * RoleBindings grant only in their namespace; ClusterRoleBindings
 * everywhere. The apiserver's authorization chain (issue 14) reads the
 * policy from its watch caches and asks this.
 */
import type { ClusterRole, PolicyRule, Role, RoleBinding, Subject } from './schema.js';

/** What a request asks to do (upstream's authorizer.Attributes). */
export interface RequestAttributes {
  verb: string;
  /** A resource request (`/api`, `/apis`), or a non-resource one (`/healthz`, `/metrics`). */
  resourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  namespace?: string;
  /** The URL path of a non-resource request. */
  path?: string;
}

export interface UserIdentity {
  name: string;
  groups: string[];
}

/** The RBAC objects a decision reads. */
export interface Policy {
  roles: Role[];
  clusterRoles: ClusterRole[];
  roleBindings: RoleBinding[];
  clusterRoleBindings: RoleBinding[];
}

const matchesOrStar = (values: string[] | undefined, wanted: string) => (values ?? []).some((value) => value === '*' || value === wanted);

function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((candidate) => candidate === '*' || candidate === combined || (subresource !== undefined && candidate === `*/${subresource}`));
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((pattern) => pattern === '*' || pattern === path || (pattern.endsWith('*') && path.startsWith(pattern.slice(0, -1))));
}

/** Whether one rule covers the request (upstream's RuleAllows). */
export function ruleAllows(attributes: RequestAttributes, rule: PolicyRule): boolean {
  if (!matchesOrStar(rule.verbs, attributes.verb)) return false;
  if (!attributes.resourceRequest) return nonResourceURLMatches(rule, attributes.path ?? '');
  if (!matchesOrStar(rule.apiGroups, attributes.apiGroup ?? '')) return false;
  if (!resourceMatches(rule, attributes.resource ?? '', attributes.subresource || undefined)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (attributes.name !== undefined && attributes.name !== '' && names.includes(attributes.name));
}

/** Whether a binding's subject is this user (upstream's appliesToUser). */
export function subjectMatches(subject: Subject, user: UserIdentity, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      // A RoleBinding's service account without a namespace is of the binding's namespace.
      const namespace = subject.namespace || bindingNamespace || '';
      return user.name === `system:serviceaccount:${namespace}:${subject.name}`;
    }
    default:
      return false;
  }
}

/** A binding and the kind it is (a RoleBinding grants only in its namespace). */
interface IndexedBinding {
  binding: RoleBinding;
  kind: 'ClusterRoleBinding' | 'RoleBinding';
}

/**
 * The policy arranged for answering many requests: roles by name, and
 * bindings by the users and groups they name, so a decision reads only the
 * bindings that could apply to the requester rather than all of them.
 */
export class PolicyIndex {
  private readonly clusterRoles = new Map<string, ClusterRole>();
  private readonly roles = new Map<string, Role>();
  /** `u:<name>` and `g:<group>` → the bindings naming that subject (a service account is its user name). */
  private readonly bySubject = new Map<string, IndexedBinding[]>();

  constructor(policy: Policy) {
    for (const role of policy.clusterRoles) this.clusterRoles.set(role.metadata.name!, role);
    for (const role of policy.roles) this.roles.set(`${role.metadata.namespace}/${role.metadata.name}`, role);
    for (const binding of policy.clusterRoleBindings) this.indexBinding({ binding, kind: 'ClusterRoleBinding' });
    for (const binding of policy.roleBindings) this.indexBinding({ binding, kind: 'RoleBinding' });
  }

  private indexBinding(entry: IndexedBinding): void {
    const namespace = entry.kind === 'RoleBinding' ? entry.binding.metadata.namespace : undefined;
    const keys = new Set<string>();
    for (const subject of entry.binding.subjects ?? []) {
      if (subject.kind === 'User') keys.add(`u:${subject.name}`);
      else if (subject.kind === 'Group') keys.add(`g:${subject.name}`);
      else if (subject.kind === 'ServiceAccount') keys.add(`u:system:serviceaccount:${subject.namespace || namespace || ''}:${subject.name}`);
    }
    for (const key of keys) {
      const list = this.bySubject.get(key);
      if (list) list.push(entry);
      else this.bySubject.set(key, [entry]);
    }
  }

  /** The bindings that name this user, in a namespace (undefined: cluster-wide ones only), cluster bindings first. */
  bindingsFor(user: UserIdentity, namespace: string | undefined): IndexedBinding[] {
    const seen = new Set<IndexedBinding>();
    for (const key of [`u:${user.name}`, ...user.groups.map((group) => `g:${group}`)]) {
      for (const entry of this.bySubject.get(key) ?? []) {
        if (entry.kind === 'RoleBinding' && entry.binding.metadata.namespace !== namespace) continue;
        seen.add(entry);
      }
    }
    return [...seen].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'ClusterRoleBinding' ? -1 : 1));
  }

  /** The rules a binding grants; undefined when its role does not exist. */
  rulesOf(binding: RoleBinding): PolicyRule[] | undefined {
    const ref = binding.roleRef;
    if (ref.kind === 'ClusterRole') return this.clusterRoles.get(ref.name)?.rules ?? undefined;
    if (ref.kind === 'Role') return this.roles.get(`${binding.metadata.namespace}/${ref.name}`)?.rules ?? undefined;
    return undefined;
  }

  /** Every rule that applies to the user in a namespace (SelfSubjectRulesReview), and the bindings whose role is missing. */
  rulesFor(user: UserIdentity, namespace: string | undefined): { rules: PolicyRule[]; missing: string[] } {
    const rules: PolicyRule[] = [];
    const missing: string[] = [];
    for (const { binding, kind } of this.bindingsFor(user, namespace)) {
      const granted = this.rulesOf(binding);
      if (granted) rules.push(...granted);
      else missing.push(`${kind} "${binding.metadata.name}": ${binding.roleRef.kind}.rbac.authorization.k8s.io "${binding.roleRef.name}" not found`);
    }
    return { rules, missing };
  }
}

export interface Decision {
  allowed: boolean;
  /** What granted it (`RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "z"`), for audit and reviews. */
  reason: string;
}

/** RBAC's answer for a request by `user` (upstream's RBACAuthorizer.Authorize, without the diagnostics of missing roles). */
export function authorize(attributes: RequestAttributes, user: UserIdentity, policy: Policy | PolicyIndex): Decision {
  const index = policy instanceof PolicyIndex ? policy : new PolicyIndex(policy);
  for (const { binding, kind } of index.bindingsFor(user, attributes.namespace || undefined)) {
    const namespace = kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
    const rules = index.rulesOf(binding);
    if (!rules?.some((rule) => ruleAllows(attributes, rule))) continue;
    const subject = (binding.subjects ?? []).find((candidate) => subjectMatches(candidate, user, namespace))!;
    const where = namespace ? ` in namespace "${namespace}"` : '';
    return {
      allowed: true,
      reason: `RBAC: allowed by ${kind} "${binding.metadata.name}"${where} of ${binding.roleRef.kind} "${binding.roleRef.name}" to ${subject.kind} "${subject.name}"`,
    };
  }
  return { allowed: false, reason: '' };
}

/** Upstream's wording of a refusal, after `<resource> "<name>" is forbidden: ` (or `forbidden: ` for a path). */
export function forbiddenReason(attributes: RequestAttributes, user: UserIdentity): string {
  if (!attributes.resourceRequest) return `User "${user.name}" cannot ${attributes.verb} path "${attributes.path ?? ''}"`;
  const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
  const scope = attributes.namespace ? `in the namespace "${attributes.namespace}"` : 'at the cluster scope';
  return `User "${user.name}" cannot ${attributes.verb} resource "${resource}" in API group "${attributes.apiGroup ?? ''}" ${scope}`;
}
