/**
 * ClusterRole aggregation as a pure function: the rules a ClusterRole with
 * an `aggregationRule` holds are those of every other ClusterRole its
 * selectors match, each rule once, in the order of the sources' names. The
 * clusterrole-aggregation controller keeps roles so; the bootstrap policy
 * fills the default roles (admin, edit, view) the same way when it creates
 * them, so they work from the first second.
 */
import { labelSelectorMatches } from '../../machinery/labels.js';
import type { ClusterRole, PolicyRule } from './schema.js';

const ruleKey = (rule: PolicyRule) => JSON.stringify([rule.verbs, rule.apiGroups ?? [], rule.resources ?? [], rule.resourceNames ?? [], rule.nonResourceURLs ?? []]);

/** The rules an aggregating role should hold, given every ClusterRole; undefined for a role that aggregates nothing. */
export function aggregatedRules(role: ClusterRole, all: ClusterRole[]): PolicyRule[] | undefined {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!selectors) return undefined;
  const rules: PolicyRule[] = [];
  const seen = new Set<string>();
  const sources = all
    .filter((other) => other.metadata.name !== role.metadata.name && selectors.some((selector) => labelSelectorMatches(selector, other.metadata.labels)))
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  for (const source of sources) {
    for (const rule of source.rules ?? []) {
      const key = ruleKey(rule);
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push(rule);
    }
  }
  return rules;
}
