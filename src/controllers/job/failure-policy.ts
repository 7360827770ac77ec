/**
 * A Job's podFailurePolicy: rules, tried in order, that decide what a failed
 * pod means — fail the whole Job, ignore the failure (it does not count
 * towards backoffLimit), or count it as usual. A rule matches on the exit
 * codes of the pod's terminated containers or on the pod's conditions (for
 * example DisruptionTarget when the pod was evicted).
 */
import type { Pod } from '../util/pods.js';

export interface PodFailurePolicyRule {
  action?: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count' | string;
  onExitCodes?: { containerName?: string; operator?: 'In' | 'NotIn' | string; values?: number[] };
  onPodConditions?: { type?: string; status?: string }[];
}

interface ContainerStatus {
  name?: string;
  state?: { terminated?: { exitCode?: number } };
}

export interface PolicyVerdict {
  action: string;
  /** Upstream's message, for the Job's condition. */
  message: string;
}

function terminatedContainers(pod: Pod): { name: string; exitCode: number }[] {
  const status = pod.status as { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] } | undefined;
  const all = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])];
  const out: { name: string; exitCode: number }[] = [];
  for (const container of all) {
    const exitCode = container.state?.terminated?.exitCode;
    if (exitCode !== undefined) out.push({ name: container.name ?? '', exitCode });
  }
  return out;
}

/** The first rule that matches a failed pod, or undefined (the failure counts as usual). */
export function matchPodFailurePolicy(rules: PodFailurePolicyRule[] | undefined, pod: Pod): PolicyVerdict | undefined {
  const podName = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [index, rule] of (rules ?? []).entries()) {
    const action = rule.action ?? 'Count';
    if (rule.onExitCodes) {
      const { containerName, operator, values = [] } = rule.onExitCodes;
      // Exit code 0 is a success: it never matches, whatever the operator.
      const hit = terminatedContainers(pod).find(
        (c) => c.exitCode !== 0 && (!containerName || c.name === containerName) && (operator === 'NotIn' ? !values.includes(c.exitCode) : values.includes(c.exitCode)),
      );
      if (hit) {
        return { action, message: `Container ${hit.name} for pod ${podName} failed with exit code ${hit.exitCode} matching ${action} rule at index ${index}` };
      }
    }
    for (const pattern of rule.onPodConditions ?? []) {
      const condition = (pod.status?.conditions ?? []).find((c) => c.type === pattern.type && c.status === (pattern.status ?? 'True'));
      if (condition) {
        return { action, message: `Pod ${podName} has condition ${condition.type} matching ${action} rule at index ${index}` };
      }
    }
  }
  return undefined;
}
