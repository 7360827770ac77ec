/** SelfSubjectReview (kubectl auth whoami): the review answered for its requester. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { selfsubjectreviews } from './selfsubjectreview.js';

it("answers with the requester's user info, uid and extra only when there are some", () => {
  assert.deepEqual(selfsubjectreviews.review!({ metadata: {} }, { username: 'alice', groups: ['devs', 'system:authenticated'] }).status, {
    userInfo: { username: 'alice', groups: ['devs', 'system:authenticated'] },
  });
  assert.deepEqual(selfsubjectreviews.review!({ metadata: {} }, { username: 'bob', groups: [], uid: 'u1', extra: { scopes: ['a'] } }).status, {
    userInfo: { username: 'bob', groups: [], uid: 'u1', extra: { scopes: ['a'] } },
  });
});
