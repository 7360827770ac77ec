/** What the delegated authenticator, authorizer and guard share. */
import type { NonResourceAttributes, ResourceAttributes } from '../../api/authorization/index.js';
import type { RestClient } from '../rest.js';

/** Who made a request, as the apiserver would tell it (a TokenReview's user, a certificate's subject). */
export interface User {
  username: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** What a request asks to do: a SubjectAccessReview's attributes, exactly one of the two. */
export type AccessAttributes = { resourceAttributes: ResourceAttributes; nonResourceAttributes?: undefined } | { nonResourceAttributes: NonResourceAttributes; resourceAttributes?: undefined };

/** The decision of the authorizer; `reason` is the apiserver's, when it gave one. */
export interface AccessDecision {
  allowed: boolean;
  reason: string;
}

/** The part of a `Client` the reviews are posted through (a fake in tests). */
export interface ReviewClient {
  rest: Pick<RestClient, 'requestRaw'>;
}

export const anonymousUser: Readonly<User> = Object.freeze({ username: 'system:anonymous', groups: Object.freeze(['system:unauthenticated']) as string[] });
export const authenticatedGroup = 'system:authenticated';
export const unauthenticatedGroup = 'system:unauthenticated';
