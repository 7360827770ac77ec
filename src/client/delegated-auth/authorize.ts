/**
 * Delegated authorization, as upstream's DelegatingAuthorizerConfig and the
 * options kube-scheduler and kube-controller-manager build it with: members
 * of `alwaysAllowGroups` (system:masters) and requests for
 * `alwaysAllowPaths` are allowed without asking; anything else is asked of
 * the apiserver with a SubjectAccessReview, whose answer is kept
 * `allowTtlMs` when it allowed and `denyTtlMs` when it did not, in a
 * bounded cache. A review that could not be made rejects (the caller
 * answers 500, as upstream), and is not kept.
 */
import { createHash } from 'node:crypto';
import type { SubjectAccessReview } from '../../api/authorization/index.js';
import { subjectaccessreviews } from '../../api/authorization/index.js';
import { ExpiringLruCache, SharedLookups } from './expiring-lru.js';
import type { ReviewMetrics } from './metrics.js';
import { postReview } from './post-review.js';
import type { AccessAttributes, AccessDecision, ReviewClient, User } from './types.js';

/** The kubelet's defaults (`authorization.webhook.cacheAuthorizedTTL`, `cacheUnauthorizedTTL`). */
export const kubeletAuthorizationCacheTtls = { allowTtlMs: 5 * 60_000, denyTtlMs: 30_000 };
/** kube-scheduler's and kube-controller-manager's (`--authorization-webhook-cache-authorized-ttl`, `…-unauthorized-ttl`). */
export const componentAuthorizationCacheTtls = { allowTtlMs: 10_000, denyTtlMs: 10_000 };

/** Upstream's default AlwaysAllowGroups: the apiserver allows system:masters everything anyway. */
export const defaultAlwaysAllowGroups = ['system:masters'];

export const subjectAccessReviewPath = `/apis/${subjectaccessreviews.group}/${subjectaccessreviews.version}/${subjectaccessreviews.resource}`;

/** Upstream caches no answer about attributes this long in total (a bound on the memory a caller can make it use). */
const maxCachedAttributeLength = 10_000;

export interface DelegatedAuthorizerOptions {
  client: ReviewClient;
  /** How long an allowing answer is kept (default 5 min, the kubelet's). */
  allowTtlMs?: number;
  /** How long a refusing answer is kept (default 30 s, the kubelet's). */
  denyTtlMs?: number;
  /** How many answers are kept at most (default 8192, upstream's). */
  cacheSize?: number;
  /** Non-resource paths allowed to anyone: exact, or a prefix ending in `*` (none by default; components pass /healthz, /readyz, /livez). */
  alwaysAllowPaths?: string[];
  /** Groups whose members are allowed everything (default system:masters). */
  alwaysAllowGroups?: string[];
  /** How long one SubjectAccessReview may take (default 10 s). */
  requestTimeoutMs?: number;
  metrics?: ReviewMetrics;
  now?: () => number;
}

export interface DelegatedAuthorizer {
  authorize(user: User, attributes: AccessAttributes): Promise<AccessDecision>;
}

/** Upstream's path authorizer: `/healthz` matches itself, `/debug/*` every path under /debug/. */
export function pathMatcher(paths: string[]): (path: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of paths) {
    const path = raw.replace(/^\//, '');
    if (path === '') {
      exact.add(path);
      continue;
    }
    if (path.slice(0, -1).includes('*')) throw new Error(`only trailing * allowed in "${path}"`);
    if (path.endsWith('*')) prefixes.push(path.slice(0, -1));
    else exact.add(path);
  }
  return (requestPath) => {
    const path = requestPath.replace(/^\//, '');
    return exact.has(path) || prefixes.some((prefix) => path.startsWith(prefix));
  };
}

/** The review's spec in upstream's field order, empty fields left out: it is also the cache key. */
export function reviewSpec(user: User, attributes: AccessAttributes): SubjectAccessReview['spec'] {
  const spec: SubjectAccessReview['spec'] = {};
  if (attributes.resourceAttributes) {
    const { namespace, verb, group, version, resource, subresource, name } = attributes.resourceAttributes;
    spec.resourceAttributes = withoutEmpty({ namespace, verb, group, version, resource, subresource, name });
  } else {
    const { path, verb } = attributes.nonResourceAttributes;
    spec.nonResourceAttributes = withoutEmpty({ path, verb });
  }
  if (user.username) spec.user = user.username;
  if (user.groups.length) spec.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length) spec.extra = user.extra;
  if (user.uid) spec.uid = user.uid;
  return spec;
}

function withoutEmpty<T extends Record<string, string | undefined>>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value)) as T;
}

function attributeLength(attributes: AccessAttributes): number {
  const fields = attributes.resourceAttributes ?? attributes.nonResourceAttributes;
  return Object.values(fields).reduce((total, value) => total + (typeof value === 'string' ? value.length : 0), 0);
}

export function delegatedAuthorizer(options: DelegatedAuthorizerOptions): DelegatedAuthorizer {
  const allowTtlMs = options.allowTtlMs ?? kubeletAuthorizationCacheTtls.allowTtlMs;
  const denyTtlMs = options.denyTtlMs ?? kubeletAuthorizationCacheTtls.denyTtlMs;
  const alwaysAllowGroups = new Set(options.alwaysAllowGroups ?? defaultAlwaysAllowGroups);
  const alwaysAllowedPath = pathMatcher(options.alwaysAllowPaths ?? []);
  const cache = new ExpiringLruCache<NonNullable<SubjectAccessReview['status']>>(options.cacheSize ?? 8192, options.now);
  const lookups = new SharedLookups<NonNullable<SubjectAccessReview['status']>>();

  async function review(spec: SubjectAccessReview['spec'], cacheable: boolean): Promise<NonNullable<SubjectAccessReview['status']>> {
    const body: SubjectAccessReview = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec };
    const answer = await postReview<SubjectAccessReview>(options.client, subjectAccessReviewPath, body, { timeoutMs: options.requestTimeoutMs ?? 10_000, metrics: options.metrics });
    const status = { allowed: answer?.status?.allowed === true, ...(answer?.status?.denied ? { denied: true } : {}), reason: answer?.status?.reason ?? '' };
    if (cacheable) cache.set(key(spec), status, status.allowed ? allowTtlMs : denyTtlMs);
    return status;
  }

  // Kept under a hash of the spec: an entry costs the same however long the path or the user's groups.
  const key = (spec: SubjectAccessReview['spec']) => createHash('sha256').update(JSON.stringify(spec)).digest('base64');

  return {
    async authorize(user, attributes) {
      if (user.groups.some((group) => alwaysAllowGroups.has(group))) return { allowed: true, reason: '' };
      if (attributes.nonResourceAttributes && alwaysAllowedPath(attributes.nonResourceAttributes.path ?? '')) return { allowed: true, reason: '' };
      const spec = reviewSpec(user, attributes);
      const cacheKey = key(spec);
      const status = cache.get(cacheKey) ?? (await lookups.run(cacheKey, () => review(spec, attributeLength(attributes) < maxCachedAttributeLength)));
      if (status.allowed && status.denied) throw new Error('webhook subject access review returned both allow and deny response');
      return { allowed: status.allowed, reason: status.reason ?? '' };
    },
  };
}
