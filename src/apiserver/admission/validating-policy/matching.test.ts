/** Rules of matchConstraints (matching.ts): upstream's rules_test.go tables, by group, version, operation, resource and scope. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule } from '../../../api/admissionregistration/common.js';
import type { ResourceType } from '../../../api/resource.js';
import type { AdmissionAttributes, Operation } from '../chain.js';
import { ruleMatches } from './matching.js';

const typeOf = (group: string, version: string, resource: string, namespaced = true) =>
  ({ group, version, resource, kind: `k${resource}`, singular: resource, namespaced, schema: {} }) as ResourceType;

/** A request in namespace `ns` (or, null, cluster-scoped), as upstream's test helpers build them. */
function request(group: string, version: string, resource: string, subresource = '', operation: Operation = 'CREATE', namespace: string | null = 'ns'): AdmissionAttributes {
  const type = typeOf(group, version, resource, namespace !== null && resource !== 'namespaces');
  return { operation, type, subresource: subresource || undefined, namespace: namespace ?? undefined, name: 'name', user: { username: 'u', groups: [] }, dryRun: false };
}

const all: Rule = { apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'], scope: '*' };

interface RuleCase {
  name: string;
  rule: Partial<Rule>;
  match: AdmissionAttributes[];
  noMatch: AdmissionAttributes[];
}

const cases: RuleCase[] = [
  { name: 'group wildcard', rule: { apiGroups: ['*'] }, match: [request('g', 'v', 'r')], noMatch: [] },
  { name: 'group exact', rule: { apiGroups: ['g1', 'g2'] }, match: [request('g1', 'v', 'r'), request('g2', 'v2', 'r3')], noMatch: [request('g3', 'v', 'r'), request('g4', 'v', 'r')] },
  { name: 'version wildcard', rule: { apiVersions: ['*'] }, match: [request('g', 'v', 'r')], noMatch: [] },
  { name: 'version exact', rule: { apiVersions: ['v1', 'v2'] }, match: [request('g1', 'v1', 'r'), request('g2', 'v2', 'r')], noMatch: [request('g1', 'v3', 'r'), request('g2', 'v4', 'r')] },
  {
    name: 'operation wildcard',
    rule: { operations: ['*'] },
    match: [request('g', 'v', 'r', '', 'CREATE'), request('g', 'v', 'r', '', 'UPDATE'), request('g', 'v', 'r', '', 'DELETE'), request('g', 'v', 'r', '', 'CONNECT')],
    noMatch: [],
  },
  { name: 'operation create', rule: { operations: ['CREATE'] }, match: [request('g', 'v', 'r', '', 'CREATE')], noMatch: [request('g', 'v', 'r', '', 'UPDATE'), request('g', 'v', 'r', '', 'DELETE'), request('g', 'v', 'r', '', 'CONNECT')] },
  { name: 'operations update and delete', rule: { operations: ['UPDATE', 'DELETE'] }, match: [request('g', 'v', 'r', '', 'UPDATE'), request('g', 'v', 'r', '', 'DELETE')], noMatch: [request('g', 'v', 'r', '', 'CREATE'), request('g', 'v', 'r', '', 'CONNECT')] },
  { name: 'no subresources', rule: { resources: ['*'] }, match: [request('g', 'v', 'r'), request('2', 'v', 'r2')], noMatch: [request('g', 'v', 'r', 'exec'), request('2', 'v', 'r2', 'proxy')] },
  { name: 'r & subresources', rule: { resources: ['r/*'] }, match: [request('g', 'v', 'r'), request('g', 'v', 'r', 'exec')], noMatch: [request('2', 'v', 'r2'), request('2', 'v', 'r2', 'proxy')] },
  { name: 'r & subresources or r2', rule: { resources: ['r/*', 'r2'] }, match: [request('g', 'v', 'r'), request('g', 'v', 'r', 'exec'), request('2', 'v', 'r2')], noMatch: [request('2', 'v', 'r2', 'proxy')] },
  {
    name: 'proxy or exec',
    rule: { resources: ['*/proxy', '*/exec'] },
    match: [request('g', 'v', 'r', 'exec'), request('2', 'v', 'r2', 'proxy'), request('2', 'v', 'r3', 'proxy')],
    noMatch: [request('g', 'v', 'r'), request('2', 'v', 'r2'), request('2', 'v', 'r4', 'scale')],
  },
  {
    name: 'cluster scope',
    rule: { scope: 'Cluster' },
    match: [request('g', 'v', 'r', '', 'CREATE', null), request('g', 'v', 'r', 'exec', 'CREATE', null), request('', 'v1', 'namespaces', '', 'CREATE', null), request('', 'v1', 'namespaces', 'finalize', 'CREATE', 'ns')],
    noMatch: [request('g', 'v', 'r'), request('g', 'v', 'r', 'exec')],
  },
  {
    name: 'namespace scope',
    rule: { scope: 'Namespaced' },
    match: [request('g', 'v', 'r'), request('g', 'v', 'r', 'exec')],
    noMatch: [request('', 'v1', 'namespaces', '', 'CREATE', null), request('', 'v1', 'namespaces', 'finalize', 'CREATE', 'ns'), request('g', 'v', 'r', '', 'CREATE', null)],
  },
  {
    name: 'all scopes',
    rule: { scope: '*' },
    match: [request('g', 'v', 'r'), request('g', 'v', 'r', '', 'CREATE', null), request('', 'v1', 'namespaces', '', 'CREATE', null)],
    noMatch: [],
  },
];

describe('ruleMatches', () => {
  for (const c of cases) {
    // Each table varies one part of the rule; the others match everything (resources without subresources).
    const rule = { ...all, resources: ['*', '*/*'], ...c.rule };
    it(c.name, () => {
      for (const attributes of c.match) assert.equal(ruleMatches(rule, attributes, attributes.type), true, `expected a match: ${JSON.stringify({ ...attributes, type: attributes.type.resource })}`);
      for (const attributes of c.noMatch) assert.equal(ruleMatches(rule, attributes, attributes.type), false, `expected no match: ${JSON.stringify({ ...attributes, type: attributes.type.resource })}`);
    });
  }
});
