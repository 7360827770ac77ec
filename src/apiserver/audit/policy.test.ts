import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { defaultAuditPolicy, defaultAuditPolicyYAML, levelFor, unionStages, type AuditAttributes, type Level, type PolicyRule, type Stage } from './policy.js';
import { parseAuditPolicy } from './policy-file.js';

// The requests and rules of upstream's policy/checker_test.go.
const tim = { username: 'tim@k8s.io', groups: ['humans', 'developers'] };
const requests: Record<string, AuditAttributes> = {
  namespaced: { user: tim, verb: 'get', namespace: 'default', apiGroup: '', apiVersion: 'v1', resource: 'pods', name: 'busybox', resourceRequest: true, path: '/api/v1/namespaces/default/pods/busybox' },
  cluster: { user: tim, verb: 'get', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1beta1', resource: 'clusterroles', name: 'edit', resourceRequest: true, path: '/apis/rbac.authorization.k8s.io/v1beta1/clusterroles/edit' },
  nonResource: { user: tim, verb: 'get', resourceRequest: false, path: '/logs/kubelet.log' },
  subresource: { user: tim, verb: 'get', namespace: 'default', apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: 'log', name: 'busybox', resourceRequest: true, path: '/api/v1/namespaces/default/pods/busybox' },
  Unauthorized: { verb: 'get', namespace: 'default', apiGroup: '', apiVersion: 'v1', resource: 'pods', name: 'busybox', resourceRequest: true, path: '/api/v1/namespaces/default/pods/busybox' },
};

const rules: Record<string, PolicyRule> = {
  default: { level: 'Metadata' },
  create: { level: 'Request', verbs: ['create'] },
  tims: { level: 'Metadata', users: ['tim@k8s.io'] },
  humans: { level: 'Metadata', userGroups: ['humans'] },
  serviceAccounts: { level: 'Request', userGroups: ['system:serviceaccounts'] },
  getPods: { level: 'RequestResponse', verbs: ['get'], resources: [{ resources: ['pods'] }] },
  getPodLogs: { level: 'Request', verbs: ['get'], resources: [{ resources: ['pods/log'] }] },
  getPodWildcardMatching: { level: 'Request', verbs: ['get'], resources: [{ resources: ['*'] }] },
  getPodResourceWildcardMatching: { level: 'Request', verbs: ['get'], resources: [{ resources: ['*/log'] }] },
  getPodSubResourceWildcardMatching: { level: 'Request', verbs: ['get'], resources: [{ resources: ['pods/*'] }] },
  getClusterRoles: { level: 'RequestResponse', verbs: ['get'], resources: [{ group: 'rbac.authorization.k8s.io', resources: ['clusterroles'] }], namespaces: [''] },
  getLogs: { level: 'RequestResponse', verbs: ['get'], nonResourceURLs: ['/logs*'] },
  getMetrics: { level: 'Request', verbs: ['get'], nonResourceURLs: ['/metrics'] },
  clusterRoleEdit: { level: 'Request', resources: [{ group: 'rbac.authorization.k8s.io', resources: ['clusterroles'], resourceNames: ['edit'] }] },
  'omit RequestReceived': { level: 'Request', omitStages: ['RequestReceived'] },
  'only audit panic': { level: 'Request', omitStages: ['RequestReceived', 'ResponseStarted', 'ResponseComplete'] },
};

type Case = [request: string, level: Level, ruleNames: string[]];

// testAuditLevel's table.
const levelCases: Case[] = [
  ['namespaced', 'Metadata', ['default']],
  ['namespaced', 'None', ['create']],
  ['namespaced', 'Metadata', ['tims']],
  ['namespaced', 'Metadata', ['humans']],
  ['namespaced', 'None', ['serviceAccounts']],
  ['namespaced', 'RequestResponse', ['getPods']],
  ['namespaced', 'None', ['getClusterRoles']],
  ['namespaced', 'None', ['getLogs']],
  ['namespaced', 'None', ['getMetrics']],
  ['namespaced', 'Metadata', ['getMetrics', 'serviceAccounts', 'default']],
  ['namespaced', 'RequestResponse', ['getMetrics', 'getPods', 'default']],
  ['namespaced', 'RequestResponse', ['getPodLogs', 'getPods']],

  ['cluster', 'Metadata', ['default']],
  ['cluster', 'None', ['create']],
  ['cluster', 'Metadata', ['tims']],
  ['cluster', 'Metadata', ['humans']],
  ['cluster', 'None', ['serviceAccounts']],
  ['cluster', 'None', ['getPods']],
  ['cluster', 'RequestResponse', ['getClusterRoles']],
  ['cluster', 'Request', ['clusterRoleEdit', 'getClusterRoles']],
  ['cluster', 'None', ['getLogs']],
  ['cluster', 'None', ['getMetrics']],
  ['cluster', 'Metadata', ['getMetrics', 'serviceAccounts', 'default']],
  ['cluster', 'RequestResponse', ['getMetrics', 'getClusterRoles', 'default']],
  ['cluster', 'None', ['getPodLogs', 'getPods']],

  ['nonResource', 'Metadata', ['default']],
  ['nonResource', 'None', ['create']],
  ['nonResource', 'Metadata', ['tims']],
  ['nonResource', 'Metadata', ['humans']],
  ['nonResource', 'None', ['serviceAccounts']],
  ['nonResource', 'None', ['getPods']],
  ['nonResource', 'None', ['getClusterRoles']],
  ['nonResource', 'RequestResponse', ['getLogs']],
  ['nonResource', 'None', ['getMetrics']],
  ['nonResource', 'Metadata', ['getMetrics', 'serviceAccounts', 'default']],
  ['nonResource', 'RequestResponse', ['getLogs', 'getClusterRoles', 'default']],
  ['nonResource', 'None', ['getPodLogs', 'getPods']],

  ['subresource', 'Request', ['getPodLogs', 'getPods']],
  ['subresource', 'Request', ['getPodWildcardMatching']],
  ['subresource', 'Request', ['getPodResourceWildcardMatching']],
  ['subresource', 'Request', ['getPodSubResourceWildcardMatching']],

  ['Unauthorized', 'None', ['tims']],
  ['Unauthorized', 'Metadata', ['tims', 'default']],
  ['Unauthorized', 'None', ['humans']],
  ['Unauthorized', 'Metadata', ['humans', 'default']],
];

function evaluate(request: string, ruleNames: string[], policyStages?: Stage[]) {
  const policy = { omitStages: policyStages, rules: ruleNames.map((name) => rules[name]) };
  return levelFor(policy, requests[request]);
}

describe('levelFor (upstream checker_test.go)', () => {
  for (const policyStages of [undefined, ['RequestReceived', 'ResponseStarted'] as Stage[]]) {
    describe(policyStages ? 'with policy-wide omitStages' : 'without policy-wide omitStages', () => {
      for (const [request, level, ruleNames] of levelCases) {
        it(`${request} with ${ruleNames.join(',')} → ${level}`, () => {
          const config = evaluate(request, ruleNames, policyStages);
          assert.equal(config.level, level);
          assert.deepEqual(config.omitStages, policyStages ?? []);
        });
      }
    });
  }

  const stageCases: [request: string, level: Level, policyStages: Stage[] | undefined, omitted: Stage[], ruleNames: string[]][] = [
    // TestChecker: stages per rule.
    ['namespaced', 'Request', undefined, ['RequestReceived'], ['omit RequestReceived', 'getPods', 'default']],
    ['namespaced', 'Request', undefined, ['RequestReceived', 'ResponseStarted', 'ResponseComplete'], ['only audit panic', 'getPods', 'default']],
    ['cluster', 'Request', undefined, ['RequestReceived'], ['omit RequestReceived', 'getPods', 'default']],
    ['cluster', 'Request', undefined, ['RequestReceived', 'ResponseStarted', 'ResponseComplete'], ['only audit panic', 'getPods', 'default']],
    ['nonResource', 'Request', undefined, ['RequestReceived'], ['omit RequestReceived', 'getPods', 'default']],
    ['nonResource', 'Request', undefined, ['RequestReceived', 'ResponseStarted', 'ResponseComplete'], ['only audit panic', 'getPods', 'default']],
    // TestCheckerPolicyOmitStages: the policy's and the rule's together.
    ['namespaced', 'Request', ['RequestReceived', 'ResponseStarted'], ['RequestReceived', 'ResponseStarted'], ['omit RequestReceived', 'getPods', 'default']],
    ['namespaced', 'Request', ['RequestReceived', 'ResponseStarted'], ['RequestReceived', 'ResponseStarted', 'ResponseComplete'], ['only audit panic', 'getPods', 'default']],
    ['cluster', 'Request', ['RequestReceived', 'ResponseStarted'], ['RequestReceived', 'ResponseStarted'], ['omit RequestReceived', 'getPods', 'default']],
    ['cluster', 'Request', ['RequestReceived', 'ResponseStarted'], ['RequestReceived', 'ResponseStarted', 'ResponseComplete'], ['only audit panic', 'getPods', 'default']],
    ['nonResource', 'Metadata', ['RequestReceived', 'ResponseStarted'], ['RequestReceived', 'ResponseStarted'], ['default', 'omit RequestReceived', 'getPods']],
    ['nonResource', 'Request', ['RequestReceived', 'ResponseStarted'], ['RequestReceived', 'ResponseStarted', 'ResponseComplete'], ['only audit panic', 'getPods', 'default']],
  ];
  for (const [request, level, policyStages, omitted, ruleNames] of stageCases) {
    it(`${request} with ${ruleNames.join(',')} omits ${omitted.join(',')}`, () => {
      const config = evaluate(request, ruleNames, policyStages);
      assert.equal(config.level, level);
      assert.deepEqual(config.omitStages, omitted);
    });
  }

  it('matches namespaces, with "" for cluster-scoped requests', () => {
    const rule: PolicyRule = { level: 'Request', namespaces: ['kube-system', ''] };
    assert.equal(levelFor({ rules: [rule] }, requests.cluster).level, 'Request');
    assert.equal(levelFor({ rules: [rule] }, requests.namespaced).level, 'None');
    assert.equal(levelFor({ rules: [rule] }, { ...requests.namespaced, namespace: 'kube-system' }).level, 'Request');
    // A namespace rule never matches a non-resource request.
    assert.equal(levelFor({ rules: [rule] }, requests.nonResource).level, 'None');
  });

  it('matches a group with no resources listed as all of its resources', () => {
    const rule: PolicyRule = { level: 'Metadata', resources: [{ group: 'rbac.authorization.k8s.io' }] };
    assert.equal(levelFor({ rules: [rule] }, requests.cluster).level, 'Metadata');
    assert.equal(levelFor({ rules: [rule] }, requests.namespaced).level, 'None');
  });

  it('matches non-resource URLs exactly, by prefix and with "*"', () => {
    const at = (path: string, spec: string) => levelFor({ rules: [{ level: 'Metadata', nonResourceURLs: [spec] }] }, { verb: 'get', resourceRequest: false, path }).level;
    assert.equal(at('/healthz', '/healthz'), 'Metadata');
    assert.equal(at('/healthz/etcd', '/healthz'), 'None');
    assert.equal(at('/healthz/etcd', '/healthz*'), 'Metadata');
    assert.equal(at('/version', '*'), 'Metadata');
    assert.equal(levelFor({ rules: [{ level: 'Metadata', nonResourceURLs: ['*'] }] }, requests.namespaced).level, 'None');
  });
});

describe('unionStages (upstream TestUnionStages)', () => {
  const cases: [Stage[] | undefined, Stage[], Stage[]][] = [
    [[], [], []],
    [['RequestReceived'], [], ['RequestReceived']],
    [['RequestReceived'], ['RequestReceived'], ['RequestReceived']],
    [['RequestReceived'], ['ResponseStarted'], ['RequestReceived', 'ResponseStarted']],
    [['RequestReceived', 'RequestReceived'], ['RequestReceived', 'RequestReceived'], ['RequestReceived']],
    [['RequestReceived', 'ResponseStarted'], ['Panic', 'RequestReceived'], ['RequestReceived', 'ResponseStarted', 'Panic']],
    [undefined, ['RequestReceived'], ['RequestReceived']],
  ];
  for (const [a, b, expected] of cases) {
    it(`${JSON.stringify(a)} ∪ ${JSON.stringify(b)}`, () => assert.deepEqual(unionStages(a, b), expected));
  }
});

describe('omitManagedFields (upstream TestOmitManagedFields)', () => {
  const attributes: AuditAttributes = { verb: 'get', resourceRequest: false };
  const cases: [name: string, policyDefault: boolean, rule: boolean | undefined, want: boolean][] = [
    ['global policy default is false, rule does not override', false, undefined, false],
    ['global policy default is true, rule does not override', true, undefined, true],
    ['global policy default is true, rule overrides to false', true, false, false],
    ['global policy default is false, rule overrides to true', false, true, true],
  ];
  for (const [name, policyDefault, override, want] of cases) {
    it(name, () => {
      const rule: PolicyRule = { level: 'RequestResponse', verbs: ['get'], ...(override !== undefined && { omitManagedFields: override }) };
      assert.equal(levelFor({ omitManagedFields: policyDefault, rules: [rule] }, attributes).omitManagedFields, want);
    });
  }

  it('takes the policy default when no rule matches', () => {
    assert.deepEqual(levelFor({ omitManagedFields: true, omitStages: ['Panic'], rules: [{ level: 'Metadata', verbs: ['create'] }] }, attributes), {
      level: 'None',
      omitStages: ['Panic'],
      omitManagedFields: true,
    });
  });
});

describe('the default policy', () => {
  it('records everything at Metadata without RequestReceived', () => {
    for (const request of Object.values(requests)) {
      assert.deepEqual(levelFor(defaultAuditPolicy, request), { level: 'Metadata', omitStages: ['RequestReceived'], omitManagedFields: false });
    }
  });

  it('is the same policy as its YAML text, which loads without warnings', () => {
    assert.deepEqual(parse(defaultAuditPolicyYAML), defaultAuditPolicy);
    assert.deepEqual(parseAuditPolicy(defaultAuditPolicyYAML), { policy: defaultAuditPolicy, warnings: [] });
  });
});
