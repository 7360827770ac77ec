/**
 * The checks of the `baseline` level of the Pod Security Standards v1.32,
 * each as upstream's policy/check_*.go: same IDs, versions and texts.
 */
import { allowed, forbidden, type Check, type CheckResult } from './checks.js';
import { majorMinorVersion } from './levels.js';
import {
  annotationsOf,
  byteOrder,
  containerName,
  containersOf,
  containersPhrase,
  goQuote,
  joinQuote,
  listOf,
  pluralize,
  sortedSet,
  text,
  type PodMetadata,
  type PodSpec,
  type SELinuxOptions,
} from './pod-spec.js';

const v1_0 = majorMinorVersion(1, 0);

// --- host namespaces ---

function hostNamespaces(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const shared: string[] = [];
  if (spec.hostNetwork === true) shared.push('hostNetwork=true');
  if (spec.hostPID === true) shared.push('hostPID=true');
  if (spec.hostIPC === true) shared.push('hostIPC=true');
  return shared.length > 0 ? forbidden('host namespaces', shared.join(', ')) : allowed;
}

// --- privileged ---

function privileged(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const bad = [...containersOf(spec)].filter((c) => c.securityContext?.privileged === true).map(containerName);
  return bad.length > 0 ? forbidden('privileged', `${containersPhrase(bad)} must not set securityContext.privileged=true`) : allowed;
}

// --- capabilities ---

export const capabilitiesBaselineID = 'capabilities_baseline';

const defaultCapabilities = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

function capabilitiesBaseline(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const nonDefault: string[] = [];
  for (const container of containersOf(spec)) {
    const added = listOf(container.securityContext?.capabilities?.add).map(text).filter((c) => !defaultCapabilities.has(c));
    if (added.length === 0) continue;
    bad.push(containerName(container));
    nonDefault.push(...added);
  }
  if (bad.length === 0) return allowed;
  return forbidden('non-default capabilities', `${containersPhrase(bad)} must not include ${joinQuote(sortedSet(nonDefault))} in securityContext.capabilities.add`);
}

// --- hostPath volumes ---

export const hostPathVolumesID = 'hostPathVolumes';

function hostPathVolumes(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const names = listOf(spec.volumes).filter((v) => v && v.hostPath !== undefined && v.hostPath !== null).map((v) => text(v.name));
  if (names.length === 0) return allowed;
  return forbidden('hostPath volumes', `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}`);
}

// --- host ports ---

function hostPorts(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const ports: string[] = [];
  for (const container of containersOf(spec)) {
    const used = listOf(container.ports).map((p) => p?.hostPort).filter((port): port is number => typeof port === 'number' && port !== 0);
    if (used.length === 0) continue;
    bad.push(containerName(container));
    ports.push(...used.map((port) => String(Math.trunc(port))));
  }
  if (bad.length === 0) return allowed;
  const distinct = sortedSet(ports);
  return forbidden(
    'hostPort',
    `${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', distinct.length)} ${distinct.join(', ')}`,
  );
}

// --- AppArmor ---

const appArmorAnnotationPrefix = 'container.apparmor.security.beta.kubernetes.io/';
const allowedAppArmorTypes = new Set(['RuntimeDefault', 'Localhost']);
const allowedAppArmorAnnotation = (value: string) => value === '' || value === 'runtime/default' || value.startsWith('localhost/');

function appArmorProfile(metadata: PodMetadata, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  const badTypes: string[] = [];
  const podProfile = spec.securityContext?.appArmorProfile;
  if (podProfile && !allowedAppArmorTypes.has(text(podProfile.type))) {
    setters.push('pod');
    badTypes.push(text(podProfile.type));
  }
  const badContainers: string[] = [];
  for (const container of containersOf(spec)) {
    const profile = container.securityContext?.appArmorProfile;
    if (profile && !allowedAppArmorTypes.has(text(profile.type))) {
      badContainers.push(containerName(container));
      badTypes.push(text(profile.type));
    }
  }
  if (badContainers.length > 0) setters.push(containersPhrase(badContainers));

  const badValues = sortedSet(badTypes);
  const badAnnotations = annotationsOf(metadata)
    .filter(([key, value]) => key.startsWith(appArmorAnnotationPrefix) && !allowedAppArmorAnnotation(value))
    .map(([key, value]) => `${key}=${goQuote(value)}`)
    .sort(byteOrder);
  if (badAnnotations.length > 0) {
    badValues.push(...badAnnotations);
    setters.push(pluralize('annotation', 'annotations', badAnnotations.length));
  }
  if (setters.length === 0) return allowed;
  return forbidden(
    pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', badValues.length),
    `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(badValues)}`,
  );
}

// --- SELinux ---

const seLinuxTypes_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const seLinuxTypes_1_31 = new Set([...seLinuxTypes_1_0, 'container_engine_t']);

function seLinuxOptionsWith(allowedTypes: Set<string>) {
  return (_metadata: PodMetadata, spec: PodSpec): CheckResult => {
    const setters: string[] = [];
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (options: SELinuxOptions): boolean => {
      let ok = true;
      if (!allowedTypes.has(text(options.type))) {
        ok = false;
        badTypes.push(text(options.type));
      }
      if (text(options.user).length > 0) {
        ok = false;
        setUser = true;
      }
      if (text(options.role).length > 0) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const podOptions = spec.securityContext?.seLinuxOptions;
    if (podOptions && !valid(podOptions)) setters.push('pod');
    const badContainers: string[] = [];
    for (const container of containersOf(spec)) {
      const options = container.securityContext?.seLinuxOptions;
      if (options && !valid(options)) badContainers.push(containerName(container));
    }
    if (badContainers.length > 0) setters.push(containersPhrase(badContainers));
    if (setters.length === 0) return allowed;

    const problems: string[] = [];
    const distinctTypes = sortedSet(badTypes);
    if (distinctTypes.length > 0) problems.push(`${pluralize('type', 'types', distinctTypes.length)} ${joinQuote(distinctTypes)}`);
    if (setUser) problems.push('user may not be set');
    if (setRole) problems.push('role may not be set');
    return forbidden('seLinuxOptions', `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${problems.join('; ')}`);
  };
}

// --- /proc mount ---

function procMount(_metadata: PodMetadata, spec: PodSpec, options: { relaxForUserNamespacePods: boolean }): CheckResult {
  // With user namespaces the kernel masks /proc itself, and pod validation checks the value.
  if (options.relaxForUserNamespacePods && spec.hostUsers === false) return allowed;
  const bad: string[] = [];
  const types: string[] = [];
  for (const container of containersOf(spec)) {
    const mount = container.securityContext?.procMount;
    if (mount === undefined || mount === null || mount === 'Default') continue;
    bad.push(containerName(container));
    types.push(text(mount));
  }
  if (bad.length === 0) return allowed;
  return forbidden('procMount', `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}`);
}

// --- seccomp ---

export const seccompProfileBaselineID = 'seccompProfile_baseline';
const seccompPodAnnotation = 'seccomp.security.alpha.kubernetes.io/pod';
const seccompContainerAnnotationPrefix = 'container.seccomp.security.alpha.kubernetes.io/';

export const validSeccompType = (type: string) => type === 'Localhost' || type === 'RuntimeDefault';
const validSeccompAnnotation = (value: string) => value === 'runtime/default' || value === 'docker/default' || value.startsWith('localhost/');

/** Before v1.19 seccomp was set by annotations. */
function seccompProfileBaseline_1_0(metadata: PodMetadata, spec: PodSpec): CheckResult {
  const annotations = new Map(annotationsOf(metadata));
  const bad: string[] = [];
  const judge = (key: string) => {
    const value = annotations.get(key);
    if (value !== undefined && !validSeccompAnnotation(value)) bad.push(`${key}=${goQuote(value)}`);
  };
  judge(seccompPodAnnotation);
  for (const container of containersOf(spec)) judge(seccompContainerAnnotationPrefix + containerName(container));
  const distinct = sortedSet(bad);
  if (distinct.length === 0) return allowed;
  return forbidden('seccompProfile', `forbidden ${pluralize('annotation', 'annotations', distinct.length)} ${distinct.join(', ')}`);
}

/** From v1.19, the securityContext field; only explicit bad values are forbidden at baseline. */
function seccompProfileBaseline_1_19(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  const badTypes: string[] = [];
  const podProfile = spec.securityContext?.seccompProfile;
  if (podProfile && !validSeccompType(text(podProfile.type))) {
    setters.push('pod');
    badTypes.push(text(podProfile.type));
  }
  const badContainers: string[] = [];
  for (const container of containersOf(spec)) {
    const profile = container.securityContext?.seccompProfile;
    if (profile && !validSeccompType(text(profile.type))) {
      badContainers.push(containerName(container));
      badTypes.push(text(profile.type));
    }
  }
  if (badContainers.length > 0) setters.push(containersPhrase(badContainers));
  if (setters.length === 0) return allowed;
  return forbidden('seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badTypes))}`);
}

// --- sysctls ---

const sysctls_1_0 = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start']);
const sysctls_1_27 = new Set([...sysctls_1_0, 'net.ipv4.ip_local_reserved_ports']);
const sysctls_1_29 = new Set([...sysctls_1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);
const sysctls_1_32 = new Set([...sysctls_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']);

function sysctlsWith(allowedSysctls: Set<string>) {
  return (_metadata: PodMetadata, spec: PodSpec): CheckResult => {
    const bad = listOf(spec.securityContext?.sysctls)
      .map((sysctl) => text(sysctl?.name))
      .filter((name) => !allowedSysctls.has(name));
    return bad.length > 0 ? forbidden('forbidden sysctls', bad.join(', ')) : allowed;
  };
}

// --- Windows hostProcess ---

function windowsHostProcess(_metadata: PodMetadata, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  if (spec.securityContext?.windowsOptions?.hostProcess === true) setters.push('pod');
  const bad = [...containersOf(spec)].filter((c) => c.securityContext?.windowsOptions?.hostProcess === true).map(containerName);
  if (bad.length > 0) setters.push(containersPhrase(bad));
  if (setters.length === 0) return allowed;
  return forbidden('hostProcess', `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`);
}

export const baselineChecks: Check[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [{ minimumVersion: v1_0, checkPod: appArmorProfile }] },
  { id: capabilitiesBaselineID, level: 'baseline', versions: [{ minimumVersion: v1_0, checkPod: capabilitiesBaseline }] },
  { id: 'hostNamespaces', level: 'baseline', versions: [{ minimumVersion: v1_0, checkPod: hostNamespaces }] },
  { id: hostPathVolumesID, level: 'baseline', versions: [{ minimumVersion: v1_0, checkPod: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ minimumVersion: v1_0, checkPod: hostPorts }] },
  { id: 'privileged', level: 'baseline', versions: [{ minimumVersion: v1_0, checkPod: privileged }] },
  { id: 'procMount', level: 'baseline', versions: [{ minimumVersion: v1_0, checkPod: procMount }] },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    versions: [
      { minimumVersion: v1_0, checkPod: seLinuxOptionsWith(seLinuxTypes_1_0) },
      { minimumVersion: majorMinorVersion(1, 31), checkPod: seLinuxOptionsWith(seLinuxTypes_1_31) },
    ],
  },
  {
    id: seccompProfileBaselineID,
    level: 'baseline',
    versions: [
      { minimumVersion: v1_0, checkPod: seccompProfileBaseline_1_0 },
      { minimumVersion: majorMinorVersion(1, 19), checkPod: seccompProfileBaseline_1_19 },
    ],
  },
  {
    id: 'sysctls',
    level: 'baseline',
    versions: [
      { minimumVersion: v1_0, checkPod: sysctlsWith(sysctls_1_0) },
      { minimumVersion: majorMinorVersion(1, 27), checkPod: sysctlsWith(sysctls_1_27) },
      { minimumVersion: majorMinorVersion(1, 29), checkPod: sysctlsWith(sysctls_1_29) },
      { minimumVersion: majorMinorVersion(1, 32), checkPod: sysctlsWith(sysctls_1_32) },
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ minimumVersion: v1_0, checkPod: windowsHostProcess }] },
];
