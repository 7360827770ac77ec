/** Rules, selectors and match conditions, table-tested after upstream's predicate tests. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule } from '../../../api/admissionregistration/common.js';
import { compileMatchConditions, matchConditionsCostBudget } from './match-conditions.js';
import { isExemptConfigurationKind, operationMatches, resourceMatches, ruleMatches, scopeMatches, type RuleSubject } from './rules.js';
import { objectSelectorMatches, parseSelector } from './selectors.js';
import { convertObject, describeRequest } from './versions.js';
import type { ResourceType } from '../../../api/resource.js';
import type { AdmissionAttributes } from '../chain.js';

function subject(group: string, version: string, resource: string, subresource = '', operation = 'CREATE', namespace = 'ns'): RuleSubject {
  return { operation, resource: { group, version, resource }, subresource, namespace };
}
const cluster = (group: string, version: string, resource: string, subresource = '') => subject(group, version, resource, subresource, 'CREATE', '');

describe('rules (upstream rules_test.go)', () => {
  it('apiGroups and apiVersions: exact or "*"', () => {
    const groups = (apiGroups: string[]) => ({ operations: ['*'], apiGroups, apiVersions: ['*'], resources: ['*'] }) as Rule;
    assert.ok(ruleMatches(groups(['*']), subject('g', 'v', 'r')));
    for (const s of [subject('g1', 'v', 'r'), subject('g2', 'v2', 'r3')]) assert.ok(ruleMatches(groups(['g1', 'g2']), s));
    for (const s of [subject('g3', 'v', 'r'), subject('g4', 'v', 'r')]) assert.ok(!ruleMatches(groups(['g1', 'g2']), s));
    const versions = { operations: ['*'], apiGroups: ['*'], apiVersions: ['v1', 'v2'], resources: ['*'] } as Rule;
    assert.ok(ruleMatches(versions, subject('g1', 'v1', 'r')));
    assert.ok(!ruleMatches(versions, subject('g1', 'v3', 'r')));
  });

  it('operations', () => {
    const table: [string[], string[], string[]][] = [
      [['*'], ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'], []],
      [['CREATE'], ['CREATE'], ['UPDATE', 'DELETE', 'CONNECT']],
      [['UPDATE'], ['UPDATE'], ['CREATE', 'DELETE', 'CONNECT']],
      [['DELETE'], ['DELETE'], ['CREATE', 'UPDATE', 'CONNECT']],
      [['CONNECT'], ['CONNECT'], ['CREATE', 'UPDATE', 'DELETE']],
      [['UPDATE', 'DELETE'], ['UPDATE', 'DELETE'], ['CREATE', 'CONNECT']],
    ];
    for (const [operations, match, noMatch] of table) {
      for (const op of match) assert.ok(operationMatches(operations, op), `${operations} ${op}`);
      for (const op of noMatch) assert.ok(!operationMatches(operations, op), `${operations} ${op}`);
    }
  });

  it('resources and subresources', () => {
    const table: [string[], [string, string][], [string, string][]][] = [
      [['*'], [['r', ''], ['r2', '']], [['r', 'exec'], ['r2', 'proxy']]],
      [['r/*'], [['r', ''], ['r', 'exec']], [['r2', ''], ['r2', 'proxy']]],
      [['r/*', 'r2'], [['r', ''], ['r', 'exec'], ['r2', '']], [['r2', 'proxy']]],
      [['*/proxy', '*/exec'], [['r', 'exec'], ['r2', 'proxy'], ['r3', 'proxy']], [['r', ''], ['r2', ''], ['r4', 'scale']]],
    ];
    for (const [resources, match, noMatch] of table) {
      for (const [res, sub] of match) assert.ok(resourceMatches(resources, res, sub), `${resources} ${res}/${sub}`);
      for (const [res, sub] of noMatch) assert.ok(!resourceMatches(resources, res, sub), `${resources} ${res}/${sub}`);
    }
  });

  it('scope: namespaces are cluster-scoped even though their requests carry their own name', () => {
    const namespaced = (group: string, version: string, resource: string, sub = '') => subject(group, version, resource, sub);
    const table: [string, RuleSubject[], RuleSubject[]][] = [
      [
        'Cluster',
        [cluster('g', 'v', 'r'), cluster('g', 'v', 'r', 'exec'), cluster('', 'v1', 'namespaces'), cluster('', 'v1', 'namespaces', 'finalize'), namespaced('', 'v1', 'namespaces'), namespaced('', 'v1', 'namespaces', 'finalize')],
        [namespaced('g', 'v', 'r'), namespaced('g', 'v', 'r', 'exec')],
      ],
      [
        'Namespaced',
        [namespaced('g', 'v', 'r'), namespaced('g', 'v', 'r', 'exec')],
        [cluster('', 'v1', 'namespaces'), cluster('', 'v1', 'namespaces', 'finalize'), namespaced('', 'v1', 'namespaces'), namespaced('', 'v1', 'namespaces', 'finalize'), cluster('g', 'v', 'r'), cluster('g', 'v', 'r', 'exec')],
      ],
      ['*', [namespaced('g', 'v', 'r'), cluster('g', 'v', 'r', 'exec'), cluster('', 'v1', 'namespaces'), namespaced('', 'v1', 'namespaces', 'finalize')], []],
    ];
    for (const [scope, match, noMatch] of table) {
      for (const s of match) assert.ok(scopeMatches(scope, s), `${scope} ${JSON.stringify(s)}`);
      for (const s of noMatch) assert.ok(!scopeMatches(scope, s), `${scope} ${JSON.stringify(s)}`);
    }
  });

  it('the admission configuration kinds are exempt', () => {
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']) {
      assert.ok(isExemptConfigurationKind({ group: 'admissionregistration.k8s.io', version: 'v1', kind }));
    }
    assert.ok(!isExemptConfigurationKind({ group: '', version: 'v1', kind: 'Pod' }));
    assert.ok(!isExemptConfigurationKind({ group: 'example.com', version: 'v1', kind: 'MutatingWebhookConfiguration' }));
  });
});

describe('objectSelector', () => {
  it('matches the new or the old object; objects without metadata never match', () => {
    const selector = parseSelector({ matchLabels: { a: 'b' } });
    assert.equal(objectSelectorMatches(selector, { metadata: { labels: { a: 'b' } } }, undefined).matches, true);
    assert.equal(objectSelectorMatches(selector, { metadata: {} }, { metadata: { labels: { a: 'b' } } }).matches, true);
    assert.equal(objectSelectorMatches(selector, { metadata: { labels: { a: 'c' } } }, undefined).matches, false);
    assert.equal(objectSelectorMatches(selector, { kind: 'DeleteOptions' } as never, undefined).matches, false);
    assert.equal(objectSelectorMatches(parseSelector({}), undefined, undefined).matches, true, 'an empty selector matches everything');
  });

  it('an invalid selector is an internal error', () => {
    const outcome = objectSelectorMatches(parseSelector({ matchExpressions: [{ key: 'a', operator: 'Near' }] }), { metadata: {} }, undefined);
    assert.equal(outcome.matches, false);
    assert.equal(outcome.error?.code, 500);
  });
});

describe('matchConditions', () => {
  const input = { object: { metadata: { name: 'x', labels: { a: 'b' } }, spec: { replicas: 3 } }, oldObject: null, request: { operation: 'CREATE' } };

  it('every condition must hold; any false wins over errors', () => {
    const cases: [string[], string, string | undefined][] = [
      [['true'], 'match', undefined],
      [["object.metadata.labels['a'] == 'b'", 'object.spec.replicas == 3', "request.operation == 'CREATE'"], 'match', undefined],
      [['true', 'false'], 'no match', 'c1'],
      [['object.nope == 1', 'false'], 'no match', 'c1'],
      [['oldObject == null'], 'match', undefined],
    ];
    for (const [expressions, outcome, failed] of cases) {
      const result = compileMatchConditions(expressions.map((expression, i) => ({ name: `c${i}`, expression })), 'Fail').match(input);
      assert.equal(result.matches ? 'match' : 'no match', outcome, expressions.join(' && '));
      if (failed) assert.equal('failedConditionName' in result ? result.failedConditionName : undefined, failed);
    }
  });

  it('errors follow the failure policy and aggregate as Go does', () => {
    const failing = [{ name: 'a', expression: 'object.nope == 1' }, { name: 'b', expression: "object.metadata.name.startsWith('x') && object.other == 2" }];
    const fail = compileMatchConditions(failing, 'Fail').match(input);
    assert.ok('error' in fail);
    assert.equal(fail.error, "[expression 'object.nope == 1' resulted in error: no such key: nope, expression 'object.metadata.name.startsWith('x') && object.other == 2' resulted in error: no such key: other]");
    assert.deepEqual(compileMatchConditions(failing, 'Ignore').match(input), { matches: false });
  });

  it('a runaway expression spends the budget and fails', () => {
    const list = Array.from({ length: 2000 }, (_, i) => i);
    const heavy = [{ name: 'heavy', expression: 'object.list.all(x, object.list.all(y, x >= 0))' }];
    const result = compileMatchConditions(heavy, 'Fail').match({ ...input, object: { list } });
    assert.ok('error' in result && /actual cost limit exceeded|running out of cost budget/.test(result.error), JSON.stringify(result));
    assert.ok(matchConditionsCostBudget > 1_000_000);
  });
});

describe('versions', () => {
  const crd = (version: string, stored: boolean): ResourceType =>
    ({
      group: 'example.com', version, kind: 'Widget', resource: 'widgets', singular: 'widget', namespaced: true, schema: {},
      storageResource: 'example.com/widgets', subresources: { status: true },
      conversion: stored ? undefined : { storageVersion: 'v1', toStorage: (o: never) => ({ ...(o as object), apiVersion: 'example.com/v1' }), fromStorage: (o: never) => o },
    }) as unknown as ResourceType;
  const v1 = crd('v1', true);
  const v2 = crd('v2', false);
  const attributes = (extra: Partial<AdmissionAttributes>) =>
    ({ operation: 'UPDATE', type: v1, namespace: 'ns', name: 'w', user: { username: 'u', groups: [] }, dryRun: false, ...extra }) as AdmissionAttributes;

  it('equivalents are the other versions of the same stored resource that have the subresource', () => {
    const request = describeRequest(attributes({ subresource: 'status', object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } } }), () => [v1, v2]);
    assert.deepEqual(request.own.kind, { group: 'example.com', version: 'v1', kind: 'Widget' });
    assert.deepEqual(request.equivalents().map((view) => [view.resource.version, view.kind.version]), [['v2', 'v2']]);
    assert.deepEqual(describeRequest(attributes({ subresource: 'scale' }), () => [v1, v2]).equivalents(), [], 'no scale subresource elsewhere');
  });

  it('a subresource with its own kind keeps that kind and is not converted', () => {
    const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'w' }, spec: { replicas: 2 } };
    const request = describeRequest(attributes({ subresource: 'scale', object: scale }), undefined);
    assert.deepEqual(request.own.kind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    assert.equal(request.own.type, undefined);
    const exec = describeRequest(attributes({ operation: 'CONNECT', type: { ...v1, group: '', resource: 'pods' } as ResourceType, subresource: 'exec' }), undefined);
    assert.deepEqual(exec.own.kind, { group: '', version: 'v1', kind: 'PodExecOptions' });
  });

  it('conversion goes through the storage version and always names the target version', async () => {
    const object = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { a: 1 } };
    assert.deepEqual(await convertObject(object, v1, v2), { ...object, apiVersion: 'example.com/v2' });
    assert.deepEqual(await convertObject({ ...object, apiVersion: 'example.com/v2' }, v2, v1), object);
  });
});
