/** The access reviews (reviews.ts): validated as upstream, answered by the authorizers they are given. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessReviewer, ReviewContext, ReviewedUser } from '../resource.js';
import type { RequestAttributes } from '../rbac/authorize.js';
import { localsubjectaccessreviews, selfsubjectaccessreviews, selfsubjectrulesreviews, subjectaccessreviews } from './reviews.js';
import type { StatusError } from '../../machinery/status.js';

/** Allows alice to get pods in team; denies (explicitly) anything about secrets. */
const access: AccessReviewer & { asked: { attributes: RequestAttributes; user: ReviewedUser }[] } = {
  asked: [],
  async authorize(attributes, user) {
    this.asked.push({ attributes, user });
    if (attributes.resource === 'secrets') return { decision: 'deny', reason: 'secrets are off limits' };
    const allowed = user.name === 'alice' && attributes.verb === 'get' && attributes.resource === 'pods' && attributes.namespace === 'team';
    return { decision: allowed ? 'allow' : 'no-opinion', reason: allowed ? 'RBAC: allowed by RoleBinding "x"' : '' };
  },
  async rules(user, namespace) {
    return { resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: [`/${user.name}/${namespace}`] }], incomplete: false };
  },
};
const context = (extra: Partial<ReviewContext> = {}): ReviewContext => ({ requester: { username: 'alice', groups: ['system:authenticated'] }, access, ...extra });

describe('access reviews', () => {
  it('SelfSubjectAccessReview answers for the requester', async () => {
    const answer = await selfsubjectaccessreviews.review!({ metadata: {}, spec: { resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'team', name: 'web' } } }, context());
    assert.deepEqual(answer.status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "x"' });
    assert.equal(answer.kind, 'SelfSubjectAccessReview');
    assert.deepEqual(access.asked.at(-1)!.user, { name: 'alice', groups: ['system:authenticated'] });
    assert.deepEqual(access.asked.at(-1)!.attributes, { verb: 'get', resourceRequest: true, apiGroup: '', apiVersion: '', resource: 'pods', subresource: '', name: 'web', namespace: 'team' });
  });

  it('says denied only when an authorizer said no', async () => {
    const secrets = await selfsubjectaccessreviews.review!({ metadata: {}, spec: { resourceAttributes: { verb: 'get', resource: 'secrets' } } }, context());
    assert.deepEqual(secrets.status, { allowed: false, denied: true, reason: 'secrets are off limits' });
    const path = await selfsubjectaccessreviews.review!({ metadata: {}, spec: { nonResourceAttributes: { verb: 'get', path: '/metrics' } } }, context());
    assert.deepEqual(path.status, { allowed: false });
    assert.deepEqual(access.asked.at(-1)!.attributes, { verb: 'get', resourceRequest: false, path: '/metrics' });
  });

  it('SubjectAccessReview answers for the subject in its spec', async () => {
    const answer = await subjectaccessreviews.review!({ metadata: {}, spec: { user: 'bob', groups: ['devs'], uid: 'u', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'team' } } }, context());
    assert.equal(answer.status?.allowed, false);
    assert.deepEqual(access.asked.at(-1)!.user, { name: 'bob', groups: ['devs'], uid: 'u' });
  });

  const invalid: [string, () => Promise<unknown>, string][] = [
    ['no attributes', () => selfsubjectaccessreviews.review!({ metadata: {}, spec: {} }, context()) as Promise<unknown>, 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified'],
    ['both kinds of attributes', () => selfsubjectaccessreviews.review!({ metadata: {}, spec: { resourceAttributes: {}, nonResourceAttributes: {} } }, context()) as Promise<unknown>, 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: map[string]string{}: cannot be specified in combination with resourceAttributes'],
    ['no user or group', () => subjectaccessreviews.review!({ metadata: {}, spec: { resourceAttributes: { verb: 'get' } } }, context()) as Promise<unknown>, 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified'],
    ['a name', () => subjectaccessreviews.review!({ metadata: { name: 'x' }, spec: { user: 'a', resourceAttributes: {} } }, context()) as Promise<unknown>, 'SubjectAccessReview.authorization.k8s.io "" is invalid: metadata: Invalid value: map[string]string{"name":"x"}: must be empty'],
    ['a local review about another namespace', () => localsubjectaccessreviews.review!({ metadata: { namespace: 'team' }, spec: { user: 'a', resourceAttributes: { namespace: 'other' } } }, context({ namespace: 'team' })) as Promise<unknown>, 'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace'],
  ];
  for (const [name, review, message] of invalid) {
    it(`refuses ${name} (422)`, async () => {
      await assert.rejects(review(), (err: StatusError) => {
        assert.equal(err.code, 422);
        assert.equal(err.message, message);
        return true;
      });
    });
  }

  it('LocalSubjectAccessReview answers within its namespace', async () => {
    const answer = await localsubjectaccessreviews.review!({ metadata: { namespace: 'team' }, spec: { user: 'alice', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'team' } } }, context({ namespace: 'team' }));
    assert.equal(answer.status?.allowed, true);
  });

  it('SelfSubjectRulesReview lists the rules in a namespace, and needs one', async () => {
    const answer = await selfsubjectrulesreviews.review!({ metadata: {}, spec: { namespace: 'team' } }, context());
    assert.deepEqual(answer.status, { resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/alice/team'] }], incomplete: false });
    await assert.rejects(Promise.resolve(selfsubjectrulesreviews.review!({ metadata: {}, spec: {} }, context())), { message: 'no namespace on request' });
  });
});
