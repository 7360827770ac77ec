/**
 * Whether one set of rules grants at least what another does (upstream's
 * validation.Covers, from component-helpers). The bootstrap policy's
 * reconciliation asks it which expected rules a stored role lacks; escalation
 * prevention will ask it whether a user holds every permission of the role
 * they are writing or binding.
 *
 * Each requested rule is broken into atoms — one verb × one API group × one
 * resource (× one resource name when the rule names some), or one verb × one
 * non-resource URL — and each atom must be covered by a single owner rule.
 * Because atoms are the smallest unit, "covered by the union of several
 * rules" never has to be reasoned about.
 *
 * Matching, as upstream:
 * - verbs and API groups: exact, or the owner holds `*`;
 * - resources: exact, the owner holds `*`, or, for `resource/subresource`,
 *   the owner holds the subresource of every resource (`*` then `/subresource`);
 * - resourceNames: an owner without names covers any; an owner with names
 *   covers only atoms naming one of them (an atom without a name, such as a
 *   list, is not covered by an owner limited to names);
 * - non-resource URLs: exact, or an owner pattern ending in `*` covers every
 *   path that starts with what precedes the stars.
 */
import type { PolicyRule } from './schema.js';

export interface CoversResult {
  covered: boolean;
  /** The atoms of the requested rules that no owner rule covers, in the order they were requested. */
  uncovered: PolicyRule[];
}

export function covers(ownerRules: PolicyRule[], requestedRules: PolicyRule[]): CoversResult {
  const uncovered = requestedRules.flatMap(breakdownRule).filter((atom) => !ownerRules.some((owner) => ruleCovers(owner, atom)));
  return { covered: uncovered.length === 0, uncovered };
}

/**
 * The atoms of a rule (upstream's BreakdownRule). A rule with API groups but
 * no resources has no atoms, as upstream: it grants nothing.
 */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const atoms: PolicyRule[] = [];
  const names = rule.resourceNames ?? [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? []) {
        if (names.length === 0) atoms.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        else for (const name of names) atoms.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
      }
    }
  }
  // Non-resource URLs combine with verbs only.
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs ?? []) atoms.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return atoms;
}

const hasAll = (owned: string[] | undefined, wanted: string[] | undefined) => (wanted ?? []).every((value) => (owned ?? []).includes(value));
const allOrAll = (owned: string[] | undefined, wanted: string[] | undefined) => (owned ?? []).includes('*') || hasAll(owned, wanted);

function resourcesCovered(owned: string[] = [], wanted: string[] = []): boolean {
  if (allOrAll(owned, wanted)) return true;
  return wanted.every((resource) => {
    if (owned.includes(resource)) return true;
    const slash = resource.indexOf('/');
    // `*/scale` grants the scale subresource of every resource, and nothing else.
    return slash >= 0 && owned.includes(`*/${resource.slice(slash + 1)}`);
  });
}

function urlCovered(pattern: string, path: string): boolean {
  if (pattern === path) return true;
  return pattern.endsWith('*') && path.startsWith(pattern.replace(/\*+$/, ''));
}

/** Whether one owner rule covers an atom (which has at most one verb, group, resource and name). */
function ruleCovers(owner: PolicyRule, atom: PolicyRule): boolean {
  const wantedNames = atom.resourceNames ?? [];
  const ownedNames = owner.resourceNames ?? [];
  const namesCovered = ownedNames.length === 0 || (wantedNames.length > 0 && hasAll(ownedNames, wantedNames));
  return (
    allOrAll(owner.verbs, atom.verbs) &&
    allOrAll(owner.apiGroups, atom.apiGroups) &&
    resourcesCovered(owner.resources, atom.resources) &&
    namesCovered &&
    (atom.nonResourceURLs ?? []).every((path) => (owner.nonResourceURLs ?? []).some((pattern) => urlCovered(pattern, path)))
  );
}

/**
 * Merges atoms that differ only by verb back into one rule per group,
 * resource and name (upstream's CompactRules), to word a list of missing
 * permissions briefly. Other rules pass through unchanged.
 */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const key = simpleResourceKey(rule);
    if (key === undefined) {
      compacted.push(rule);
      continue;
    }
    const existing = simple.get(key);
    if (existing) existing.verbs = [...existing.verbs, ...rule.verbs];
    else simple.set(key, { ...rule, verbs: [...rule.verbs] });
  }
  return [...compacted, ...simple.values()];
}

/** A key for a rule of one group, one resource, at most one name and nothing else; undefined for any other rule. */
function simpleResourceKey(rule: PolicyRule): string | undefined {
  if ((rule.resourceNames ?? []).length > 1 || (rule.nonResourceURLs ?? []).length > 0) return undefined;
  if (rule.apiGroups?.length !== 1 || rule.resources?.length !== 1) return undefined;
  const known = new Set(['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs']);
  if (Object.keys(rule).some((field) => !known.has(field) && (rule as unknown as Record<string, unknown>)[field] !== undefined)) return undefined;
  return JSON.stringify([rule.apiGroups[0], rule.resources[0], rule.resourceNames?.[0] ?? null]);
}
