/**
 * RBAC's escalation prevention, as upstream's policy-based role and binding
 * storage: a user may write a Role or ClusterRole only with permissions they
 * hold themselves (or with the `escalate` verb on it), and may bind a role
 * only when they hold all of its permissions (or the `bind` verb on it).
 * Members of system:masters are exempt. A ClusterRole with an aggregationRule
 * takes every permission (its rules come from other roles).
 */
import type { RequestAttributes, UserIdentity } from '../../api/rbac/authorize.js';
import { compactRules, covers } from '../../api/rbac/covers.js';
import type { ClusterRole, PolicyRule, RoleBinding, RoleRef } from '../../api/rbac/schema.js';
import type { KubeObject } from '../../machinery/object.js';
import { errors, StatusError } from '../../machinery/status.js';
import { privilegedGroup } from '../authorization/authorizer.js';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.js';

/** What the check reads: the authorizers (for escalate and bind) and RBAC's rules. */
export interface EscalationChecks {
  /** Whether the authorizers allow the request. */
  allowed(attributes: RequestAttributes, user: UserIdentity): Promise<boolean>;
  /** The rules RBAC gives the user in a namespace ('' for cluster-wide ones only), and bindings whose role is missing. */
  rulesFor(user: UserIdentity, namespace: string): Promise<{ rules: PolicyRule[]; missing: string[] }>;
  /** The rules of a binding's role, or a NotFound for a role that does not exist. */
  roleRules(roleRef: RoleRef, namespace: string | undefined): Promise<PolicyRule[]>;
}

const everything: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

/** A rule as upstream prints a missing one: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["create"]}`. */
export function compactString(rule: PolicyRule): string {
  const quoted = (values: string[]) => `[${values.map((value) => JSON.stringify(value)).join(' ')}]`;
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${quoted(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${quoted(rule.resources)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${quoted(rule.nonResourceURLs)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${quoted(rule.resourceNames)}`);
  if (rule.verbs?.length) parts.push(`Verbs:${quoted(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Upstream's ConfirmNoEscalation: the reason when the user lacks some of `rules`, undefined when they hold them all. */
export async function missingPermissions(checks: EscalationChecks, user: UserIdentity, namespace: string, rules: PolicyRule[]): Promise<string | undefined> {
  const owned = await checks.rulesFor(user, namespace);
  const { covered, uncovered } = covers(owned.rules, rules);
  if (covered) return undefined;
  const missing = compactRules(uncovered).map(compactString).sort();
  let message = `user ${JSON.stringify(user.name)} (groups=[${user.groups.map((group) => JSON.stringify(group)).join(' ')}]) is attempting to grant RBAC permissions not currently held:\n${missing.join('\n')}`;
  if (owned.missing.length > 0) message += `; resolution errors: [${owned.missing.join(' ')}]`;
  return message;
}

/** Whether an update changes nothing but what garbage collection may (ownerReferences, finalizers). */
function onlyGarbageCollectionFields(object: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { resourceVersion: _rv, ownerReferences: _owners, finalizers: _finalizers, managedFields: _managed, generation: _generation, ...metadata } = o.metadata;
    return JSON.stringify({ ...o, metadata });
  };
  return strip(object) === strip(old);
}

export function rbacEscalationPrevention(checks: EscalationChecks): AdmissionPlugin {
  return {
    name: 'RBACEscalationPrevention',
    async validate(a: AdmissionAttributes) {
      if (a.type.group !== 'rbac.authorization.k8s.io' || (a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !a.object) return;
      const user: UserIdentity = { name: a.user.username, groups: a.user.groups };
      if (user.groups.includes(privilegedGroup)) return;
      if (a.operation === 'UPDATE' && a.oldObject && onlyGarbageCollectionFields(a.object, a.oldObject)) return;
      const name = a.object.metadata.name ?? '';
      const namespace = a.type.namespaced ? (a.namespace ?? '') : '';
      const forbidden = (why: string) => errors.forbidden(a.type.group, a.type.resource, name, why);
      switch (a.type.resource) {
        case 'roles':
        case 'clusterroles': {
          const escalate = await checks.allowed({ verb: 'escalate', resourceRequest: true, apiGroup: a.type.group, resource: a.type.resource, namespace, name }, user);
          if (escalate) return;
          const role = a.object as ClusterRole;
          if (a.type.resource === 'clusterroles' && role.aggregationRule) {
            if (await missingPermissions(checks, user, '', everything)) throw forbidden('must have cluster-admin privileges to use the aggregationRule');
            return;
          }
          const why = await missingPermissions(checks, user, namespace, role.rules ?? []);
          if (why) throw forbidden(why);
          return;
        }
        case 'rolebindings':
        case 'clusterrolebindings': {
          const binding = a.object as RoleBinding;
          const ref = binding.roleRef;
          const roleResource = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
          const bind = await checks.allowed({ verb: 'bind', resourceRequest: true, apiGroup: 'rbac.authorization.k8s.io', resource: roleResource, namespace, name: ref.name }, user);
          if (bind) return;
          let rules: PolicyRule[];
          try {
            rules = await checks.roleRules(ref, namespace || undefined);
          } catch (err) {
            if (err instanceof StatusError) throw err;
            throw forbidden((err as Error).message);
          }
          const why = await missingPermissions(checks, user, namespace, rules);
          if (why) throw forbidden(why);
          return;
        }
      }
    },
  };
}
