/** SelfSubjectReview (kubectl auth whoami): the review answered for its requester. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { selfsubjectreviews } from './selfsubjectreview.js';
import type { AccessReviewer, Requester, ReviewContext } from '../resource.js';

const noAccess: AccessReviewer = { authorize: () => Promise.reject(new Error('not asked')), rules: () => Promise.reject(new Error('not asked')) };
const review = (requester: Requester): ReviewContext => ({ requester, access: noAccess });

it("answers with the requester's user info, uid and extra only when there are some", async () => {
  assert.deepEqual((await selfsubjectreviews.review!({ metadata: {} }, review({ username: 'alice', groups: ['devs', 'system:authenticated'] }))).status, {
    userInfo: { username: 'alice', groups: ['devs', 'system:authenticated'] },
  });
  assert.deepEqual((await selfsubjectreviews.review!({ metadata: {} }, review({ username: 'bob', groups: [], uid: 'u1', extra: { scopes: ['a'] } }))).status, {
    userInfo: { username: 'bob', groups: [], uid: 'u1', extra: { scopes: ['a'] } },
  });
});
