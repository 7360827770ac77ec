/**
 * A small builder that keeps the policy tables readable:
 *
 *   rule('get', 'list', 'watch').groups('').resources('pods')
 *   rule('get').urls('/healthz', '/livez')
 *
 * Finished rules come out as upstream's builder leaves them: every list
 * sorted, so they read (and compare) like the YAML upstream publishes.
 */
import type { PolicyRule } from '../schema.js';

// Verb sets of upstream's bootstrap policy.
export const read = ['get', 'list', 'watch'];
export const write = ['create', 'update', 'patch', 'delete', 'deletecollection'];
export const readWrite = [...read, ...write];
export const readUpdate = ['get', 'list', 'watch', 'update', 'patch'];

// API groups the policy names.
export const legacyGroup = '';
export const appsGroup = 'apps';
export const authenticationGroup = 'authentication.k8s.io';
export const authorizationGroup = 'authorization.k8s.io';
export const autoscalingGroup = 'autoscaling';
export const batchGroup = 'batch';
export const certificatesGroup = 'certificates.k8s.io';
export const coordinationGroup = 'coordination.k8s.io';
export const discoveryGroup = 'discovery.k8s.io';
export const extensionsGroup = 'extensions';
export const policyGroup = 'policy';
export const rbacGroup = 'rbac.authorization.k8s.io';
export const storageGroup = 'storage.k8s.io';
export const resourceMetricsGroup = 'metrics.k8s.io';
export const customMetricsGroup = 'custom.metrics.k8s.io';
export const externalMetricsGroup = 'external.metrics.k8s.io';
export const networkingGroup = 'networking.k8s.io';
export const eventsGroup = 'events.k8s.io';
export const admissionRegistrationGroup = 'admissionregistration.k8s.io';
export const nodeGroup = 'node.k8s.io';
export const apiExtensionsGroup = 'apiextensions.k8s.io';

export class RuleBuilder {
  constructor(private readonly parts: Required<PolicyRule>) {}

  groups(...groups: string[]): RuleBuilder {
    return new RuleBuilder({ ...this.parts, apiGroups: [...this.parts.apiGroups, ...groups] });
  }

  resources(...resources: string[]): RuleBuilder {
    return new RuleBuilder({ ...this.parts, resources: [...this.parts.resources, ...resources] });
  }

  names(...names: string[]): RuleBuilder {
    return new RuleBuilder({ ...this.parts, resourceNames: [...this.parts.resourceNames, ...names] });
  }

  urls(...urls: string[]): RuleBuilder {
    return new RuleBuilder({ ...this.parts, nonResourceURLs: [...this.parts.nonResourceURLs, ...urls] });
  }

  /** The finished rule; throws on a rule upstream's builder would refuse (these tables are code, so that is a bug). */
  build(): PolicyRule {
    const { verbs, apiGroups, resources, resourceNames, nonResourceURLs } = this.parts;
    const describe = () => JSON.stringify(this.parts);
    if (verbs.length === 0) throw new Error(`a rule needs verbs: ${describe()}`);
    if (nonResourceURLs.length > 0) {
      if (apiGroups.length + resources.length + resourceNames.length > 0) throw new Error(`a non-resource rule may not have apiGroups, resources or resourceNames: ${describe()}`);
      return { verbs: sorted(verbs), nonResourceURLs: sorted(nonResourceURLs) };
    }
    if (resources.length === 0) throw new Error(`a rule needs resources or nonResourceURLs: ${describe()}`);
    // Forgetting the group is the usual slip: the core group is '', not "none".
    if (apiGroups.length === 0) throw new Error(`a resource rule needs apiGroups: ${describe()}`);
    const rule: PolicyRule = { verbs: sorted(verbs), apiGroups: sorted(apiGroups), resources: sorted(resources) };
    if (resourceNames.length > 0) rule.resourceNames = sorted(resourceNames);
    return rule;
  }
}

const sorted = (values: string[]) => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export function rule(...verbs: string[]): RuleBuilder {
  return new RuleBuilder({ verbs, apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [] });
}

/** Create, update and patch of events in both event groups: what every component that records events needs. */
export const eventsRule = () => rule('create', 'update', 'patch').groups(legacyGroup, eventsGroup).resources('events');

/** Finishes a table of rules. */
export const rules = (...builders: RuleBuilder[]): PolicyRule[] => builders.map((builder) => builder.build());
