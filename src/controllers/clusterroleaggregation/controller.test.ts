/** ClusterRole aggregation (aggregatedRules): a table of roles and the rules an aggregating role gets. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRole } from '../../api/rbac/index.js';
import { aggregatedRules } from './controller.js';

const role = (name: string, labels: Record<string, string>, rules: ClusterRole['rules'], aggregate?: Record<string, string>): ClusterRole => ({
  metadata: { name, labels },
  rules,
  ...(aggregate ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: aggregate }] } } : {}),
});

describe('aggregatedRules', () => {
  const view = role('view', {}, [], { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' });
  const pods = role('pods-view', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]);
  const crontabs = role('crontabs-view', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, [
    { verbs: ['get', 'list'], apiGroups: ['stable.example.com'], resources: ['crontabs'] },
    { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
  ]);
  const other = role('other', { unrelated: 'true' }, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);

  it('the rules of matching roles, by role name, each rule once', () => {
    assert.deepEqual(aggregatedRules(view, [view, pods, crontabs, other]), [
      { verbs: ['get', 'list'], apiGroups: ['stable.example.com'], resources: ['crontabs'] },
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
    ]);
  });
  it('none for a role without an aggregation rule; empty when nothing matches', () => {
    assert.equal(aggregatedRules(pods, [view, pods]), undefined);
    assert.deepEqual(aggregatedRules(view, [view, other]), []);
  });
});
