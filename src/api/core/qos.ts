/** The QoS class of a pod, as upstream's GetPodQOS computes it. */
import { compareQuantities, quantityValue } from './quantity.js';
import { arr } from './validate-common.js';

const qosResources = ['cpu', 'memory'];

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export function podQOSClass(spec: any): QOSClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const add = (into: Map<string, number>, name: string, q: unknown): boolean => {
    const value = quantityValue(q) ?? 0;
    if (!qosResources.includes(name) || !(value > 0)) return false;
    into.set(name, (into.get(name) ?? 0) + value);
    return true;
  };
  for (const c of [...arr(spec?.initContainers), ...arr(spec?.containers)]) {
    for (const [name, q] of Object.entries(c?.resources?.requests ?? {})) add(requests, name, q);
    const found = new Set<string>();
    for (const [name, q] of Object.entries(c?.resources?.limits ?? {})) if (add(limits, name, q)) found.add(name);
    if (!qosResources.every((r) => found.has(r))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, value] of requests) if (!limits.has(name) || compareQuantities(limits.get(name), value) !== 0) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
