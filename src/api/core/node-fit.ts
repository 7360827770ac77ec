/**
 * Whether a pod may run on a node, as far as the node's labels and taints
 * decide it: `nodeSelector`, required node affinity, and taints against
 * tolerations. Pure functions on API data, shared by the DaemonSet
 * controller, the node lifecycle controller and the scheduler.
 */
import type { Toleration } from '../common/tolerations.js';

export type { Toleration };

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}


export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface NodeLike {
  metadata: { name?: string; labels?: Record<string, string> };
  spec?: { taints?: Taint[]; unschedulable?: boolean };
}

export interface PodPlacement {
  nodeSelector?: Record<string, string>;
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } };
  tolerations?: Toleration[];
}

function requirementMatches(requirement: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value) || values.length !== 1) return false;
      const have = Number(value);
      const bound = Number(values[0]);
      return requirement.operator === 'Gt' ? have > bound : have < bound;
    }
    default:
      return false;
  }
}

/** One term matches when all its expressions (on labels) and fields (metadata.name) match; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: NodeLike): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!expressions.length && !fields.length) return false;
  return (
    expressions.every((r) => requirementMatches(r, node.metadata.labels?.[r.key])) &&
    fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.metadata.name))
  );
}

/** nodeSelector and required node affinity (terms are ORed). */
export function nodeMatchesPod(pod: PodPlacement, node: NodeLike): boolean {
  for (const [key, value] of Object.entries(pod.nodeSelector ?? {})) {
    if (node.metadata.labels?.[key] !== value) return false;
  }
  const terms = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((term) => nodeSelectorTermMatches(term, node))) return false;
  return true;
}

export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  // An empty key with Exists tolerates every taint.
  if (!toleration.key) return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** The taints with one of `effects` that no toleration tolerates. */
export function untoleratedTaints(taints: Taint[] | undefined, tolerations: Toleration[] | undefined, effects: string[]): Taint[] {
  return (taints ?? []).filter((taint) => effects.includes(taint.effect) && !(tolerations ?? []).some((t) => tolerates(t, taint)));
}
