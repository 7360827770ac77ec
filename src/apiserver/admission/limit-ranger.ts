/**
 * LimitRanger, as upstream's admission plugin: the LimitRanges of a
 * namespace give its pods' containers default requests and limits (the
 * mutating phase), and bound what containers, pods and claims may ask for
 * (the validating phase, which sees the object after every mutation).
 *
 * Pods are handled on create only: their containers' resources cannot change
 * afterwards, as upstream reasons. Claims are checked on create and update
 * (a resize), against `PersistentVolumeClaim` items' min and max storage.
 */
import { isPlainObject, type KubeObject } from '../../machinery/object.js';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.js';
import { admissionForbidden, lookupFailure } from './forbidden.js';
import {
  aggregateMessage,
  limitRequestRatioConstraint,
  maxConstraint,
  maxRequestConstraint,
  minConstraint,
  podLimits,
  podRequests,
  quantityMap,
  type QuantityMap,
} from './limit-ranger-constraints.js';

export const limitRangerAnnotation = 'kubernetes.io/limit-ranger';

/** A namespace's LimitRanges (from the watch cache). */
export interface LimitRangerDependencies {
  listLimitRanges(namespace: string): KubeObject[] | Promise<KubeObject[]>;
}

interface LimitRangeItem {
  type?: string;
  min?: Record<string, unknown>;
  max?: Record<string, unknown>;
  default?: Record<string, unknown>;
  defaultRequest?: Record<string, unknown>;
  maxLimitRequestRatio?: Record<string, unknown>;
}

interface Container {
  name?: string;
  restartPolicy?: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
}

type Pod = KubeObject & { spec?: { containers?: Container[]; initContainers?: Container[] } };
type Claim = KubeObject & { spec?: { resources?: { requests?: Record<string, unknown> } } };

function limitItems(limitRange: KubeObject): LimitRangeItem[] {
  const limits = (limitRange.spec as { limits?: unknown } | undefined)?.limits;
  return Array.isArray(limits) ? limits.filter(isPlainObject) : [];
}

/** Only containers that are objects: the mutating phase runs before the pod is validated. */
function containersOf(list: unknown): Container[] {
  return Array.isArray(list) ? list.filter(isPlainObject) : [];
}

/** The defaults of a LimitRange's `Container` items: `default` are limits, `defaultRequest` requests. */
function containerDefaults(limitRange: KubeObject): { requests: Record<string, unknown>; limits: Record<string, unknown> } {
  const requests: Record<string, unknown> = {};
  const limits: Record<string, unknown> = {};
  for (const item of limitItems(limitRange)) {
    if (item.type !== 'Container') continue;
    if (isPlainObject(item.defaultRequest)) Object.assign(requests, item.defaultRequest);
    if (isPlainObject(item.default)) Object.assign(limits, item.default);
  }
  return { requests, limits };
}

/** Sets what a container lacks; returns the annotation's phrases for it. */
function defaultContainer(container: Container, defaults: { requests: Record<string, unknown>; limits: Record<string, unknown> }, what: string): string[] {
  const setRequests: string[] = [];
  const setLimits: string[] = [];
  // A malformed resources field is left for validation to refuse.
  if (container.resources !== undefined && !isPlainObject(container.resources)) return [];
  const fill = (kind: 'requests' | 'limits', from: Record<string, unknown>, set: string[]) => {
    if (container.resources?.[kind] !== undefined && !isPlainObject(container.resources[kind])) return;
    for (const [name, value] of Object.entries(from)) {
      const current = container.resources?.[kind];
      if (current && Object.hasOwn(current, name)) continue;
      container.resources = { ...container.resources, [kind]: { ...current, [name]: value } };
      set.push(name);
    }
  };
  fill('limits', defaults.limits, setLimits);
  fill('requests', defaults.requests, setRequests);
  const phrases: string[] = [];
  if (setRequests.length > 0) phrases.push(`${setRequests.sort().join(', ')} request for ${what} ${container.name ?? ''}`);
  if (setLimits.length > 0) phrases.push(`${setLimits.sort().join(', ')} limit for ${what} ${container.name ?? ''}`);
  return phrases;
}

/** Applies one LimitRange's container defaults and records what was set in the pod's annotation. */
export function applyContainerDefaults(limitRange: KubeObject, pod: Pod): void {
  if (!isPlainObject(pod.spec)) return;
  const defaults = containerDefaults(limitRange);
  if (Object.keys(defaults.requests).length === 0 && Object.keys(defaults.limits).length === 0) return;
  const phrases = [
    ...containersOf(pod.spec.containers).flatMap((c) => defaultContainer(c, defaults, 'container')),
    ...containersOf(pod.spec.initContainers).flatMap((c) => defaultContainer(c, defaults, 'init container')),
  ];
  if (phrases.length === 0) return;
  pod.metadata.annotations = { ...pod.metadata.annotations, [limitRangerAnnotation]: `LimitRanger plugin set: ${phrases.join('; ')}` };
}

/** Checks one container's (or the pod's summed) requests and limits against a `Container` or `Pod` item. */
function checkItem(item: LimitRangeItem, type: string, requests: QuantityMap, limits: QuantityMap, problems: string[]): void {
  for (const [name, enforced] of quantityMap(item.min)) problems.push(...minConstraint(type, name, enforced, requests, limits));
  for (const [name, enforced] of quantityMap(item.max)) problems.push(...maxConstraint(type, name, enforced, requests, limits));
  for (const [name, enforced] of quantityMap(item.maxLimitRequestRatio)) problems.push(...limitRequestRatioConstraint(type, name, enforced, requests, limits));
}

/** Every way a pod breaks one LimitRange, in upstream's wording and order. */
export function podLimitProblems(limitRange: KubeObject, pod: Pod): string[] {
  const problems: string[] = [];
  const containers = containersOf(pod.spec?.containers);
  const initContainers = containersOf(pod.spec?.initContainers);
  for (const item of limitItems(limitRange)) {
    if (item.type === 'Container') {
      for (const container of [...containers, ...initContainers]) {
        checkItem(item, 'Container', quantityMap(container.resources?.requests), quantityMap(container.resources?.limits), problems);
      }
    } else if (item.type === 'Pod') {
      checkItem(item, 'Pod', podRequests(containers, initContainers), podLimits(containers, initContainers), problems);
    }
  }
  return problems;
}

/** Every way a claim breaks one LimitRange: its storage request against min and max. */
export function claimLimitProblems(limitRange: KubeObject, claim: Claim): string[] {
  const problems: string[] = [];
  const requests = quantityMap(claim.spec?.resources?.requests);
  for (const item of limitItems(limitRange)) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    // A claim's limits are not what its user asks for; only requests count.
    for (const [name, enforced] of quantityMap(item.min)) problems.push(...minConstraint(item.type, name, enforced, requests, new Map()));
    for (const [name, enforced] of quantityMap(item.max)) problems.push(...maxRequestConstraint(item.type, name, enforced, requests));
  }
  return problems;
}

function handledKind(a: AdmissionAttributes): 'pods' | 'persistentvolumeclaims' | undefined {
  if (a.subresource || a.type.group !== '' || !a.object || !a.namespace) return undefined;
  if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return undefined;
  // An object being deleted is never held back.
  if (a.oldObject?.metadata?.deletionTimestamp) return undefined;
  if (a.type.resource === 'pods') return a.operation === 'CREATE' ? 'pods' : undefined;
  if (a.type.resource === 'persistentvolumeclaims') return 'persistentvolumeclaims';
  return undefined;
}

export function limitRangerPlugin(deps: LimitRangerDependencies): AdmissionPlugin {
  const limitRangesOf = async (a: AdmissionAttributes): Promise<KubeObject[]> => {
    try {
      return await deps.listLimitRanges(a.namespace!);
    } catch (err) {
      throw lookupFailure(a, err);
    }
  };
  return {
    name: 'LimitRanger',
    async admit(a) {
      if (handledKind(a) !== 'pods') return;
      for (const limitRange of await limitRangesOf(a)) applyContainerDefaults(limitRange, a.object as Pod);
    },
    async validate(a) {
      const kind = handledKind(a);
      if (!kind) return;
      // The first LimitRange the object breaks refuses it, with all that LimitRange's complaints.
      for (const limitRange of await limitRangesOf(a)) {
        const problems = kind === 'pods' ? podLimitProblems(limitRange, a.object as Pod) : claimLimitProblems(limitRange, a.object as Claim);
        if (problems.length > 0) throw admissionForbidden(a, aggregateMessage(problems));
      }
    },
  };
}
