/**
 * authentication.k8s.io/v1 SelfSubjectReview: "who am I?" (`kubectl auth
 * whoami`). Creating one stores nothing; the answer is the review with the
 * requester's user info in its status.
 */
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import type { ResourceType, ReviewContext } from '../resource.js';

export interface SelfSubjectReview extends KubeObject {
  status?: { userInfo: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } };
}

const V1 = 'io.k8s.api.authentication.v1';

const UserInfoSchema = s.object(`${V1}.UserInfo`, 'Who a user is, as the authenticators found.', {
  username: s.string('The name that uniquely identifies this user among all active users.'),
  uid: s.string('A unique value that identifies this user across time.'),
  groups: s.array(s.string(), 'The names of groups this user is a part of.', { listType: 'atomic' }),
  extra: s.map(s.array(s.string()), 'Any additional information provided by the authenticator.'),
});

export const SelfSubjectReviewSchema = kindSchema({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'SelfSubjectReview',
  definitionName: `${V1}.SelfSubjectReview`,
  description: 'Returns the user attributes the apiserver has for the current user. When using impersonation, users receive the user info of the user being impersonated.',
  fields: {
    status: s.object(`${V1}.SelfSubjectReviewStatus`, 'Filled in by the server with the user attributes.', { userInfo: UserInfoSchema }),
  },
});

export const selfsubjectreviews: ResourceType<SelfSubjectReview> = {
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'SelfSubjectReview',
  resource: 'selfsubjectreviews',
  singular: 'selfsubjectreview',
  namespaced: false,
  verbs: ['create'],
  schema: SelfSubjectReviewSchema,
  review(object: SelfSubjectReview, { requester }: ReviewContext): SelfSubjectReview {
    const userInfo: NonNullable<SelfSubjectReview['status']>['userInfo'] = { username: requester.username, groups: [...requester.groups] };
    if (requester.uid) userInfo.uid = requester.uid;
    if (requester.extra && Object.keys(requester.extra).length > 0) userInfo.extra = requester.extra;
    return { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: { ...object.metadata, creationTimestamp: null as unknown as undefined }, status: { userInfo } };
  },
};
