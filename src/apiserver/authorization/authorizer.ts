/**
 * Authorization: may this user do this? Each authorizer allows, denies or has
 * no opinion; the chain asks them in order and the first that is not silent
 * decides, as upstream's union authorizer with `--authorization-mode=Node,RBAC`.
 * Members of system:masters are allowed everything before any mode is asked,
 * as upstream's privileged-group authorizer.
 */
import type { RequestAttributes, UserIdentity } from '../../api/rbac/authorize.js';
import { StatusError } from '../../machinery/status.js';
import { forbiddenReason } from '../../api/rbac/authorize.js';

export type Verdict = 'allow' | 'deny' | 'no-opinion';

export interface AuthorizerDecision {
  decision: Verdict;
  /** Why: what granted it, or why it was refused (added to the Forbidden message). */
  reason: string;
}

/** What an authorizer can say a user may do in a namespace (SelfSubjectRulesReview). */
export interface RuleList {
  resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
  nonResourceRules: { verbs: string[]; nonResourceURLs?: string[] }[];
  /** True when the authorizer allows things it cannot list. */
  incomplete: boolean;
  errors: string[];
}

export interface Authorizer {
  readonly name: string;
  authorize(attributes: RequestAttributes, user: UserIdentity): AuthorizerDecision | Promise<AuthorizerDecision>;
  /** The rules that apply to the user in a namespace; an authorizer without it lists none. */
  rulesFor?(user: UserIdentity, namespace: string): RuleList | Promise<RuleList>;
}

export const noRules = (): RuleList => ({ resourceRules: [], nonResourceRules: [], incomplete: false, errors: [] });

/** The group whose members may do anything (the admin certificate's). */
export const privilegedGroup = 'system:masters';

/** The modes of --authorization-mode. */
export const authorizationModes = ['AlwaysAllow', 'AlwaysDeny', 'Node', 'RBAC'] as const;
export type AuthorizationMode = (typeof authorizationModes)[number];
export const defaultAuthorizationModes: AuthorizationMode[] = ['Node', 'RBAC'];

export const alwaysAllow: Authorizer = {
  name: 'AlwaysAllow',
  authorize: () => ({ decision: 'allow', reason: '' }),
  rulesFor: () => ({ resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false, errors: [] }),
};
export const alwaysDeny: Authorizer = { name: 'AlwaysDeny', authorize: () => ({ decision: 'deny', reason: 'Everything is forbidden.' }) };

export class AuthorizerChain implements Authorizer {
  readonly name = 'union';
  constructor(private readonly authorizers: Authorizer[]) {}

  async authorize(attributes: RequestAttributes, user: UserIdentity): Promise<AuthorizerDecision> {
    if (user.groups.includes(privilegedGroup)) return { decision: 'allow', reason: '' };
    const reasons: string[] = [];
    for (const authorizer of this.authorizers) {
      const answer = await authorizer.authorize(attributes, user);
      if (answer.decision !== 'no-opinion') return answer;
      if (answer.reason) reasons.push(answer.reason);
    }
    return { decision: 'no-opinion', reason: reasons.join('\n') };
  }

  /** Every authorizer's rules together, as upstream's union rule resolver. */
  async rulesFor(user: UserIdentity, namespace: string): Promise<RuleList> {
    const all = noRules();
    for (const authorizer of this.authorizers) {
      if (!authorizer.rulesFor) continue;
      const rules = await authorizer.rulesFor(user, namespace);
      all.resourceRules.push(...rules.resourceRules);
      all.nonResourceRules.push(...rules.nonResourceRules);
      all.incomplete ||= rules.incomplete;
      all.errors.push(...rules.errors);
    }
    return all;
  }
}

/**
 * The 403 of a refused request, worded as upstream: `pods "x" is forbidden:
 * User "alice" cannot delete resource "pods" in API group "" in the namespace "team"`,
 * then `: <reason>` when an authorizer gave one.
 */
export function forbiddenError(attributes: RequestAttributes, user: UserIdentity, reason: string): StatusError {
  const why = `${forbiddenReason(attributes, user)}${reason ? `: ${reason}` : ''}`;
  if (!attributes.resourceRequest) return new StatusError(403, 'Forbidden', `forbidden: ${why}`, {});
  const group = attributes.apiGroup ?? '';
  const resource = attributes.resource ?? '';
  const qualified = group ? `${resource}.${group}` : resource;
  const name = attributes.name ?? '';
  return new StatusError(403, 'Forbidden', `${name ? `${qualified} "${name}"` : qualified} is forbidden: ${why}`, {
    name: name || undefined,
    group: group || undefined,
    kind: resource,
  });
}
