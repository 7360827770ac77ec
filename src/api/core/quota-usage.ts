/**
 * How much of a namespace a ResourceQuota's resources use: object counts
 * (`pods`, `services`, `count/deployments.apps`, …), compute requests and
 * limits of the pods that still run (`requests.cpu`, `limits.memory`, …),
 * storage requested by claims, and node ports of services. Pure functions
 * over lists of objects; the controller supplies the lists.
 */
import { addQuantities, formatQuantity, parseQuantity, tryParseQuantity, type Quantity } from '../../machinery/quantity.js';
import type { KubeObject } from '../../machinery/object.js';
import { podQOSClass } from './qos.js';

interface Container {
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export interface QuotaPod extends KubeObject {
  spec?: { containers?: Container[]; initContainers?: Container[]; overhead?: Record<string, string>; activeDeadlineSeconds?: number };
  status?: { phase?: string };
}

export interface QuotaService extends KubeObject {
  spec?: { type?: string; ports?: { nodePort?: number }[] };
}

export interface QuotaClaim extends KubeObject {
  spec?: { resources?: { requests?: Record<string, string> } };
}

/** The objects in one namespace, by `resource.group` (core resources without a group). */
export type NamespaceObjects = Map<string, KubeObject[]>;

const zero = (): Quantity => parseQuantity('0');

/** a + b, in the format of the first amount that is not zero (so Mi stays Mi), as upstream's sums do. */
function add(a: Quantity, b: Quantity): Quantity {
  return { ...addQuantities(a, b), format: a.nanos === 0n ? b.format : a.format };
}

/** Pods that count against a quota: not finished. */
export function podCounts(pod: QuotaPod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** A pod's effective request or limit of one resource: max(sum of containers, largest init container) + overhead. */
export function podAmount(pod: QuotaPod, kind: 'requests' | 'limits', resource: string): Quantity | undefined {
  let seen = false;
  let sum = zero();
  for (const container of pod.spec?.containers ?? []) {
    const value = tryParseQuantity(container.resources?.[kind]?.[resource] ?? '');
    if (value) {
      sum = add(sum, value);
      seen = true;
    }
  }
  for (const container of pod.spec?.initContainers ?? []) {
    const value = tryParseQuantity(container.resources?.[kind]?.[resource] ?? '');
    if (value) {
      seen = true;
      if (value.nanos > sum.nanos) sum = { ...value };
    }
  }
  const overhead = tryParseQuantity(pod.spec?.overhead?.[resource] ?? '');
  if (overhead && seen) sum = add(sum, overhead);
  return seen ? sum : undefined;
}

/** Whether a pod is in a quota's scopes (Terminating, NotTerminating, BestEffort, NotBestEffort). */
export function podInScopes(pod: QuotaPod, scopes: string[] | undefined): boolean {
  for (const scope of scopes ?? []) {
    const terminating = pod.spec?.activeDeadlineSeconds !== undefined;
    const bestEffort = podQOSClass(pod.spec) === 'BestEffort';
    if (scope === 'Terminating' && !terminating) return false;
    if (scope === 'NotTerminating' && terminating) return false;
    if (scope === 'BestEffort' && !bestEffort) return false;
    if (scope === 'NotBestEffort' && bestEffort) return false;
  }
  return true;
}

function sumPods(pods: QuotaPod[], kind: 'requests' | 'limits', resource: string): Quantity {
  let total = zero();
  for (const pod of pods) {
    const amount = podAmount(pod, kind, resource);
    if (amount) total = add(total, amount);
  }
  return total;
}

/** The usage of one quota resource name; undefined when skiff does not track it. */
export function usageOf(name: string, objects: NamespaceObjects, scopes?: string[]): string | undefined {
  const pods = ((objects.get('pods') ?? []) as QuotaPod[]).filter(podCounts).filter((pod) => podInScopes(pod, scopes));
  const count = (resource: string) => String((objects.get(resource) ?? []).length);
  if (name === 'pods' || name === 'count/pods') return String(pods.length);
  if (name.startsWith('count/')) {
    const resource = name.slice('count/'.length);
    return objects.has(resource) ? count(resource) : undefined;
  }
  if (['services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers', 'resourcequotas'].includes(name)) {
    return objects.has(name) ? count(name) : undefined;
  }
  if (name === 'services.loadbalancers') return String(((objects.get('services') ?? []) as QuotaService[]).filter((s) => s.spec?.type === 'LoadBalancer').length);
  if (name === 'services.nodeports') {
    const services = ((objects.get('services') ?? []) as QuotaService[]).filter((s) => s.spec?.type === 'NodePort' || s.spec?.type === 'LoadBalancer');
    return String(services.reduce((n, s) => n + (s.spec?.ports ?? []).filter((p) => p.nodePort).length, 0));
  }
  if (name === 'requests.storage') {
    let total = zero();
    for (const claim of (objects.get('persistentvolumeclaims') ?? []) as QuotaClaim[]) {
      const value = tryParseQuantity(claim.spec?.resources?.requests?.storage ?? '');
      if (value) total = add(total, value);
    }
    return formatQuantity(total);
  }
  // Compute resources: `cpu` means `requests.cpu`, as upstream.
  const match = /^(requests|limits)\.(.+)$/.exec(name);
  if (match) return formatQuantity(sumPods(pods, match[1] as 'requests' | 'limits', match[2]));
  if (['cpu', 'memory', 'ephemeral-storage'].includes(name)) return formatQuantity(sumPods(pods, 'requests', name));
  return undefined;
}
