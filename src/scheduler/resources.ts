/**
 * Resource amounts as the scheduler counts them: CPU in millicores, memory
 * and ephemeral storage in bytes, a pod count, and extended resources
 * (`example.com/gpu`) as whole numbers — upstream's `framework.Resource`.
 * Quantities are parsed once, when a pod or node enters the cache.
 */
import { milliValue, quantityValue, tryParseQuantity } from '../machinery/quantity.js';
import type { Container, Node, Pod, ResourceList } from './types.js';

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  pods: number;
  /** Extended and hugepage resources, by name. */
  scalar: Map<string, number>;
}

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: new Map() };
}

/** The default requests upstream assumes for scoring when a container asks for none (100m CPU, 200 MiB). */
export const defaultMilliCPURequest = 100;
export const defaultMemoryRequest = 200 * 1024 * 1024;

function amount(name: string, text: string): number {
  const q = tryParseQuantity(String(text));
  if (!q) return 0;
  return name === 'cpu' ? Number(milliValue(q)) : Math.ceil(quantityValue(q));
}

/** Adds a resource list into `into` (in place). */
export function addList(into: Resources, list: ResourceList | undefined): void {
  for (const [name, text] of Object.entries(list ?? {})) {
    const value = amount(name, text);
    if (name === 'cpu') into.milliCPU += value;
    else if (name === 'memory') into.memory += value;
    else if (name === 'ephemeral-storage') into.ephemeralStorage += value;
    else if (name === 'pods') into.pods += value;
    else into.scalar.set(name, (into.scalar.get(name) ?? 0) + value);
  }
}

function maxInto(into: Resources, other: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, other.milliCPU);
  into.memory = Math.max(into.memory, other.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, other.ephemeralStorage);
  for (const [name, value] of other.scalar) into.scalar.set(name, Math.max(into.scalar.get(name) ?? 0, value));
}

export function addInto(into: Resources, other: Resources, sign = 1): void {
  into.milliCPU += sign * other.milliCPU;
  into.memory += sign * other.memory;
  into.ephemeralStorage += sign * other.ephemeralStorage;
  into.pods += sign * other.pods;
  for (const [name, value] of other.scalar) into.scalar.set(name, (into.scalar.get(name) ?? 0) + sign * value);
}

function containerRequests(container: Container): Resources {
  const r = emptyResources();
  addList(r, container.resources?.requests);
  return r;
}

/**
 * A pod's effective request: the sum of its containers (and of restartable
 * "sidecar" init containers), or the largest regular init container if that
 * is more — init containers run one at a time, before the others — plus the
 * pod overhead.
 */
export function podRequests(pod: Pod): Resources {
  const total = emptyResources();
  for (const container of pod.spec?.containers ?? []) addInto(total, containerRequests(container));
  const sidecars = emptyResources();
  for (const init of pod.spec?.initContainers ?? []) {
    const r = containerRequests(init);
    if (init.restartPolicy === 'Always') {
      addInto(total, r);
      addInto(sidecars, r);
    } else {
      // A regular init container runs beside the sidecars started before it.
      const during = emptyResources();
      addInto(during, r);
      addInto(during, sidecars);
      maxInto(total, during);
    }
  }
  addList(total, pod.spec?.overhead);
  total.pods = 0;
  return total;
}

/** The request used for scoring: containers without a CPU or memory request count as 100m / 200 MiB. */
export function podRequestsForScoring(pod: Pod): { milliCPU: number; memory: number } {
  let milliCPU = 0;
  let memory = 0;
  for (const container of pod.spec?.containers ?? []) {
    const requests = container.resources?.requests ?? {};
    milliCPU += requests.cpu !== undefined ? amount('cpu', requests.cpu) : defaultMilliCPURequest;
    memory += requests.memory !== undefined ? amount('memory', requests.memory) : defaultMemoryRequest;
  }
  const overhead = emptyResources();
  addList(overhead, pod.spec?.overhead);
  return { milliCPU: milliCPU + overhead.milliCPU, memory: memory + overhead.memory };
}

/** What a node offers: its allocatable. (A node that states no `pods` allows none, as upstream.) */
export function nodeAllocatable(node: Node): Resources {
  const r = emptyResources();
  addList(r, node.status?.allocatable);
  return r;
}
