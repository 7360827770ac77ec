/**
 * A container's effective security context, as the kubelet works it out:
 * the container's settings, and for what it leaves unset the pod's
 * (runAsUser, runAsGroup, runAsNonRoot); supplementalGroups and fsGroup
 * come from the pod only.
 */
import type { ContainerSecurityConfig } from './runtime/runtime.js';
import type { AgentContainer, AgentPod } from './types.js';

export interface EffectiveSecurity extends ContainerSecurityConfig {
  runAsNonRoot?: boolean;
}

export function effectiveSecurity(pod: AgentPod, container: AgentContainer): EffectiveSecurity {
  const podContext = pod.spec?.securityContext ?? {};
  const own = container.securityContext ?? {};
  const pick = <T>(a: T | undefined, b: T | undefined) => (a !== undefined ? a : b);
  const security: EffectiveSecurity = {
    runAsUser: pick(own.runAsUser, podContext.runAsUser),
    runAsGroup: pick(own.runAsGroup, podContext.runAsGroup),
    runAsNonRoot: pick(own.runAsNonRoot, podContext.runAsNonRoot),
    supplementalGroups: podContext.supplementalGroups,
    fsGroup: podContext.fsGroup,
    readOnlyRootFilesystem: own.readOnlyRootFilesystem,
    privileged: own.privileged,
    allowPrivilegeEscalation: own.allowPrivilegeEscalation,
    capabilities: own.capabilities,
    procMount: own.procMount,
  };
  for (const key of Object.keys(security) as (keyof EffectiveSecurity)[]) if (security[key] === undefined) delete security[key];
  return security;
}

/**
 * The kubelet's runAsNonRoot check, before the container is made: the
 * messages are upstream's (reason CreateContainerConfigError).
 */
export function verifyRunAsNonRoot(pod: string, container: string, runAsUser: number | undefined, imageUserText: string | undefined): string | undefined {
  if (runAsUser !== undefined) return runAsUser === 0 ? `container's runAsUser breaks non-root policy (pod: "${pod}", container: ${container})` : undefined;
  const user = (imageUserText ?? '').split(':')[0];
  const asRoot = `container has runAsNonRoot and image will run as root (pod: "${pod}", container: ${container})`;
  if (user === '') return asRoot;
  if (!/^\d+$/.test(user)) return `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root (pod: "${pod}", container: ${container})`;
  return Number(user) === 0 ? asRoot : undefined;
}
