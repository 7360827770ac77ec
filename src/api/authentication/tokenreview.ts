/**
 * authentication.k8s.io/v1 TokenReview: "whose token is this?" — how a
 * component that serves its own HTTPS (a node agent's kubelet endpoint, the
 * scheduler's and controller manager's /metrics) authenticates a bearer
 * token it was shown: it asks the apiserver, which runs the token through
 * its own authenticators. Creating one stores nothing.
 *
 * Audiences, as upstream: a review that names none asks for the apiserver's
 * own (the service account issuer); a token counts only for an audience it
 * was issued for (a JWT's `aud`; other tokens are for the apiserver's).
 */
import type { KubeObject } from '../../machinery/object.js';
import { errors } from '../../machinery/status.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import type { Requester, ResourceType, ReviewContext } from '../resource.js';

export interface TokenReview extends KubeObject {
  spec?: { token?: string; audiences?: string[] };
  status?: {
    authenticated?: boolean;
    user?: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
    audiences?: string[];
    error?: string;
  };
}

const V1 = 'io.k8s.api.authentication.v1';

export const TokenReviewSchema = kindSchema({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'TokenReview',
  definitionName: `${V1}.TokenReview`,
  description: 'TokenReview attempts to authenticate a token to a known user. Note: TokenReview requests may be cached by the webhook token authenticator plugin in the kube-apiserver.',
  fields: {
    spec: s.object(`${V1}.TokenReviewSpec`, 'Spec holds information about the request being evaluated', {
      token: s.string('Token is the opaque bearer token.'),
      audiences: s.array(s.string(), 'Audiences is a list of the identifiers that the resource server presented with the token identifies as.', { listType: 'atomic' }),
    }),
    status: s.object(`${V1}.TokenReviewStatus`, 'Status is filled in by the server and indicates whether the request can be authenticated.', {
      authenticated: s.boolean('Authenticated indicates that the token was associated with a known user.'),
      user: s.object(`${V1}.UserInfo`, 'User is the UserInfo associated with the provided token.', {
        username: s.string('The name that uniquely identifies this user among all active users.'),
        uid: s.string('A unique value that identifies this user across time.'),
        groups: s.array(s.string(), 'The names of groups this user is a part of.', { listType: 'atomic' }),
        extra: s.map(s.array(s.string()), 'Any additional information provided by the authenticator.'),
      }),
      audiences: s.array(s.string(), 'Audiences are audience identifiers chosen by the authenticator that are compatible with both the TokenReview and token.', { listType: 'atomic' }),
      error: s.string("Error indicates that the token couldn't be checked"),
    }),
  },
});

/** The audiences a token was issued for: a JWT's `aud` claim (verified by the authenticator that accepted it). */
function tokenAudiences(token: string, apiAudiences: string[]): string[] {
  const parts = token.split('.');
  if (parts.length !== 3) return apiAudiences;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { aud?: unknown };
    if (typeof claims.aud === 'string') return [claims.aud];
    if (Array.isArray(claims.aud) && claims.aud.every((a) => typeof a === 'string')) return claims.aud as string[];
  } catch {
    /* not a JWT after all */
  }
  return apiAudiences;
}

function userOf(requester: Requester): NonNullable<NonNullable<TokenReview['status']>['user']> {
  return {
    username: requester.username,
    ...(requester.uid ? { uid: requester.uid } : {}),
    groups: [...requester.groups],
    ...(requester.extra && Object.keys(requester.extra).length ? { extra: requester.extra } : {}),
  };
}

export const tokenreviews: ResourceType<TokenReview> = {
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'TokenReview',
  resource: 'tokenreviews',
  singular: 'tokenreview',
  namespaced: false,
  verbs: ['create'],
  schema: TokenReviewSchema,
  async review(object: TokenReview, { tokens }: ReviewContext): Promise<TokenReview> {
    const token = object.spec?.token ?? '';
    if (!token) throw errors.badRequest('token is required for TokenReview in authentication');
    const answer = (status: NonNullable<TokenReview['status']>): TokenReview => ({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: { ...object.metadata, creationTimestamp: null as unknown as undefined },
      spec: object.spec,
      status,
    });
    if (!tokens) return answer({ authenticated: false, user: { username: '' }, error: 'token authentication is not available' });
    const wanted = object.spec?.audiences?.length ? object.spec.audiences : tokens.audiences;
    const user = await tokens.authenticate(token);
    if (!user) return answer({ authenticated: false, user: { username: '' }, error: 'invalid bearer token' });
    const held = tokenAudiences(token, tokens.audiences);
    const audiences = wanted.filter((audience) => held.includes(audience));
    if (!audiences.length) return answer({ authenticated: false, user: { username: '' }, error: `token audiences ${JSON.stringify(held)} is invalid for the target audiences ${JSON.stringify(wanted)}` });
    return answer({ authenticated: true, user: userOf(user), audiences });
  },
};
