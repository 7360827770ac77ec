/**
 * What ResourceQuota admission measures for each kind, as upstream's quota
 * evaluators (pkg/quota/v1/evaluator/core and the generic object counter):
 * which quota resource names concern the kind, which operations can change
 * its usage, which quota scopes an object falls in, what a pod must state,
 * and the object's usage.
 *
 * The usage itself comes from the ResourceQuota controller's own
 * evaluation (api/core/quota-usage.ts), applied to the one
 * object, so that what admission charges is what the controller later
 * counts. A name upstream would charge but usage.ts does not track yet
 * (a bare `hugepages-<size>`, `<class>.storageclass.storage.k8s.io/…`) is not
 * enforced here either: the controller would set it back to zero.
 */
import { isPlainObject, type KubeObject } from '../../machinery/object.js';
import { tryParseQuantity, type Quantity } from '../../machinery/quantity.js';
import { podInScopes, usageOf, type NamespaceObjects, type QuotaPod } from '../../api/core/quota-usage.js';
import type { Operation } from './chain.js';

export interface ScopeRequirement {
  scopeName?: string;
  operator?: string;
  values?: string[];
}

export interface QuotaEvaluator {
  /** How usage.ts names the kind's objects: `pods`, `deployments.apps`. */
  readonly kindKey: string;
  /** Whether the operation can change the kind's usage. */
  handles(operation: Operation): boolean;
  /** The given quota resource names that this kind's objects use. */
  matchingResources(names: string[]): string[];
  /** Whether the object falls in one of a quota's scope requirements. */
  matchesScope(requirement: ScopeRequirement, object: KubeObject): boolean;
  /** Why the object may not be charged to a quota that limits `required`, or undefined. */
  constraints(required: string[], object: KubeObject): string | undefined;
  /** The object's usage of each of the names. */
  usage(object: KubeObject, names: string[]): Map<string, Quantity>;
}

const storageClassSuffix = '.storageclass.storage.k8s.io/';
const legacyCountNames: Record<string, string> = { configmaps: 'configmaps', resourcequotas: 'resourcequotas', replicationcontrollers: 'replicationcontrollers', secrets: 'secrets' };

/** Pod names quota tracks (upstream's podResources). */
const podResources = new Set([
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
]);

/** Names a quota on which obliges every container to state the amount (a mistake upstream keeps for compatibility). */
const mustBeStated = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

/** Upstream's IsNativeResource: no domain, or a kubernetes.io one. */
const isNativeResource = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');

function objectsOf(kindKey: string, objects: KubeObject[]): NamespaceObjects {
  return new Map([[kindKey, objects]]);
}

/** Whether usage.ts computes the name for the kind (it answers undefined for names it does not track). */
function tracked(kindKey: string, name: string): boolean {
  return usageOf(name, objectsOf(kindKey, [])) !== undefined;
}

function usageWith(kindKey: string) {
  return (object: KubeObject, names: string[]): Map<string, Quantity> => {
    const objects = objectsOf(kindKey, [object]);
    const usage = new Map<string, Quantity>();
    for (const name of names) {
      const amount = usageOf(name, objects);
      const parsed = amount === undefined ? undefined : tryParseQuantity(amount);
      if (parsed) usage.set(name, parsed);
    }
    return usage;
  };
}

interface Container {
  name?: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
}

/** The names a container states (upstream's podComputeUsageHelper, for the names pods must state). */
function statedNames(container: Container): Set<string> {
  const stated = new Set<string>();
  const requests = isPlainObject(container.resources?.requests) ? container.resources.requests : {};
  const limits = isPlainObject(container.resources?.limits) ? container.resources.limits : {};
  for (const resource of ['cpu', 'memory']) {
    if (Object.hasOwn(requests, resource)) stated.add(resource).add(`requests.${resource}`);
    if (Object.hasOwn(limits, resource)) stated.add(`limits.${resource}`);
  }
  return stated;
}

function podConstraints(required: string[], pod: KubeObject): string | undefined {
  const requiredSet = required.filter((name) => mustBeStated.includes(name));
  if (requiredSet.length === 0) return undefined;
  const spec = pod.spec as { containers?: unknown; initContainers?: unknown } | undefined;
  const containers = [spec?.containers, spec?.initContainers].flatMap((list) => (Array.isArray(list) ? list.filter(isPlainObject) : [])) as Container[];
  const missing = new Map<string, Set<string>>();
  for (const container of containers) {
    const stated = statedNames(container);
    for (const name of requiredSet) {
      if (stated.has(name)) continue;
      if (!missing.has(name)) missing.set(name, new Set());
      missing.get(name)!.add(container.name ?? '');
    }
  }
  if (missing.size === 0) return undefined;
  const phrases = [...missing.keys()].sort().map((name) => `${name} for: ${[...missing.get(name)!].sort().join(',')}`);
  return `must specify ${phrases.join('; ')}`;
}

function usesCrossNamespacePodAffinity(pod: KubeObject): boolean {
  const affinity = (pod.spec as { affinity?: Record<string, unknown> } | undefined)?.affinity;
  const crossNamespace = (term: unknown) => isPlainObject(term) && ((Array.isArray(term.namespaces) && term.namespaces.length > 0) || (term.namespaceSelector !== undefined && term.namespaceSelector !== null));
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const terms = affinity?.[kind] as { requiredDuringSchedulingIgnoredDuringExecution?: unknown; preferredDuringSchedulingIgnoredDuringExecution?: unknown } | undefined;
    const required = Array.isArray(terms?.requiredDuringSchedulingIgnoredDuringExecution) ? terms.requiredDuringSchedulingIgnoredDuringExecution : [];
    const preferred = Array.isArray(terms?.preferredDuringSchedulingIgnoredDuringExecution) ? terms.preferredDuringSchedulingIgnoredDuringExecution : [];
    if (required.some(crossNamespace) || preferred.some((weighted) => isPlainObject(weighted) && crossNamespace(weighted.podAffinityTerm))) return true;
  }
  return false;
}

/** A PriorityClass requirement read as a label selector on `{PriorityClass: <the pod's class>}`. */
function matchesPriorityClass(requirement: ScopeRequirement, pod: KubeObject): boolean {
  const className = (pod.spec as { priorityClassName?: string } | undefined)?.priorityClassName || undefined;
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'Exists':
      return className !== undefined;
    case 'DoesNotExist':
      return className === undefined;
    case 'In':
      return className !== undefined && values.includes(className);
    case 'NotIn':
      return className === undefined || !values.includes(className);
    default:
      return false;
  }
}

function podMatchesScope(requirement: ScopeRequirement, pod: KubeObject): boolean {
  switch (requirement.scopeName) {
    case 'Terminating':
    case 'NotTerminating':
    case 'BestEffort':
    case 'NotBestEffort':
      return podInScopes(pod as QuotaPod, [requirement.scopeName]);
    case 'PriorityClass':
      return matchesPriorityClass(requirement, pod);
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespacePodAffinity(pod);
    default:
      return false;
  }
}

const podEvaluator: QuotaEvaluator = {
  kindKey: 'pods',
  // A pod's resources cannot change after create (in-place resize is alpha in v1.32).
  handles: (operation) => operation === 'CREATE',
  matchingResources: (names) =>
    names.filter(
      (name) =>
        (podResources.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.hugepages-') || (name.startsWith('requests.') && !isNativeResource(name))) &&
        tracked('pods', name),
    ),
  matchesScope: podMatchesScope,
  constraints: podConstraints,
  usage: usageWith('pods'),
};

const serviceEvaluator: QuotaEvaluator = {
  kindKey: 'services',
  // An update can change a service's type, and so its node ports and load balancers.
  handles: (operation) => operation === 'CREATE' || operation === 'UPDATE',
  matchingResources: (names) => names.filter((name) => ['count/services', 'services', 'services.nodeports', 'services.loadbalancers'].includes(name) && tracked('services', name)),
  matchesScope: () => false,
  constraints: () => undefined,
  usage: usageWith('services'),
};

const claimEvaluator: QuotaEvaluator = {
  kindKey: 'persistentvolumeclaims',
  // An update can expand a claim's storage.
  handles: (operation) => operation === 'CREATE' || operation === 'UPDATE',
  matchingResources: (names) =>
    names.filter((name) => {
      const byClass = name.endsWith(`${storageClassSuffix}persistentvolumeclaims`) || name.endsWith(`${storageClassSuffix}requests.storage`);
      return (['persistentvolumeclaims', 'count/persistentvolumeclaims', 'requests.storage'].includes(name) || byClass) && tracked('persistentvolumeclaims', name);
    }),
  matchesScope: () => false,
  constraints: () => undefined,
  usage: usageWith('persistentvolumeclaims'),
};

/** Any other kind: its objects are counted as `count/<resource>.<group>` (and the legacy name of a few core kinds). */
function objectCountEvaluator(kindKey: string): QuotaEvaluator {
  const names = [`count/${kindKey}`, ...(legacyCountNames[kindKey] ? [legacyCountNames[kindKey]] : [])];
  return {
    kindKey,
    handles: (operation) => operation === 'CREATE',
    matchingResources: (input) => input.filter((name) => names.includes(name) && tracked(kindKey, name)),
    matchesScope: () => false,
    constraints: () => undefined,
    usage: usageWith(kindKey),
  };
}

/** The evaluator for a resource (upstream's registry, with an object counter for every kind it lacks). */
export function quotaEvaluatorFor(group: string, resource: string): QuotaEvaluator {
  if (group === '') {
    if (resource === 'pods') return podEvaluator;
    if (resource === 'services') return serviceEvaluator;
    if (resource === 'persistentvolumeclaims') return claimEvaluator;
  }
  return objectCountEvaluator(group ? `${resource}.${group}` : resource);
}
