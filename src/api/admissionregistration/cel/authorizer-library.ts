/**
 * The CEL `authorizer` library (upstream's k8s.io/apiserver/pkg/cel/library
 * authz.go): expressions ask the apiserver's authorizers about the request's
 * user, or a service account —
 *
 *   authorizer.group('apps').resource('deployments').namespace('ns').name('x').check('delete').allowed()
 *   authorizer.path('/healthz').check('get').reason()
 *   authorizer.serviceAccount('ns', 'sa').group('').resource('pods').check('list').errored()
 *   authorizer.requestResource.check('update')   // the request's own resource, namespace and name
 *
 * The authorizers answer asynchronously, CEL evaluation is synchronous: a
 * check whose answer is not known yet records the question and answers "not
 * allowed" for now; the evaluator then asks the authorizers and runs the
 * expression again (evaluate.ts). Answers are kept for the whole request, as
 * upstream's caching authorizer does, so each question is asked once.
 *
 * A check costs 350,000 (upstream's fixed cost): a third check in one
 * expression is over the per-expression limit.
 */
import type { Environment } from '@marcbachmann/cel-js';
import type { RequestAttributes } from '../../rbac/authorize.js';
import type { ReviewedUser } from '../../resource.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../../machinery/validation.js';
import { CostLimitExceeded, perCallLimit } from '../../../machinery/cel/cost.js';

export type AuthorizeFunction = (attributes: RequestAttributes, user: ReviewedUser) => Promise<{ decision: 'allow' | 'deny' | 'no-opinion'; reason: string }>;

/** Upstream's fixed cost of one authorization check. */
export const authorizationCheckCost = 350_000;

/** One running program: what its checks cost so far. */
export interface CostFrame {
  checks: number;
}

/**
 * The authorizer state of one admission request: the answers known, the
 * questions still to ask, and the cost frame of the program running now.
 */
export class AuthorizationSession {
  private readonly answers = new Map<string, Decision>();
  private readonly pending = new Map<string, { attributes: RequestAttributes; user: ReviewedUser }>();
  /** Questions that had no answer yet, over the whole session (a program that saw one must run again). */
  misses = 0;
  frame: CostFrame | undefined;

  constructor(private readonly authorize: AuthorizeFunction) {}

  decide(attributes: RequestAttributes, user: ReviewedUser): Decision {
    if (this.frame) {
      this.frame.checks++;
      if (this.frame.checks * authorizationCheckCost > perCallLimit) throw new CostLimitExceeded();
    }
    const key = JSON.stringify([user.name, user.groups, user.uid ?? '', user.extra ?? {}, attributes]);
    const known = this.answers.get(key);
    if (known) return known;
    this.misses++;
    this.pending.set(key, { attributes, user });
    return new Decision('no-opinion', '', undefined);
  }

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Asks the authorizers every pending question; a failing authorizer is an errored decision. */
  async resolvePending(): Promise<void> {
    const questions = [...this.pending];
    this.pending.clear();
    await Promise.all(
      questions.map(async ([key, { attributes, user }]) => {
        try {
          const { decision, reason } = await this.authorize(attributes, user);
          this.answers.set(key, new Decision(decision, reason, undefined));
        } catch (err) {
          this.answers.set(key, new Decision('no-opinion', '', (err as Error)?.message ?? String(err)));
        }
      }),
    );
  }
}

export class CelAuthorizer {
  constructor(
    readonly session: AuthorizationSession,
    readonly user: ReviewedUser,
    /** `authorizer.requestResource`; only the request's own authorizer has one. */
    readonly requestResource?: ResourceCheck,
  ) {}
}

export class PathCheck {
  constructor(readonly authorizer: CelAuthorizer, readonly path: string) {}
}

export class GroupCheck {
  constructor(readonly authorizer: CelAuthorizer, readonly group: string) {}
}

export class ResourceCheck {
  constructor(
    readonly authorizer: CelAuthorizer,
    readonly group: string,
    readonly resource: string,
    readonly subresource = '',
    readonly namespace = '',
    readonly name = '',
    readonly fieldSelector = '',
    readonly labelSelector = '',
  ) {}

  with(change: Partial<Pick<ResourceCheck, 'subresource' | 'namespace' | 'name' | 'fieldSelector' | 'labelSelector'>>): ResourceCheck {
    const next = { ...this, ...change };
    return new ResourceCheck(this.authorizer, next.group, next.resource, next.subresource, next.namespace, next.name, next.fieldSelector, next.labelSelector);
  }
}

export class Decision {
  constructor(
    readonly decision: 'allow' | 'deny' | 'no-opinion',
    readonly reason: string,
    readonly error: string | undefined,
  ) {}
}

const A = 'kubernetes.authorization.Authorizer';
const P = 'kubernetes.authorization.PathCheck';
const G = 'kubernetes.authorization.GroupCheck';
const R = 'kubernetes.authorization.ResourceCheck';
const D = 'kubernetes.authorization.Decision';
export const authorizerTypeName = A;

/** The user a service account authenticates as (upstream's ServiceAccountInfo.UserInfo). */
function serviceAccountUser(namespace: string, name: string): ReviewedUser {
  return { name: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] };
}

/** Declares the library's types and functions on an environment. */
export function declareAuthorizerLibrary(env: Environment): void {
  env
    .registerType(R, { ctor: ResourceCheck, fields: {} } as never)
    .registerType(A, { ctor: CelAuthorizer, fields: { requestResource: R } } as never)
    .registerType(P, { ctor: PathCheck, fields: {} } as never)
    .registerType(G, { ctor: GroupCheck, fields: {} } as never)
    .registerType(D, { ctor: Decision, fields: {} } as never);
  env
    .registerFunction(`${A}.path(string): ${P}`, (a: CelAuthorizer, path: string) => {
      if (path.trim() === '') throw new Error('path must not be empty');
      return new PathCheck(a, path);
    })
    .registerFunction(`${A}.group(string): ${G}`, (a: CelAuthorizer, group: string) => new GroupCheck(a, group))
    .registerFunction(`${A}.serviceAccount(string, string): ${A}`, (a: CelAuthorizer, namespace: string, name: string) => {
      if (isDNS1123Subdomain(name).length > 0) throw new Error('Invalid service account name');
      if (isDNS1123Label(namespace).length > 0) throw new Error('Invalid service account namespace');
      return new CelAuthorizer(a.session, serviceAccountUser(namespace, name));
    })
    .registerFunction(`${G}.resource(string): ${R}`, (g: GroupCheck, resource: string) => {
      if (resource.trim() === '') throw new Error('resource must not be empty');
      return new ResourceCheck(g.authorizer, g.group, resource);
    })
    .registerFunction(`${R}.subresource(string): ${R}`, (r: ResourceCheck, subresource: string) => r.with({ subresource }))
    .registerFunction(`${R}.namespace(string): ${R}`, (r: ResourceCheck, namespace: string) => r.with({ namespace }))
    .registerFunction(`${R}.name(string): ${R}`, (r: ResourceCheck, name: string) => r.with({ name }))
    // Selectors are accepted as upstream's library does; skiff's authorizers (RBAC, Node) do not read them.
    .registerFunction(`${R}.fieldSelector(string): ${R}`, (r: ResourceCheck, fieldSelector: string) => r.with({ fieldSelector }))
    .registerFunction(`${R}.labelSelector(string): ${R}`, (r: ResourceCheck, labelSelector: string) => r.with({ labelSelector }))
    .registerFunction(`${P}.check(string): ${D}`, (p: PathCheck, verb: string) =>
      p.authorizer.session.decide({ verb, resourceRequest: false, path: p.path }, p.authorizer.user),
    )
    .registerFunction(`${R}.check(string): ${D}`, (r: ResourceCheck, verb: string) =>
      r.authorizer.session.decide(
        { verb, resourceRequest: true, apiGroup: r.group, apiVersion: '*', resource: r.resource, subresource: r.subresource, namespace: r.namespace, name: r.name },
        r.authorizer.user,
      ),
    )
    .registerFunction(`${D}.allowed(): bool`, (d: Decision) => d.decision === 'allow')
    .registerFunction(`${D}.reason(): string`, (d: Decision) => d.reason)
    .registerFunction(`${D}.errored(): bool`, (d: Decision) => d.error !== undefined)
    .registerFunction(`${D}.error(): string`, (d: Decision) => d.error ?? '');
}

/** The request's `authorizer` value: the user's, with `requestResource` the request's own resource. */
export function requestAuthorizer(
  session: AuthorizationSession,
  user: ReviewedUser,
  request: { group: string; resource: string; subresource: string; namespace: string; name: string },
): CelAuthorizer {
  const bare = new CelAuthorizer(session, user);
  const own = new ResourceCheck(bare, request.group, request.resource, request.subresource, request.namespace, request.name);
  return new CelAuthorizer(session, user, own);
}
