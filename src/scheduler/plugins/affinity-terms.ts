/**
 * Pod (anti-)affinity terms, parsed once per pod: which pods a term selects
 * (label selector, and namespaces — listed, chosen by a namespace selector,
 * or the pod's own), over which topology (a node label key).
 */
import { selectorFromLabelSelector, type Selector } from '../../machinery/labels.js';
import type { Handle } from '../framework/interface.js';
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from '../types.js';

export interface AffinityTerm {
  /** Equal terms (same selector, namespaces and topology) share it: a match is computed once per cycle. */
  signature: string;
  selector: Selector;
  /** Namespaces listed (or the pod's own when none are listed and there is no namespace selector). */
  namespaces: Set<string>;
  namespaceSelector?: Selector;
  topologyKey: string;
  weight: number;
}

export interface ParsedAffinity {
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: AffinityTerm[];
  preferredAntiAffinity: AffinityTerm[];
}

const cache = new WeakMap<Pod, ParsedAffinity>();

function parseTerm(pod: Pod, term: PodAffinityTerm, weight: number): AffinityTerm {
  const namespaces = new Set(term.namespaces ?? []);
  const namespaceSelector = term.namespaceSelector ? selectorFromLabelSelector(term.namespaceSelector) : undefined;
  if (namespaces.size === 0 && !namespaceSelector) namespaces.add(pod.metadata.namespace ?? 'default');
  const selector = selectorFromLabelSelector(term.labelSelector);
  const signature = [selector.empty ? '*' : selector.toString(), [...namespaces].sort().join(','), namespaceSelector?.toString() ?? '', term.topologyKey].join('\u0000');
  return { signature, selector, namespaces, namespaceSelector, topologyKey: term.topologyKey, weight };
}

export function affinityOf(pod: Pod): ParsedAffinity {
  let parsed = cache.get(pod);
  if (parsed) return parsed;
  const affinity = pod.spec?.affinity;
  const weighted = (terms: WeightedPodAffinityTerm[] | undefined) => (terms ?? []).filter((t) => t.weight).map((t) => parseTerm(pod, t.podAffinityTerm, t.weight));
  parsed = {
    requiredAffinity: (affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => parseTerm(pod, t, 1)),
    requiredAntiAffinity: (affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => parseTerm(pod, t, 1)),
    preferredAffinity: weighted(affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: weighted(affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
  cache.set(pod, parsed);
  return parsed;
}

/** Whether a term selects a pod: its namespace is one the term covers and its labels match. */
export function termMatches(term: AffinityTerm, pod: Pod, handle: Pick<Handle, 'namespaceLabels'>): boolean {
  const namespace = pod.metadata.namespace ?? 'default';
  let inNamespace = term.namespaces.has(namespace);
  if (!inNamespace && term.namespaceSelector) {
    const labels = handle.namespaceLabels(namespace);
    inNamespace = labels !== undefined && term.namespaceSelector.matches(labels);
  }
  return inNamespace && term.selector.matches(pod.metadata.labels ?? {});
}

/** The key of a topology domain: a label key and the node's value for it. */
export function topologyPair(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

/** termMatches with the answers remembered by term signature, for one pod in one cycle. */
export function cachedMatcher(pod: Pod, handle: Pick<Handle, 'namespaceLabels'>): (term: AffinityTerm) => boolean {
  const answers = new Map<string, boolean>();
  return (term) => {
    let answer = answers.get(term.signature);
    if (answer === undefined) answers.set(term.signature, (answer = termMatches(term, pod, handle)));
    return answer;
  };
}
