import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tokenreviews, type TokenReview } from './tokenreview.js';
import type { ReviewContext } from '../resource.js';

const apiAudience = 'https://kubernetes.default.svc.cluster.local';
const jwt = (aud: string[]) => `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ aud })).toString('base64url')}.sig`;
const known = new Map([
  ['static-token', { username: 'alice', groups: ['dev', 'system:authenticated'] }],
  [jwt([apiAudience, 'vault']), { username: 'system:serviceaccount:monitoring:prometheus', uid: 'u1', groups: ['system:serviceaccounts', 'system:authenticated'], extra: { 'authentication.kubernetes.io/credential-id': ['JTI=x'] } }],
]);
const context = { requester: { username: 'node', groups: [] }, access: {} as ReviewContext['access'], tokens: { audiences: [apiAudience], authenticate: async (token: string) => known.get(token) } } satisfies ReviewContext;
const review = (spec: TokenReview['spec']) => tokenreviews.review!({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec }, context) as Promise<TokenReview>;

describe('TokenReview', () => {
  const cases: { name: string; spec: TokenReview['spec']; status: TokenReview['status'] }[] = [
    { name: 'a static token, for the apiserver', spec: { token: 'static-token' }, status: { authenticated: true, user: { username: 'alice', groups: ['dev', 'system:authenticated'] }, audiences: [apiAudience] } },
    {
      name: "a service account token for an audience it holds",
      spec: { token: jwt([apiAudience, 'vault']), audiences: ['vault', 'other'] },
      status: { authenticated: true, user: { username: 'system:serviceaccount:monitoring:prometheus', uid: 'u1', groups: ['system:serviceaccounts', 'system:authenticated'], extra: { 'authentication.kubernetes.io/credential-id': ['JTI=x'] } }, audiences: ['vault'] },
    },
    { name: 'a static token is for the apiserver only', spec: { token: 'static-token', audiences: ['vault'] }, status: { authenticated: false, user: { username: '' }, error: `token audiences ["${apiAudience}"] is invalid for the target audiences ["vault"]` } },
    { name: 'an unknown token', spec: { token: 'nope' }, status: { authenticated: false, user: { username: '' }, error: 'invalid bearer token' } },
  ];
  for (const { name, spec, status } of cases) {
    it(name, async () => assert.deepEqual((await review(spec)).status, status));
  }

  it('refuses a review without a token (400)', async () => {
    await assert.rejects(review({}), (err: { status?: { code?: number } }) => err.status?.code === 400);
  });
});
