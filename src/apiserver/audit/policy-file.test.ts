import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderFieldError } from '../../machinery/status.js';
import { loadAuditPolicyFile, parseAuditPolicy, validatePolicy } from './policy-file.js';
import type { Policy, PolicyRule } from './policy.js';

// Upstream's policy/reader_test.go.
const policyDefPattern = (version: string) => `
apiVersion: audit.k8s.io/${version}
kind: Policy
rules:
  - level: None
    nonResourceURLs:
      - /healthz*
      - /version
  - level: RequestResponse
    users: ["tim"]
    userGroups: ["testers", "developers"]
    verbs: ["patch", "delete", "create"]
    resources:
      - group: ""
      - group: "rbac.authorization.k8s.io"
        resources: ["clusterroles", "clusterrolebindings"]
    namespaces: ["default", "kube-system"]
  - level: Metadata
`;

const expectedRules: PolicyRule[] = [
  { level: 'None', nonResourceURLs: ['/healthz*', '/version'] },
  {
    level: 'RequestResponse',
    users: ['tim'],
    userGroups: ['testers', 'developers'],
    verbs: ['patch', 'delete', 'create'],
    resources: [{ group: '' }, { group: 'rbac.authorization.k8s.io', resources: ['clusterroles', 'clusterrolebindings'] }],
    namespaces: ['default', 'kube-system'],
  },
  { level: 'Metadata' },
];

const scheme = 'k8s.io/apiserver/pkg/audit/scheme.go:30';

describe('parseAuditPolicy (upstream reader_test.go)', () => {
  it('reads an audit.k8s.io/v1 policy in YAML', () => {
    const { policy, warnings } = parseAuditPolicy(policyDefPattern('v1'));
    assert.deepEqual(policy.rules, expectedRules);
    assert.deepEqual(warnings, []);
  });

  it('reads the same policy in JSON', () => {
    const { policy } = parseAuditPolicy(JSON.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: expectedRules, omitStages: ['RequestReceived'], omitManagedFields: true }));
    assert.deepEqual(policy, { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: expectedRules, omitStages: ['RequestReceived'], omitManagedFields: true });
  });

  it('refuses the versions removed in 1.24 (v1alpha1, v1beta1)', () => {
    for (const version of ['v1alpha1', 'v1beta1']) {
      assert.throws(() => parseAuditPolicy(policyDefPattern(version)), {
        message: `failed decoding: no kind "Policy" is registered for version "audit.k8s.io/${version}" in scheme "${scheme}"`,
      });
    }
  });

  it('refuses a policy without apiVersion or kind', () => {
    const withoutTypeMeta = policyDefPattern('v1').split('\n').slice(3).join('\n');
    assert.throws(() => parseAuditPolicy(withoutTypeMeta), { message: 'unknown group version field audit.k8s.io/__internal, Kind=Policy in policy' });
  });

  it('refuses a policy with no rules, or an empty file', () => {
    assert.throws(() => parseAuditPolicy('apiVersion: audit.k8s.io/v1\nkind: Policy'), { message: 'loaded illegal policy with 0 rules' });
    assert.throws(() => parseAuditPolicy(''), /unknown group version field/);
  });

  const decodingErrors: [name: string, text: string, message: string][] = [
    ['another kind', 'apiVersion: audit.k8s.io/v1\nkind: Pod\nrules: []', `failed decoding: no kind "Pod" is registered for version "audit.k8s.io/v1" in scheme "${scheme}"`],
    ['another group', 'apiVersion: v1\nkind: Policy\nrules: []', `failed decoding: no kind "Policy" is registered for version "v1" in scheme "${scheme}"`],
    ['an Event', 'apiVersion: audit.k8s.io/v1\nkind: Event', 'failed decoding: converting (v1.Event) to (audit.Policy): unknown conversion'],
    ['a list', '- level: None', `failed decoding: couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`],
    ['a level that is not a string', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: 3', 'failed decoding: json: cannot unmarshal number into Go struct field PolicyRule.rules.level of type v1.Level'],
    ['users that are not a list', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  users: tim', 'failed decoding: json: cannot unmarshal string into Go struct field PolicyRule.rules.users of type []string'],
    ['a group that is not a string', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources: [{group: [a]}]', 'failed decoding: json: cannot unmarshal array into Go struct field GroupResources.rules.resources.group of type string'],
    ['omitManagedFields that is not a bool', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitManagedFields: "yes"\nrules:\n- level: None', 'failed decoding: json: cannot unmarshal string into Go struct field Policy.omitManagedFields of type bool'],
  ];
  for (const [name, text, message] of decodingErrors) {
    it(`refuses ${name}`, () => assert.throws(() => parseAuditPolicy(text), { message }));
  }

  it('refuses broken YAML', () => {
    assert.throws(() => parseAuditPolicy('rules: [\n'), /^AuditPolicyError: failed decoding: error converting YAML to JSON: /);
  });

  it('refuses an alias bomb without expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)].join('\n');
    assert.throws(() => parseAuditPolicy(bomb), /excessive aliasing/);
  });

  it('warns about unknown and duplicate fields, then decodes leniently', () => {
    const text = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nkind: Policy\nrules:\n- level: Metadata\n  Verbs: [get]\n  extra: true\n';
    const { policy, warnings } = parseAuditPolicy(text);
    assert.deepEqual(policy.rules, [{ level: 'Metadata' }]);
    assert.deepEqual(warnings, [
      'Audit policy contains errors, falling back to lenient decoding: strict decoding error: duplicate field "kind", unknown field "rules[0].Verbs", unknown field "rules[0].extra"',
    ]);
  });

  it('decodes nulls as Go does', () => {
    const { policy } = parseAuditPolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: null\nrules:\n- level: Metadata\n  users: null\n  resources: [null]\n');
    assert.deepEqual(policy.rules, [{ level: 'Metadata', resources: [{ group: '' }] }]);
    assert.equal(policy.omitStages, undefined);
  });

  it('reports validation errors with upstream messages', () => {
    const text = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Done]\nrules:\n- level: FooBar\n- {}\n';
    assert.throws(() => parseAuditPolicy(text), {
      message:
        '[omitStages[0]: Invalid value: "Done": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic, ' +
        'rules[0].level: Unsupported value: "FooBar": supported values: "None", "Metadata", "Request", "RequestResponse", ' +
        'rules[1].level: Required value]',
    });
  });
});

describe('loadAuditPolicyFile', () => {
  it('reads a file and names it in errors, as kube-apiserver does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-policy-'));
    try {
      const good = join(dir, 'policy.yaml');
      writeFileSync(good, policyDefPattern('v1'));
      assert.deepEqual(loadAuditPolicyFile(good).policy.rules, expectedRules);

      const empty = join(dir, 'empty.yaml');
      writeFileSync(empty, 'apiVersion: audit.k8s.io/v1\nkind: Policy\n');
      assert.throws(() => loadAuditPolicyFile(empty), { message: `loading audit policy file: loaded illegal policy with 0 rules: from file ${empty}` });

      const missing = join(dir, 'missing.yaml');
      assert.throws(() => loadAuditPolicyFile(missing), (err: Error) => err.message.startsWith(`loading audit policy file: failed to read file path "${missing}": `));
      assert.throws(() => loadAuditPolicyFile(''), { message: 'loading audit policy file: file path not specified' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Upstream's validation/validation_test.go.
describe('validatePolicy (upstream validation_test.go)', () => {
  const validRules: PolicyRule[] = [
    { level: 'Metadata' },
    { level: 'None', userGroups: ['system:serviceaccounts', 'system:nodes'] },
    { level: 'RequestResponse', verbs: ['get'], resources: [{ group: 'rbac.authorization.k8s.io', resources: ['roles', 'rolebindings'] }], namespaces: ['kube-system'] },
    { level: 'Metadata', userGroups: ['developers'], nonResourceURLs: ['/logs*', '/healthz*', '/metrics', '*'] },
  ];
  const successCases: Pick<Policy, 'rules'>[] = [...validRules.map((rule) => ({ rules: [rule] })), { rules: [] }, { rules: validRules }];
  successCases.forEach((policy, i) => {
    it(`valid [${i}]`, () => assert.deepEqual(validatePolicy(policy), []));
  });

  const invalidRules: [PolicyRule, string][] = [
    [{} as PolicyRule, 'rules[0].level: Required value'],
    [{ verbs: ['get'], resources: [{ resources: ['secrets'] }], namespaces: ['kube-system'] } as unknown as PolicyRule, 'rules[0].level: Required value'],
    [{ level: 'FooBar' as 'None' }, 'rules[0].level: Unsupported value: "FooBar": supported values: "None", "Metadata", "Request", "RequestResponse"'],
    [{ level: 'Metadata', namespaces: ['default'], nonResourceURLs: ['/logs*'] }, 'rules[0].nonResourceURLs: Invalid value: []string{"/logs*"}: rules cannot apply to both regular resources and non-resource URLs'],
    [{ level: 'Metadata', resources: [{ resources: ['secrets'] }], nonResourceURLs: ['/logs*'] }, 'rules[0].nonResourceURLs: Invalid value: []string{"/logs*"}: rules cannot apply to both regular resources and non-resource URLs'],
    [{ level: 'Metadata', resources: [{ group: 'rbac.authorization.k8s.io/v1beta1', resources: ['roles'] }] }, 'rules[0].resources.group: Invalid value: "rbac.authorization.k8s.io/v1beta1": a lowercase RFC 1123 subdomain'],
    [{ level: 'Metadata', nonResourceURLs: ['logs', '/healthz*'] }, `rules[0].nonResourceURLs[0]: Invalid value: "logs": non-resource URL rules must begin with a '/' character`],
    [{ level: 'Metadata', nonResourceURLs: ['', '/healthz*'] }, `rules[0].nonResourceURLs[0]: Invalid value: "": non-resource URL rules must begin with a '/' character`],
    [{ level: 'Metadata', nonResourceURLs: ['/logs/*/*', '/metrics'] }, `rules[0].nonResourceURLs[0]: Invalid value: "/logs/*/*": non-resource URL wildcards '*' must be the final character of the rule`],
    [{ level: 'Metadata', nonResourceURLs: ['/logs/*.log', '/metrics'] }, `rules[0].nonResourceURLs[0]: Invalid value: "/logs/*.log": non-resource URL wildcards '*' must be the final character of the rule`],
    [{ level: 'Metadata', resources: [{ resourceNames: ['edit'] }] }, 'rules[0].resources.resourceNames: Invalid value: []string{"edit"}: using resourceNames requires at least one resource'],
    [{ level: 'Metadata', omitStages: ['Done' as 'Panic'] }, 'rules[0].omitStages[0]: Invalid value: "Done": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic'],
  ];
  invalidRules.forEach(([rule, message], i) => {
    it(`invalid [${i}]: ${message.slice(0, 60)}`, () => {
      const found = validatePolicy({ rules: [rule] });
      assert.ok(found.length > 0);
      assert.ok(renderFieldError(found[0]).startsWith(message), renderFieldError(found[0]));
    });
  });

  it('invalid: a valid list followed by an empty rule', () => {
    assert.equal(validatePolicy({ rules: [...validRules, {} as PolicyRule] }).length, 1);
  });
});
