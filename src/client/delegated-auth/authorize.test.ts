/**
 * Delegated authorization: what goes into the SubjectAccessReview, what is
 * allowed without asking (system:masters, always-allowed paths), and how
 * long answers are kept — cases from upstream's webhook authorizer and
 * path authorizer tests.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { delegatedAuthorizer, pathMatcher } from './authorize.js';
import { fakeReviewer } from './testing.js';
import type { AccessAttributes, User } from './types.js';

const prometheus: User = { username: 'system:serviceaccount:monitoring:prometheus', uid: 'u-1', groups: ['system:serviceaccounts', 'system:authenticated'] };
const nodeMetrics: AccessAttributes = { resourceAttributes: { verb: 'get', version: 'v1', resource: 'nodes', subresource: 'metrics', name: 'worker-1' } };
const metricsPath: AccessAttributes = { nonResourceAttributes: { path: '/metrics', verb: 'get' } };
const allowPrometheus = fakeReviewerOptions();

function fakeReviewerOptions() {
  return { decide: (spec: { user?: string }) => (spec.user === prometheus.username ? { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "prometheus"' } : { allowed: false, reason: '' }) };
}

describe('delegatedAuthorizer', () => {
  it('sends a SubjectAccessReview with the user and the attributes, empty fields left out', async () => {
    const reviewer = fakeReviewer(allowPrometheus);
    const authz = delegatedAuthorizer({ client: reviewer.client });
    assert.deepEqual(await authz.authorize(prometheus, nodeMetrics), { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "prometheus"' });
    await authz.authorize({ username: 'system:anonymous', groups: ['system:unauthenticated'] }, metricsPath);
    assert.deepEqual(reviewer.accessReviews, [
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        metadata: {},
        spec: { resourceAttributes: { verb: 'get', version: 'v1', resource: 'nodes', subresource: 'metrics', name: 'worker-1' }, user: prometheus.username, groups: prometheus.groups, uid: 'u-1' },
      },
      { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec: { nonResourceAttributes: { path: '/metrics', verb: 'get' }, user: 'system:anonymous', groups: ['system:unauthenticated'] } },
    ]);
  });

  it('allows system:masters without asking (upstream AlwaysAllowGroups), unless told otherwise', async () => {
    const reviewer = fakeReviewer();
    const admin = { username: 'skiff-admin', groups: ['system:masters', 'system:authenticated'] };
    assert.deepEqual(await delegatedAuthorizer({ client: reviewer.client }).authorize(admin, nodeMetrics), { allowed: true, reason: '' });
    assert.equal(reviewer.accessReviews.length, 0);
    assert.equal((await delegatedAuthorizer({ client: reviewer.client, alwaysAllowGroups: [] }).authorize(admin, nodeMetrics)).allowed, false);
    assert.equal(reviewer.accessReviews.length, 1);
  });

  it('allows always-allowed paths to anyone without asking; resource requests are not paths', async () => {
    const reviewer = fakeReviewer();
    const authz = delegatedAuthorizer({ client: reviewer.client, alwaysAllowPaths: ['/healthz', '/readyz', '/livez'] });
    const anonymous = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
    assert.equal((await authz.authorize(anonymous, { nonResourceAttributes: { path: '/healthz', verb: 'get' } })).allowed, true);
    assert.equal((await authz.authorize(anonymous, { nonResourceAttributes: { path: '/healthz/poststarthook', verb: 'get' } })).allowed, false);
    assert.equal((await authz.authorize(anonymous, { resourceAttributes: { verb: 'get', resource: 'healthz' } })).allowed, false);
    assert.equal(reviewer.accessReviews.length, 2);
  });

  it('keeps an allowing answer allowTtlMs and a refusing one denyTtlMs (the kubelet: 5 minutes, 30 seconds)', async () => {
    let now = 0;
    const reviewer = fakeReviewer(allowPrometheus);
    const authz = delegatedAuthorizer({ client: reviewer.client, now: () => now });
    const stranger = { username: 'mallory', groups: ['system:authenticated'] };
    await authz.authorize(prometheus, nodeMetrics);
    await authz.authorize(stranger, nodeMetrics);
    now += 29_999;
    await authz.authorize(prometheus, nodeMetrics);
    await authz.authorize(stranger, nodeMetrics);
    assert.equal(reviewer.accessReviews.length, 2);
    now += 1;
    await authz.authorize(stranger, nodeMetrics);
    assert.equal(reviewer.accessReviews.length, 3);
    now = 299_999;
    await authz.authorize(prometheus, nodeMetrics);
    assert.equal(reviewer.accessReviews.length, 3);
    now = 300_000;
    await authz.authorize(prometheus, nodeMetrics);
    assert.equal(reviewer.accessReviews.length, 4);
  });

  it('asks again for other attributes or another user, and keeps at most cacheSize answers', async () => {
    const reviewer = fakeReviewer(allowPrometheus);
    const authz = delegatedAuthorizer({ client: reviewer.client, cacheSize: 1 });
    await authz.authorize(prometheus, nodeMetrics);
    await authz.authorize(prometheus, { resourceAttributes: { ...nodeMetrics.resourceAttributes, subresource: 'stats' } });
    await authz.authorize(prometheus, nodeMetrics);
    assert.equal(reviewer.accessReviews.length, 3);
  });

  it('rejects when the review cannot be made, and keeps nothing of it', async () => {
    const reviewer = fakeReviewer(allowPrometheus);
    const authz = delegatedAuthorizer({ client: reviewer.client });
    reviewer.failing = true;
    await assert.rejects(authz.authorize(prometheus, nodeMetrics), /ECONNREFUSED/);
    reviewer.failing = false;
    assert.equal((await authz.authorize(prometheus, nodeMetrics)).allowed, true);
  });

  it('rejects an answer both allowing and denying (upstream: an error)', async () => {
    const reviewer = fakeReviewer({ decide: () => ({ allowed: true, denied: true }) });
    await assert.rejects(delegatedAuthorizer({ client: reviewer.client }).authorize(prometheus, nodeMetrics), /both allow and deny/);
  });

  it('does not keep answers about attributes 10000 characters long or more', async () => {
    const reviewer = fakeReviewer();
    const authz = delegatedAuthorizer({ client: reviewer.client });
    const long: AccessAttributes = { nonResourceAttributes: { path: `/${'x'.repeat(9_999)}`, verb: 'get' } };
    await authz.authorize(prometheus, long);
    await authz.authorize(prometheus, long);
    assert.equal(reviewer.accessReviews.length, 2);
  });
});

describe('pathMatcher (upstream path authorizer)', () => {
  it('matches exact paths and trailing-* prefixes, with or without the leading slash', () => {
    const matches = pathMatcher(['/healthz', 'readyz', '/debug/*', '/']);
    const cases: [string, boolean][] = [
      ['/healthz', true],
      ['healthz', true],
      ['/healthz/ping', false],
      ['/readyz', true],
      ['/debug/pprof/heap', true],
      ['/debug', false],
      ['/', true],
      ['/metrics', false],
    ];
    for (const [path, expected] of cases) assert.equal(matches(path), expected, path);
  });

  it('refuses a * anywhere but at the end', () => {
    assert.throws(() => pathMatcher(['/foo/*/bar']), /only trailing \* allowed in "foo\/\*\/bar"/);
  });
});
