/**
 * The RBAC authorizer: the pure decision of api/rbac/authorize.ts over the
 * Roles, ClusterRoles and bindings in the apiserver's watch caches. The
 * policy index is rebuilt only after one of them changed.
 *
 * Like upstream's, it reads caches rather than storage, so a grant may take a
 * moment to apply — except that a refusal first brings the caches up to the
 * store's revision and asks again: a binding created just before its first use
 * (what scripts and tests do) always counts. Revocations apply as soon as the
 * caches see them, as upstream.
 */
import { authorize, PolicyIndex, type RequestAttributes, type UserIdentity } from '../../api/rbac/authorize.js';
import type { ClusterRole, Role, RoleBinding } from '../../api/rbac/schema.js';
import type { WatchCache } from '../watch-cache.js';
import type { Authorizer, AuthorizerDecision, RuleList } from './authorizer.js';

export interface PolicyCaches {
  roles: WatchCache;
  clusterRoles: WatchCache;
  roleBindings: WatchCache;
  clusterRoleBindings: WatchCache;
}

export class RbacAuthorizer implements Authorizer {
  readonly name = 'RBAC';
  private index: PolicyIndex | undefined;

  private constructor(private readonly caches: PolicyCaches) {}

  /** Starts following the caches (they must be started). */
  static async over(caches: PolicyCaches): Promise<RbacAuthorizer> {
    const authorizer = new RbacAuthorizer(caches);
    const invalidate = () => (authorizer.index = undefined);
    await Promise.all(Object.values(caches).map((cache: WatchCache) => cache.subscribe(cache.revision, invalidate)));
    return authorizer;
  }

  /** The current policy, indexed. */
  policy(): PolicyIndex {
    if (!this.index) {
      const objects = <T>(cache: WatchCache) => cache.list().map((entry) => entry.object as T);
      this.index = new PolicyIndex({
        roles: objects<Role>(this.caches.roles),
        clusterRoles: objects<ClusterRole>(this.caches.clusterRoles),
        roleBindings: objects<RoleBinding>(this.caches.roleBindings),
        clusterRoleBindings: objects<RoleBinding>(this.caches.clusterRoleBindings),
      });
    }
    return this.index;
  }

  /** Brings every policy cache up to the store's current revision. */
  async sync(): Promise<void> {
    await Promise.all(Object.values(this.caches).map((cache: WatchCache) => cache.sync()));
  }

  async authorize(attributes: RequestAttributes, user: UserIdentity): Promise<AuthorizerDecision> {
    let answer = authorize(attributes, user, this.policy());
    if (!answer.allowed) {
      await this.sync();
      answer = authorize(attributes, user, this.policy());
    }
    // RBAC never denies: without a grant it has no opinion, and a later authorizer may still allow.
    return { decision: answer.allowed ? 'allow' : 'no-opinion', reason: answer.reason };
  }

  async rulesFor(user: UserIdentity, namespace: string): Promise<RuleList> {
    await this.sync();
    const { rules, missing } = this.policy().rulesFor(user, namespace || undefined);
    const list: RuleList = { resourceRules: [], nonResourceRules: [], incomplete: false, errors: missing };
    for (const rule of rules) {
      if ((rule.resources ?? []).length > 0) {
        list.resourceRules.push({ verbs: rule.verbs, apiGroups: rule.apiGroups ?? [], resources: rule.resources, ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}) });
      }
      if ((rule.nonResourceURLs ?? []).length > 0) list.nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs });
    }
    return list;
  }
}
