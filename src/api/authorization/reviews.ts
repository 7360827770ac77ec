/**
 * The access reviews: creating one stores nothing; the answer is the review
 * with its status filled in by the apiserver's authorizers.
 *
 * - SelfSubjectAccessReview: may I? (`kubectl auth can-i`)
 * - SubjectAccessReview: may this user? (what an aggregated server or a node
 *   agent asks on behalf of its callers)
 * - LocalSubjectAccessReview: the same, limited to one namespace, so a
 *   namespace admin may ask it
 * - SelfSubjectRulesReview: what may I do here? (`kubectl auth can-i --list`)
 */
import type { KubeObject } from '../../machinery/object.js';
import { errors, field, type FieldErrorLike } from '../../machinery/status.js';
import type { RequestAttributes } from '../rbac/authorize.js';
import type { ResourceType, ReviewContext, ReviewedUser } from '../resource.js';
import {
  AUTHORIZATION_GROUP,
  LocalSubjectAccessReviewSchema,
  SelfSubjectAccessReviewSchema,
  SelfSubjectRulesReviewSchema,
  SubjectAccessReviewSchema,
  type NonResourceAttributes,
  type ResourceAttributes,
  type SelfSubjectAccessReview,
  type SelfSubjectRulesReview,
  type SubjectAccessReview,
} from './schema.js';

/** Whether metadata holds nothing but the keys allowed (clients send `creationTimestamp: null`). */
function metadataIsEmpty(metadata: KubeObject['metadata'] | undefined, except: string[] = []): boolean {
  return Object.entries(metadata ?? {}).every(([key, value]) => except.includes(key) || value === null || value === undefined || value === '' || (typeof value === 'object' && Object.keys(value).length === 0));
}

/** Exactly one of resourceAttributes and nonResourceAttributes (upstream's wording and paths). */
function attributeErrors(spec: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: NonResourceAttributes } | undefined): FieldErrorLike[] {
  if (spec?.resourceAttributes && spec.nonResourceAttributes) {
    return [field.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes')];
  }
  if (!spec?.resourceAttributes && !spec?.nonResourceAttributes) {
    return [field.invalid('spec.resourceAttributes', 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified')];
  }
  return [];
}

/** What a review's spec asks, as the authorizers take a request. */
export function attributesOf(spec: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: NonResourceAttributes }): RequestAttributes {
  const resource = spec.resourceAttributes;
  if (resource) {
    return {
      verb: resource.verb ?? '',
      resourceRequest: true,
      apiGroup: resource.group ?? '',
      apiVersion: resource.version ?? '',
      resource: resource.resource ?? '',
      subresource: resource.subresource ?? '',
      name: resource.name ?? '',
      namespace: resource.namespace ?? '',
    };
  }
  return { verb: spec.nonResourceAttributes?.verb ?? '', resourceRequest: false, path: spec.nonResourceAttributes?.path ?? '' };
}

/** The review as sent, with the authorizers' answer as its status. */
async function answer<T extends SubjectAccessReview | SelfSubjectAccessReview>(review: T, kind: string, user: ReviewedUser, context: ReviewContext): Promise<T> {
  const { decision, reason } = await context.access.authorize(attributesOf(review.spec), user);
  const status: NonNullable<T['status']> = { allowed: decision === 'allow' } as NonNullable<T['status']>;
  if (decision === 'deny') status.denied = true;
  if (reason) status.reason = reason;
  return { ...review, apiVersion: `${AUTHORIZATION_GROUP}/v1`, kind, metadata: { ...review.metadata, creationTimestamp: null as unknown as undefined }, status };
}

function invalid(kind: string, errorsFound: FieldErrorLike[]): void {
  if (errorsFound.length > 0) throw errors.invalid(AUTHORIZATION_GROUP, kind, '', errorsFound);
}

/** The user a SubjectAccessReview asks about. */
function subjectOf(review: SubjectAccessReview): ReviewedUser {
  const { user, groups, uid, extra } = review.spec;
  return { name: user ?? '', groups: groups ?? [], ...(uid ? { uid } : {}), ...(extra ? { extra } : {}) };
}

function subjectErrors(review: SubjectAccessReview): FieldErrorLike[] {
  const errorsFound = attributeErrors(review.spec);
  if (!review.spec?.user && !(review.spec?.groups ?? []).length) errorsFound.push(field.invalid('spec.user', review.spec?.user ?? '', 'at least one of user or group must be specified'));
  return errorsFound;
}

const requesterAsUser = (context: ReviewContext): ReviewedUser => ({
  name: context.requester.username,
  groups: context.requester.groups,
  ...(context.requester.uid ? { uid: context.requester.uid } : {}),
  ...(context.requester.extra ? { extra: context.requester.extra } : {}),
});

export const selfsubjectaccessreviews: ResourceType<SelfSubjectAccessReview> = {
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  kind: 'SelfSubjectAccessReview',
  resource: 'selfsubjectaccessreviews',
  singular: 'selfsubjectaccessreview',
  namespaced: false,
  verbs: ['create'],
  schema: SelfSubjectAccessReviewSchema,
  async review(object, context) {
    const errorsFound = attributeErrors(object.spec);
    if (!metadataIsEmpty(object.metadata)) errorsFound.unshift(field.invalid('metadata', object.metadata, 'must be empty'));
    invalid('SelfSubjectAccessReview', errorsFound);
    return answer(object, 'SelfSubjectAccessReview', requesterAsUser(context), context);
  },
};

export const subjectaccessreviews: ResourceType<SubjectAccessReview> = {
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  kind: 'SubjectAccessReview',
  resource: 'subjectaccessreviews',
  singular: 'subjectaccessreview',
  namespaced: false,
  verbs: ['create'],
  schema: SubjectAccessReviewSchema,
  async review(object, context) {
    const errorsFound = subjectErrors(object);
    if (!metadataIsEmpty(object.metadata)) errorsFound.unshift(field.invalid('metadata', object.metadata, 'must be empty'));
    invalid('SubjectAccessReview', errorsFound);
    return answer(object, 'SubjectAccessReview', subjectOf(object), context);
  },
};

export const localsubjectaccessreviews: ResourceType<SubjectAccessReview> = {
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  kind: 'LocalSubjectAccessReview',
  resource: 'localsubjectaccessreviews',
  singular: 'localsubjectaccessreview',
  namespaced: true,
  verbs: ['create'],
  schema: LocalSubjectAccessReviewSchema,
  async review(object, context) {
    const namespace = context.namespace ?? '';
    if (!namespace) throw errors.badRequest('namespace is required on this type: ');
    if (object.metadata?.namespace && object.metadata.namespace !== namespace) throw errors.badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
    const errorsFound = subjectErrors(object);
    if (!metadataIsEmpty(object.metadata, ['namespace'])) errorsFound.unshift(field.invalid('metadata', object.metadata, 'must be empty except for namespace'));
    if (object.spec?.resourceAttributes && (object.spec.resourceAttributes.namespace ?? '') !== namespace) {
      errorsFound.push(field.invalid('spec.resourceAttributes.namespace', object.spec.resourceAttributes.namespace ?? '', 'must match metadata.namespace'));
    }
    if (object.spec?.nonResourceAttributes) errorsFound.push(field.invalid('spec.nonResourceAttributes', object.spec.nonResourceAttributes, 'disallowed on this kind of request'));
    invalid('LocalSubjectAccessReview', errorsFound);
    return answer(object, 'LocalSubjectAccessReview', subjectOf(object), context);
  },
};

export const selfsubjectrulesreviews: ResourceType<SelfSubjectRulesReview> = {
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  kind: 'SelfSubjectRulesReview',
  resource: 'selfsubjectrulesreviews',
  singular: 'selfsubjectrulesreview',
  namespaced: false,
  verbs: ['create'],
  schema: SelfSubjectRulesReviewSchema,
  async review(object, context) {
    const namespace = object.spec?.namespace ?? '';
    if (!namespace) throw errors.badRequest('no namespace on request');
    const rules = await context.access.rules(requesterAsUser(context), namespace);
    const status: NonNullable<SelfSubjectRulesReview['status']> = { resourceRules: rules.resourceRules, nonResourceRules: rules.nonResourceRules, incomplete: rules.incomplete };
    if (rules.evaluationError) status.evaluationError = rules.evaluationError;
    return { ...object, apiVersion: `${AUTHORIZATION_GROUP}/v1`, kind: 'SelfSubjectRulesReview', metadata: { ...object.metadata, creationTimestamp: null as unknown as undefined }, status };
  },
};
