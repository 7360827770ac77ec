/**
 * Whether a policy's matchConstraints (or a binding's matchResources) select
 * a request, as upstream's policy matcher (policy/matching and the webhook
 * predicates it uses):
 *
 * 1. namespaceSelector: requests on cluster-scoped resources other than
 *    namespaces always pass; a namespace's own create or update is judged by
 *    its new labels, anything else by the stored namespace's;
 * 2. objectSelector: the new or the old object's labels;
 * 3. excludeResourceRules, then resourceRules (none means all): operations,
 *    API groups and versions (`*`), resources with `res/sub`, `res/*`,
 *    `*\/sub` and `*`, scope (Namespaced, Cluster, `*`), resourceNames;
 *    under matchPolicy Equivalent a rule also matches the request through an
 *    equivalent resource (versions.ts), which becomes the matched one;
 * 4. a namespace that could not be read is an error only when the rules
 *    matched.
 */
import type { MatchResources, Rule } from '../../../api/admissionregistration/common.js';
import type { ResourceType } from '../../../api/resource.js';
import { selectorFromLabelSelector } from '../../../machinery/labels.js';
import type { KubeObject } from '../../../machinery/object.js';
import type { AdmissionAttributes } from '../chain.js';
import { requestName, requestNamespace } from './request.js';

export type MatchOutcome = { matches: false } | { matches: true; matched: ResourceType } | { error: string };

export interface MatchContext {
  attributes: AdmissionAttributes;
  getNamespace(name: string): Promise<KubeObject | undefined>;
  /** Other versions of the requested resource, for matchPolicy Equivalent. */
  equivalents(): ResourceType[];
}

const contains = (items: string[] | undefined, wanted: string) => (items ?? []).some((item) => item === '*' || item === wanted);

function resourceMatches(patterns: string[] | undefined, resource: string, subresource: string): boolean {
  return (patterns ?? []).some((pattern) => {
    const slash = pattern.indexOf('/');
    const [res, sub] = slash < 0 ? [pattern, ''] : [pattern.slice(0, slash), pattern.slice(slash + 1)];
    return (res === '*' || res === resource) && (sub === '*' || sub === subresource);
  });
}

function scopeMatches(scope: string | undefined, type: ResourceType, namespace: string): boolean {
  const isNamespaceObject = type.group === '' && type.version === 'v1' && type.resource === 'namespaces';
  switch (scope ?? '*') {
    case '*':
      return true;
    case 'Namespaced':
      return !isNamespaceObject && namespace !== '';
    case 'Cluster':
      return isNamespaceObject || namespace === '';
    default:
      return false;
  }
}

/** Whether one rule covers the request as if it were for `type`. */
export function ruleMatches(rule: Rule, attributes: AdmissionAttributes, type: ResourceType): boolean {
  return (
    scopeMatches(rule.scope, type, requestNamespace(attributes)) &&
    contains(rule.operations, attributes.operation) &&
    contains(rule.apiGroups, type.group) &&
    contains(rule.apiVersions, type.version) &&
    resourceMatches(rule.resources, type.resource, attributes.subresource ?? '')
  );
}

const namesMatch = (rule: Rule, attributes: AdmissionAttributes) => !rule.resourceNames?.length || rule.resourceNames.includes(requestName(attributes));

/** The resource a list of rules matches the request through, if any. */
function matchingResource(rules: Rule[], matchPolicy: string | undefined, context: MatchContext): ResourceType | undefined {
  const { attributes } = context;
  for (const rule of rules) if (ruleMatches(rule, attributes, attributes.type) && namesMatch(rule, attributes)) return attributes.type;
  // Without a policy (not defaulted) rules match exactly, as upstream's matcher does.
  if (matchPolicy === undefined || matchPolicy === 'Exact') return undefined;
  const equivalents = context.equivalents();
  for (const rule of rules) {
    for (const equivalent of equivalents) if (ruleMatches(rule, attributes, equivalent) && namesMatch(rule, attributes)) return equivalent;
  }
  return undefined;
}

/** The labels a namespaceSelector is matched against, or the error reading them. */
async function namespaceLabels(context: MatchContext): Promise<{ labels: Record<string, string> } | { error: string }> {
  const { attributes } = context;
  const type = attributes.type;
  if (type.resource === 'namespaces' && !attributes.subresource && (attributes.operation === 'CREATE' || attributes.operation === 'UPDATE')) {
    return { labels: attributes.object?.metadata.labels ?? {} };
  }
  const name = requestNamespace(attributes);
  const namespace = await context.getNamespace(name);
  if (!namespace) return { error: `namespaces "${name}" not found` };
  return { labels: namespace.metadata.labels ?? {} };
}

async function namespaceSelectorMatches(match: MatchResources, context: MatchContext): Promise<boolean | { error: string }> {
  const { attributes } = context;
  if (requestNamespace(attributes) === '' && attributes.type.resource !== 'namespaces') return true;
  let selector;
  try {
    // An unset selector is taken as the empty one (upstream's API always defaults it so).
    selector = selectorFromLabelSelector(match.namespaceSelector ?? {});
  } catch (err) {
    return { error: `Internal error occurred: ${(err as Error).message}` };
  }
  if (selector.empty) return true;
  const found = await namespaceLabels(context);
  return 'error' in found ? found : selector.matches(found.labels);
}

function objectSelectorMatches(match: MatchResources, attributes: AdmissionAttributes): boolean | { error: string } {
  let selector;
  try {
    selector = selectorFromLabelSelector(match.objectSelector ?? {});
  } catch (err) {
    return { error: `Internal error occurred: ${(err as Error).message}` };
  }
  if (selector.empty) return true;
  const labelsOf = (object: KubeObject | undefined) => (object ? selector.matches(object.metadata?.labels ?? {}) : false);
  return labelsOf(attributes.object) || labelsOf(attributes.oldObject);
}

/** Whether `match` selects the request, and through which resource. */
export async function matchRequest(match: MatchResources, context: MatchContext): Promise<MatchOutcome> {
  const namespaceMatch = await namespaceSelectorMatches(match, context);
  if (namespaceMatch === false) return { matches: false };
  const objectMatch = objectSelectorMatches(match, context.attributes);
  if (objectMatch === false) return { matches: false };
  if (matchingResource(match.excludeResourceRules ?? [], match.matchPolicy, context)) return { matches: false };
  const matched = match.resourceRules?.length ? matchingResource(match.resourceRules, match.matchPolicy, context) : context.attributes.type;
  if (!matched) return { matches: false };
  // Selector errors count only for requests the rules select.
  if (namespaceMatch !== true) return namespaceMatch;
  if (objectMatch !== true) return objectMatch;
  return { matches: true, matched };
}
