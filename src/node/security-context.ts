/**
 * A container's effective security context, as the kubelet works it out:
 * the container's settings, and for what it leaves unset the pod's
 * (runAsUser, runAsGroup, runAsNonRoot, seccompProfile, appArmorProfile);
 * supplementalGroups and fsGroup come from the pod only. And the pod's
 * part of its sandbox: host namespaces, sysctls, whether any container is
 * privileged.
 */
import type { ContainerSecurityConfig, PodSandboxConfig, SecurityProfile } from './runtime/runtime.js';
import type { AgentContainer, AgentPod, ContainerSecurityContext, PodSecurityContext } from './types.js';

/** The legacy per-container AppArmor annotation (`<prefix><container>`: runtime/default, unconfined, localhost/<profile>), from before the fields (GA in 1.30). */
export const appArmorAnnotationPrefix = 'container.apparmor.security.beta.kubernetes.io/';

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
    seccompProfile: pick(profilesOf(container).seccompProfile, podProfiles(pod).seccompProfile),
    appArmorProfile: appArmorProfileOf(pod, container),
    seLinuxOptions: pick(own.seLinuxOptions, podContext.seLinuxOptions),
  };
  for (const key of Object.keys(security) as (keyof EffectiveSecurity)[]) if (security[key] === undefined) delete security[key];
  return security;
}

function profilesOf(container: AgentContainer): ContainerSecurityContext {
  return container.securityContext ?? {};
}

function podProfiles(pod: AgentPod): PodSecurityContext {
  return pod.spec?.securityContext ?? {};
}

/**
 * The kubelet's AppArmor profile of a container (pkg/security/apparmor):
 * its own field, else the pod's legacy annotation for it (static pods may
 * never have had it copied to the fields), else the pod's field.
 */
export function appArmorProfileOf(pod: AgentPod, container: AgentContainer): SecurityProfile | undefined {
  const own = profilesOf(container).appArmorProfile;
  if (own) return own;
  const annotation = pod.metadata.annotations?.[appArmorAnnotationPrefix + container.name];
  if (annotation === 'runtime/default') return { type: 'RuntimeDefault' };
  if (annotation === 'unconfined') return { type: 'Unconfined' };
  if (annotation?.startsWith('localhost/')) return { type: 'Localhost', localhostProfile: annotation.slice('localhost/'.length) };
  // Any other annotation value is invalid (the apiserver refuses it): as upstream, it is ignored.
  return podProfiles(pod).appArmorProfile;
}

/**
 * Whether the pod needs AppArmor (the kubelet's isRequired): a profile
 * other than Unconfined in the pod's field, in any container's (init and
 * ephemeral ones too), or in a legacy per-container annotation.
 */
export function podNeedsAppArmor(pod: AgentPod): boolean {
  const confined = (profile: SecurityProfile | undefined) => profile !== undefined && profile.type !== 'Unconfined';
  if (confined(podProfiles(pod).appArmorProfile)) return true;
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...((pod.spec?.ephemeralContainers ?? []) as AgentContainer[])];
  if (containers.some((container) => confined(profilesOf(container).appArmorProfile))) return true;
  return Object.entries(pod.metadata.annotations ?? {}).some(([key, value]) => key.startsWith(appArmorAnnotationPrefix) && value !== 'unconfined');
}

/**
 * What the pod asks of its sandbox: the node's PID and IPC namespaces, one
 * PID namespace for the pod, its sysctls, and whether any container —
 * init, app, or ephemeral already added — is privileged (the kubelet's
 * hasPrivilegedContainer: a sandbox is made privileged or not once).
 */
export function podSandboxSecurity(
  pod: AgentPod,
): Pick<PodSandboxConfig, 'hostPID' | 'hostIPC' | 'shareProcessNamespace' | 'sysctls' | 'privileged' | 'runAsUser' | 'runAsGroup' | 'supplementalGroups' | 'seLinuxOptions'> {
  const spec = pod.spec;
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])];
  const context = spec?.securityContext ?? {};
  const sysctls = context.sysctls ?? [];
  // The kubelet's sandbox groups: fsGroup first, then the supplemental groups.
  const groups = [...(context.fsGroup !== undefined ? [context.fsGroup] : []), ...(context.supplementalGroups ?? [])];
  return {
    ...(context.runAsUser !== undefined ? { runAsUser: context.runAsUser } : {}),
    ...(context.runAsGroup !== undefined ? { runAsGroup: context.runAsGroup } : {}),
    ...(groups.length ? { supplementalGroups: groups } : {}),
    ...(context.seLinuxOptions ? { seLinuxOptions: context.seLinuxOptions } : {}),
    ...(spec?.hostPID ? { hostPID: true } : {}),
    ...(spec?.hostIPC ? { hostIPC: true } : {}),
    ...(spec?.shareProcessNamespace ? { shareProcessNamespace: true } : {}),
    ...(sysctls.length ? { sysctls: Object.fromEntries(sysctls.map((sysctl) => [sysctl.name, sysctl.value])) } : {}),
    ...(containers.some((container) => container.securityContext?.privileged === true) ? { privileged: true } : {}),
  };
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
