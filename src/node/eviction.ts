/**
 * Node-pressure eviction, as upstream's eviction manager does it: when the
 * node is short of memory or disk, the agent fails one pod at a time —
 * phase Failed, reason `Evicted` — so the rest of the node survives (and
 * controllers make replacements elsewhere). Which pod goes first:
 *
 *   1. pods using more than they requested, before pods within their requests;
 *   2. then lower priority (spec.priority) before higher;
 *   3. then the pod using the most above its request.
 *
 * A pod's emptyDir that grows past its sizeLimit gets that pod evicted too,
 * whatever the node's state.
 */
import { quantityValue, tryParseQuantity } from '../machinery/quantity.js';

export type EvictionResource = 'memory' | 'ephemeral-storage';

export interface EvictionCandidate {
  key: string;
  priority: number;
  /** What each container uses now (bytes), by container name. */
  usage: Record<string, number>;
  /** What each container requested (bytes), by container name. */
  requests: Record<string, number>;
}

function total(values: Record<string, number>): number {
  return Object.values(values).reduce((sum, value) => sum + value, 0);
}

/** The candidates, most evictable first. */
export function rankForEviction(candidates: EvictionCandidate[]): EvictionCandidate[] {
  const over = (c: EvictionCandidate) => total(c.usage) - total(c.requests);
  return [...candidates].sort((a, b) => {
    const aOver = over(a) > 0 ? 1 : 0;
    const bOver = over(b) > 0 ? 1 : 0;
    if (aOver !== bOver) return bOver - aOver;
    if (a.priority !== b.priority) return a.priority - b.priority;
    return over(b) - over(a);
  });
}

function mebibytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))}Mi`;
}

/** Upstream's message for a pod evicted under node pressure. */
export function pressureMessage(resource: EvictionResource, threshold: string, availableBytes: number, candidate: EvictionCandidate): string {
  const containers = Object.keys(candidate.usage)
    .filter((name) => candidate.usage[name] > (candidate.requests[name] ?? 0))
    .map((name) => `Container ${name} was using ${mebibytes(candidate.usage[name])}, request is ${candidate.requests[name] ? mebibytes(candidate.requests[name]) : '0'}, has larger consumption of ${resource}. `)
    .join('');
  return `The node was low on resource: ${resource}. Threshold quantity: ${threshold}, available: ${mebibytes(availableBytes)}. ${containers}`.trim();
}

/** Upstream's message for an emptyDir over its sizeLimit. */
export function emptyDirMessage(volume: string, sizeLimit: string): string {
  return `Usage of EmptyDir volume "${volume}" exceeds the limit "${sizeLimit}". `;
}

/** A container's memory request in bytes (0 when it has none). */
export function memoryRequest(resources: { requests?: Record<string, string> } | undefined): number {
  const text = resources?.requests?.memory;
  const quantity = text ? tryParseQuantity(text) : undefined;
  return quantity ? quantityValue(quantity) : 0;
}
