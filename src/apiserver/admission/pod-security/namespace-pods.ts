/**
 * What a namespace's new labels mean for what already runs there: when the
 * enforce level gets stricter, the existing pods are judged against it and
 * the violations come back as warnings (nothing is refused). Bounded as
 * upstream bounds it: at most 3000 pods, at most one second in all, one
 * pod per controller first so replicas do not use up the budget.
 */
import type { KubeObject } from '../../../machinery/object.js';
import { aggregateCheckResults, aggregateForbiddenReason } from './checks.js';
import type { Evaluator } from './evaluator.js';
import { levelVersionString, type LevelVersion } from './levels.js';
import {
  auditLevelLabel,
  auditVersionLabel,
  enforceLevelLabel,
  enforceVersionLabel,
  equivalentPolicies,
  fullyPrivileged,
  warnLevelLabel,
  warnVersionLabel,
  type Policy,
} from './namespace-labels.js';
import { byteOrder, type PodSpec } from './pod-spec.js';

export interface NamespacePodCheckLimits {
  /** Pods judged at most (upstream: 3000). */
  maxPods: number;
  /** Time for listing and judging together, in milliseconds (upstream: one second). */
  timeoutMs: number;
}

export const defaultNamespacePodCheckLimits: NamespacePodCheckLimits = Object.freeze({ maxPods: 3000, timeoutMs: 1000 });

export interface NamespacePodCheck {
  namespace: string;
  enforce: LevelVersion;
  listPods(namespace: string): Promise<KubeObject[]>;
  evaluator: Evaluator;
  exemptRuntimeClass(runtimeClassName: unknown): boolean;
  limits?: NamespacePodCheckLimits;
  /** The clock, in milliseconds (tests replace it). */
  now?: () => number;
}

const listFailed = 'failed to list pods while checking new PodSecurity enforce level';
/** Judging yields to other requests this often, so a big namespace does not stall the server. */
const podsPerSlice = 100;

const specOf = (pod: KubeObject): PodSpec => (pod.spec && typeof pod.spec === 'object' ? (pod.spec as PodSpec) : {});

/** Skips pods of exempt runtime classes; puts one pod per controller first and the other replicas after. */
function prioritizePods(pods: KubeObject[], exemptRuntimeClass: (name: unknown) => boolean): KubeObject[] {
  const first: KubeObject[] = [];
  const replicas: KubeObject[] = [];
  const seenControllers = new Set<string>();
  for (const pod of pods) {
    if (!pod || typeof pod !== 'object') continue;
    if (exemptRuntimeClass(specOf(pod).runtimeClassName)) continue;
    const controller = (Array.isArray(pod.metadata?.ownerReferences) ? pod.metadata.ownerReferences : []).find((ref) => ref?.controller === true);
    if (!controller) first.push(pod);
    else if (seenControllers.has(controller.uid)) replicas.push(pod);
    else {
      seenControllers.add(controller.uid);
      first.push(pod);
    }
  }
  return [...first, ...replicas];
}

async function listWithin(check: NamespacePodCheck, timeoutMs: number): Promise<KubeObject[] | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, timeoutMs));
  });
  try {
    const pods = await Promise.race([check.listPods(check.namespace), timedOut]);
    return Array.isArray(pods) ? pods : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Upstream's EvaluatePodsInNamespace: the warnings for a namespace whose enforce level got stricter. */
export async function evaluatePodsInNamespace(check: NamespacePodCheck): Promise<string[]> {
  const limits = check.limits ?? defaultNamespacePodCheckLimits;
  const now = check.now ?? Date.now;
  const deadline = now() + limits.timeoutMs;

  const listed = await listWithin(check, limits.timeoutMs);
  if (!listed) return [listFailed];

  const prioritized = prioritizePods(listed, check.exemptRuntimeClass);
  const totalPods = prioritized.length;
  const toCheck = prioritized.slice(0, limits.maxPods);
  let checkedPods = toCheck.length;
  const order: string[] = []; // each distinct warning, in the order first seen
  const counts = new Map<string, { podName: string; podCount: number }>();
  for (let i = 0; i < toCheck.length; i++) {
    const pod = toCheck[i];
    const result = aggregateCheckResults(check.evaluator.evaluatePod(check.enforce, pod.metadata ?? {}, specOf(pod)));
    if (!result.allowed) {
      const warning = aggregateForbiddenReason(result);
      const podName = String(pod.metadata?.name ?? '');
      const seen = counts.get(warning);
      if (!seen) {
        order.push(warning);
        counts.set(warning, { podName, podCount: 1 });
      } else {
        if (podName < seen.podName) seen.podName = podName;
        seen.podCount++;
      }
    }
    if (now() > deadline) {
      checkedPods = i + 1;
      break;
    }
    if ((i + 1) % podsPerSlice === 0) await new Promise((resolve) => setImmediate(resolve));
  }

  const warnings: string[] = [];
  if (checkedPods < totalPods) warnings.push(`new PodSecurity enforce level only checked against the first ${checkedPods} of ${totalPods} existing pods`);
  if (order.length > 0) warnings.push(`existing pods in namespace ${JSON.stringify(check.namespace)} violate the new PodSecurity enforce level ${JSON.stringify(levelVersionString(check.enforce))}`);
  const podWarnings = order.map((warning) => {
    const { podName, podCount } = counts.get(warning)!;
    if (podCount === 1) return `${podName}: ${warning}`;
    if (podCount === 2) return `${podName} (and 1 other pod): ${warning}`;
    return `${podName} (and ${podCount - 1} other pods): ${warning}`;
  });
  return [...warnings, ...podWarnings.sort(byteOrder)];
}

/**
 * The warning for labels on an exempt namespace that ask for more than the
 * defaults: only the non-privileged modes its labels set are named. Empty when
 * there is nothing to say.
 */
export function exemptNamespaceWarning(namespace: string, policy: Policy, labels: Record<string, string> | undefined, defaults: Policy): string {
  if (fullyPrivileged(policy) || equivalentPolicies(policy, defaults)) return '';
  const has = (label: string) => !!labels && Object.hasOwn(labels, label);
  const parts: string[] = [];
  if (policy.enforce.level !== 'privileged' && (has(enforceLevelLabel) || has(enforceVersionLabel))) parts.push(`enforce=${levelVersionString(policy.enforce)}`);
  if (policy.audit.level !== 'privileged' && (has(auditLevelLabel) || has(auditVersionLabel))) parts.push(`audit=${levelVersionString(policy.audit)}`);
  if (policy.warn.level !== 'privileged' && (has(warnLevelLabel) || has(warnVersionLabel))) parts.push(`warn=${levelVersionString(policy.warn)}`);
  return `namespace ${JSON.stringify(namespace)} is exempt from Pod Security, and the policy (${parts.join(', ')}) will be ignored`;
}
