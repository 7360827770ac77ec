/** covers (covers.ts): a table of owner rules and requested rules, as upstream's validation.Covers decides them. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { breakdownRule, compactRules, covers } from './covers.js';
import type { PolicyRule } from './schema.js';

const core = (verbs: string[], resources: string[], extra: Partial<PolicyRule> = {}): PolicyRule => ({ verbs, apiGroups: [''], resources, ...extra });

describe('covers', () => {
  const cases: [string, PolicyRule[], PolicyRule[], boolean][] = [
    ['exact', [core(['get'], ['pods'])], [core(['get'], ['pods'])], true],
    ['a subset of verbs and resources', [core(['get', 'list', 'watch'], ['pods', 'services'])], [core(['get', 'watch'], ['services'])], true],
    ['a verb the owner lacks', [core(['get'], ['pods'])], [core(['get', 'delete'], ['pods'])], false],
    ['another group', [core(['get'], ['pods'])], [{ verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }], false],
    ['verb *', [core(['*'], ['pods'])], [core(['escalate', 'get'], ['pods'])], true],
    ['a requested * needs an owned *', [core(['get', 'list'], ['pods'])], [core(['*'], ['pods'])], false],
    ['group *', [{ verbs: ['get'], apiGroups: ['*'], resources: ['deployments'] }], [{ verbs: ['get'], apiGroups: ['apps', 'extensions'], resources: ['deployments'] }], true],
    ['resource * covers subresources', [core(['get'], ['*'])], [core(['get'], ['pods/log', 'secrets'])], true],
    ['a resource does not cover its subresources', [core(['get'], ['pods'])], [core(['get'], ['pods/log'])], false],
    ['*/scale covers any scale', [{ verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }], [{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'] }], true],
    ['*/scale does not cover the resource', [{ verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }], [{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] }], false],
    ['*/scale does not cover another subresource', [{ verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }], [{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments/status'] }], false],
    ['an owner without names covers named requests', [core(['get'], ['configmaps'])], [core(['get'], ['configmaps'], { resourceNames: ['a', 'b'] })], true],
    ['named owner, named request', [core(['get'], ['configmaps'], { resourceNames: ['a', 'b'] })], [core(['get'], ['configmaps'], { resourceNames: ['b'] })], true],
    ['named owner, another name', [core(['get'], ['configmaps'], { resourceNames: ['a'] })], [core(['get'], ['configmaps'], { resourceNames: ['c'] })], false],
    ['named owner, unnamed request', [core(['get'], ['configmaps'], { resourceNames: ['a'] })], [core(['get'], ['configmaps'])], false],
    ['atoms may be covered by different owner rules', [core(['get'], ['pods']), core(['list'], ['pods'])], [core(['get', 'list'], ['pods'])], true],
    ['a path', [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }], [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }], true],
    ['a path prefix', [{ verbs: ['get'], nonResourceURLs: ['/healthz/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/healthz/etcd', '/healthz/'] }], true],
    ['a prefix does not cover its parent', [{ verbs: ['get'], nonResourceURLs: ['/healthz/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }], false],
    ['path * covers every path', [{ verbs: ['*'], nonResourceURLs: ['*'] }], [{ verbs: ['get', 'post'], nonResourceURLs: ['/metrics', '/apis'] }], true],
    ['a requested prefix needs the same prefix', [{ verbs: ['get'], nonResourceURLs: ['/api'] }], [{ verbs: ['get'], nonResourceURLs: ['/api/*'] }], false],
    ['resource rules do not grant paths', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }], false],
    ['path rules do not grant resources', [{ verbs: ['*'], nonResourceURLs: ['*'] }], [core(['get'], ['pods'])], false],
    ['cluster-admin covers anything', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }], [core(['delete'], ['nodes/proxy']), { verbs: ['get'], nonResourceURLs: ['/x'] }], true],
    ['nothing requested', [], [], true],
    ['no owner rules', [], [core(['get'], ['pods'])], false],
  ];
  for (const [name, owner, requested, covered] of cases) it(name, () => assert.equal(covers(owner, requested).covered, covered));

  it('lists the uncovered atoms in request order', () => {
    const result = covers([core(['get'], ['pods'])], [core(['get', 'delete'], ['pods', 'secrets'])]);
    assert.deepEqual(result.uncovered, [core(['delete'], ['pods']), core(['get'], ['secrets']), core(['delete'], ['secrets'])]);
  });
});

describe('breakdownRule', () => {
  it('splits into one verb × group × resource × name', () => {
    assert.deepEqual(breakdownRule({ verbs: ['get', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a', 'b'] }), [
      core(['get'], ['configmaps'], { resourceNames: ['a'] }),
      core(['get'], ['configmaps'], { resourceNames: ['b'] }),
      core(['update'], ['configmaps'], { resourceNames: ['a'] }),
      core(['update'], ['configmaps'], { resourceNames: ['b'] }),
    ]);
  });

  it('splits paths by verb, and a rule with groups but no resources has no atoms', () => {
    assert.deepEqual(breakdownRule({ verbs: ['get', 'head'], nonResourceURLs: ['/x'] }), [
      { verbs: ['get'], nonResourceURLs: ['/x'] },
      { verbs: ['head'], nonResourceURLs: ['/x'] },
    ]);
    assert.deepEqual(breakdownRule({ verbs: ['get'], apiGroups: [''] }), []);
  });
});

describe('compactRules', () => {
  it('merges atoms that differ only by verb', () => {
    const atoms = covers([], [core(['get', 'list'], ['pods', 'secrets']), { verbs: ['get'], nonResourceURLs: ['/x'] }]).uncovered;
    assert.deepEqual(compactRules(atoms), [{ verbs: ['get'], nonResourceURLs: ['/x'] }, core(['get', 'list'], ['pods']), core(['get', 'list'], ['secrets'])]);
  });
});
