/**
 * The checks of the `restricted` level of the Pod Security Standards v1.32,
 * each as upstream's policy/check_*.go. The restricted level also runs every
 * baseline check, except those a restricted check overrides (capabilities,
 * hostPath volumes, seccomp) from the version it overrides them.
 */
import { capabilitiesBaselineID, hostPathVolumesID, seccompProfileBaselineID, validSeccompType } from './checks-baseline.js';
import { allowed, forbidden, type Check, type CheckOptions, type CheckResult } from './checks.js';
import { majorMinorVersion } from './levels.js';
import { containerName, containersOf, containersPhrase, isWindowsPod, joinQuote, listOf, pluralize, sortedSet, text, type PodMetadata, type PodSpec } from './pod-spec.js';

/** From v1.25 a pod that says it runs on Windows skips checks of Linux-only fields (validation forbids setting them). */
function exceptWindows(check: (metadata: PodMetadata, spec: PodSpec, options: CheckOptions) => CheckResult) {
  return (metadata: PodMetadata, spec: PodSpec, options: CheckOptions): CheckResult => (isWindowsPod(spec) ? allowed : check(metadata, spec, options));
}

/** With user namespaces (the alpha relaxation), root in the pod is not root on the node. */
const relaxedForUserNamespace = (spec: PodSpec, options: CheckOptions) => options.relaxForUserNamespacePods && spec.hostUsers === false;

// --- allowPrivilegeEscalation ---

function allowPrivilegeEscalation_1_8(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const bad = [...containersOf(spec)].filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map(containerName);
  if (bad.length === 0) return allowed;
  return forbidden('allowPrivilegeEscalation != false', `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`);
}

// --- capabilities ---

function capabilitiesRestricted_1_22(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const forbiddenCapabilities: string[] = [];
  for (const container of containersOf(spec)) {
    const capabilities = container.securityContext?.capabilities;
    if (!capabilities) {
      missingDropAll.push(containerName(container));
      continue;
    }
    if (!listOf(capabilities.drop).some((c) => c === 'ALL')) missingDropAll.push(containerName(container));
    const added = listOf(capabilities.add).map(text).filter((c) => c !== 'NET_BIND_SERVICE');
    if (added.length > 0) {
      addingForbidden.push(containerName(container));
      forbiddenCapabilities.push(...added);
    }
  }
  const details: string[] = [];
  if (missingDropAll.length > 0) details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (addingForbidden.length > 0) {
    details.push(`${containersPhrase(addingForbidden)} must not include ${joinQuote(sortedSet(forbiddenCapabilities))} in securityContext.capabilities.add`);
  }
  return details.length > 0 ? forbidden('unrestricted capabilities', details.join('; ')) : allowed;
}

// --- volume types ---

const allowedVolumeSources = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
/** In upstream's order of precedence; a source not listed (an image volume in v1.32, say) is "unknown". */
const restrictedVolumeSources = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'nfs',
  'iscsi',
  'glusterfs',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'fc',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
];

function restrictedVolumes(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const badVolumes: string[] = [];
  const badTypes: string[] = [];
  for (const volume of listOf(spec.volumes)) {
    if (!volume || typeof volume !== 'object') continue;
    const has = (source: string) => volume[source] !== undefined && volume[source] !== null;
    if (allowedVolumeSources.some(has)) continue;
    badVolumes.push(text(volume.name));
    badTypes.push(restrictedVolumeSources.find(has) ?? 'unknown');
  }
  if (badVolumes.length === 0) return allowed;
  const types = sortedSet(badTypes);
  return forbidden(
    'restricted volume types',
    `${pluralize('volume', 'volumes', badVolumes.length)} ${joinQuote(badVolumes)} ${pluralize('uses', 'use', badVolumes.length)} ${pluralize('restricted volume type', 'restricted volume types', types.length)} ${joinQuote(types)}`,
  );
}

// --- runAsNonRoot ---

function runAsNonRoot(_metadata: PodMetadata, spec: PodSpec, options: CheckOptions): CheckResult {
  if (relaxedForUserNamespace(spec, options)) return allowed;
  const setters: string[] = [];
  const podValue = spec.securityContext?.runAsNonRoot;
  if (podValue === false) setters.push('pod');
  const podRunsAsNonRoot = podValue === true;
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  for (const container of containersOf(spec)) {
    const value = container.securityContext?.runAsNonRoot;
    if (value === false) explicitlyBad.push(containerName(container));
    else if (value !== true && !podRunsAsNonRoot) implicitlyBad.push(containerName(container));
  }
  if (explicitlyBad.length > 0) setters.push(containersPhrase(explicitlyBad));
  if (setters.length > 0) return forbidden('runAsNonRoot != true', `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`);
  if (implicitlyBad.length > 0) return forbidden('runAsNonRoot != true', `pod or ${containersPhrase(implicitlyBad)} must set securityContext.runAsNonRoot=true`);
  return allowed;
}

// --- runAsUser ---

function runAsUser_1_23(_metadata: PodMetadata, spec: PodSpec, options: CheckOptions): CheckResult {
  if (relaxedForUserNamespace(spec, options)) return allowed;
  const setters: string[] = [];
  if (spec.securityContext?.runAsUser === 0) setters.push('pod');
  const bad = [...containersOf(spec)].filter((c) => c.securityContext?.runAsUser === 0).map(containerName);
  if (bad.length > 0) setters.push(containersPhrase(bad));
  return setters.length > 0 ? forbidden('runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`) : allowed;
}

// --- seccomp ---

/** Restricted requires a profile: the pod's, or each container's own. */
function seccompProfileRestricted_1_19(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  const badTypes: string[] = [];
  let podSeccompSet = false;
  const podProfile = spec.securityContext?.seccompProfile;
  if (podProfile) {
    if (validSeccompType(text(podProfile.type))) podSeccompSet = true;
    else {
      setters.push('pod');
      badTypes.push(text(podProfile.type));
    }
  }
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  for (const container of containersOf(spec)) {
    const profile = container.securityContext?.seccompProfile;
    if (profile) {
      if (!validSeccompType(text(profile.type))) {
        explicitlyBad.push(containerName(container));
        badTypes.push(text(profile.type));
      }
    } else if (!podSeccompSet) {
      implicitlyBad.push(containerName(container));
    }
  }
  if (explicitlyBad.length > 0) setters.push(containersPhrase(explicitlyBad));
  if (setters.length > 0) {
    return forbidden('seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badTypes))}`);
  }
  if (implicitlyBad.length > 0) {
    return forbidden('seccompProfile', `pod or ${containersPhrase(implicitlyBad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
  }
  return allowed;
}

export const restrictedChecks: Check[] = [
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    versions: [
      { minimumVersion: majorMinorVersion(1, 8), checkPod: allowPrivilegeEscalation_1_8 },
      { minimumVersion: majorMinorVersion(1, 25), checkPod: exceptWindows(allowPrivilegeEscalation_1_8) },
    ],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      { minimumVersion: majorMinorVersion(1, 22), checkPod: capabilitiesRestricted_1_22, overrideCheckIDs: [capabilitiesBaselineID] },
      { minimumVersion: majorMinorVersion(1, 25), checkPod: exceptWindows(capabilitiesRestricted_1_22), overrideCheckIDs: [capabilitiesBaselineID] },
    ],
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    versions: [{ minimumVersion: majorMinorVersion(1, 0), checkPod: restrictedVolumes, overrideCheckIDs: [hostPathVolumesID] }],
  },
  { id: 'runAsNonRoot', level: 'restricted', versions: [{ minimumVersion: majorMinorVersion(1, 0), checkPod: runAsNonRoot }] },
  { id: 'runAsUser', level: 'restricted', versions: [{ minimumVersion: majorMinorVersion(1, 23), checkPod: runAsUser_1_23 }] },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      { minimumVersion: majorMinorVersion(1, 19), checkPod: seccompProfileRestricted_1_19, overrideCheckIDs: [seccompProfileBaselineID] },
      { minimumVersion: majorMinorVersion(1, 25), checkPod: exceptWindows(seccompProfileRestricted_1_19), overrideCheckIDs: [seccompProfileBaselineID] },
    ],
  },
];
