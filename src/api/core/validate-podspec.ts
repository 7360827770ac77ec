/**
 * ValidatePodSpec and ValidatePodTemplateSpec: the pod-wide rules (policies,
 * names unique across all containers, DNS, host aliases, security context)
 * on top of the per-container and per-volume checks.
 */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isObj as isPlainObject } from './util.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, validateAnnotations, validateLabels } from '../../machinery/validation.js';
import { validateContainer, type ContainerContext } from './validate-container.js';
import { validateVolumes } from './validate-volume.js';
import { validateAffinity, validateNodeSelectorMap, validateTolerations, validateTopologySpreadConstraints } from './validate-scheduling.js';
import { arr, isIP, validateDNS1123Subdomain, validateIP, validateResourceList, type Errs } from './validate-common.js';

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];

function validateDNSConfig(spec: any, path: string): Errs {
  const errs: Errs = [];
  const config = spec.dnsConfig;
  if (spec.dnsPolicy === 'None' && !isPlainObject(config)) {
    return [field.required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None')];
  }
  if (!isPlainObject(config)) return errs;
  const c = config as any;
  const nameservers = arr(c.nameservers);
  if (spec.dnsPolicy === 'None' && nameservers.length === 0) {
    errs.push(field.required(`${path}.dnsConfig.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
  }
  if (nameservers.length > 3) errs.push(field.invalid(`${path}.dnsConfig.nameservers`, nameservers, 'must not have more than 3 nameservers'));
  nameservers.forEach((ns, i) => {
    if (!isIP(String(ns))) errs.push(field.invalid(`${path}.dnsConfig.nameservers[${i}]`, ns, 'must be valid IP address'));
  });
  const searches = arr(c.searches);
  if (searches.length > 32) errs.push(field.invalid(`${path}.dnsConfig.searches`, searches, 'must not have more than 32 search paths'));
  searches.forEach((s, i) => {
    const name = String(s) === '.' ? '.' : String(s).replace(/\.$/, '');
    if (name !== '.') for (const msg of isDNS1123Subdomain(name)) errs.push(field.invalid(`${path}.dnsConfig.searches[${i}]`, s, msg));
  });
  arr(c.options).forEach((o, i) => {
    if (!o?.name) errs.push(field.required(`${path}.dnsConfig.options[${i}]`, 'Option.Name must not be empty'));
  });
  return errs;
}

function validateHostAliases(aliases: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(aliases).forEach((a: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!a?.ip) errs.push(field.required(`${p}.ip`, ''));
    else errs.push(...validateIP(a.ip, `${p}.ip`));
    arr(a?.hostnames).forEach((h, j) => errs.push(...validateDNS1123Subdomain(h, `${p}.hostnames[${j}]`)));
  });
  return errs;
}

function validatePodSecurityContext(sc: any, path: string): Errs {
  if (!isPlainObject(sc)) return [];
  const errs: Errs = [];
  const s = sc as any;
  for (const f of ['runAsUser', 'runAsGroup', 'fsGroup']) {
    if (s[f] !== undefined && (s[f] < 0 || s[f] > 2147483647)) errs.push(field.invalid(`${path}.${f}`, s[f], 'must be between 0 and 2147483647, inclusive'));
  }
  arr(s.supplementalGroups).forEach((g, i) => {
    if (g < 0 || g > 2147483647) errs.push(field.invalid(`${path}.supplementalGroups[${i}]`, g, 'must be between 0 and 2147483647, inclusive'));
  });
  if (s.fsGroupChangePolicy !== undefined && !['OnRootMismatch', 'Always'].includes(s.fsGroupChangePolicy)) {
    errs.push(field.notSupported(`${path}.fsGroupChangePolicy`, s.fsGroupChangePolicy, ['OnRootMismatch', 'Always']));
  }
  arr(s.sysctls).forEach((sysctl, i) => {
    const name = String(sysctl?.name ?? '');
    if (!name) errs.push(field.required(`${path}.sysctls[${i}].name`, ''));
    else if (!/^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/.test(name)) {
      errs.push(field.invalid(`${path}.sysctls[${i}].name`, name, "must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"));
    }
  });
  return errs;
}

/** What a pod's owner adds to its pods beyond the template (a StatefulSet adds one volume per volumeClaimTemplate). */
export interface PodSpecValidationOptions {
  /** Volume names containers may mount though the spec does not declare them. */
  providedVolumeNames?: readonly string[];
}

/** upstream ValidatePodSpec. */
export function validatePodSpec(spec: any, path: string, options: PodSpecValidationOptions = {}): FieldErrorLike[] {
  if (!isPlainObject(spec)) return [field.required(path, '')];
  const s = spec as any;
  const errs: Errs = [];
  const { errs: volumeErrs, byName } = validateVolumes(s.volumes, `${path}.volumes`);
  errs.push(...volumeErrs);
  const podClaimNames = new Set<string>(arr(s.resourceClaims).map((c) => c?.name).filter(Boolean));
  const volumes = new Map(byName);
  for (const name of options.providedVolumeNames ?? []) if (!volumes.has(name)) volumes.set(name, { name });
  const ctx: ContainerContext = { volumes, hostNetwork: Boolean(s.hostNetwork), portNames: new Set(), podClaimNames };
  const containers = arr(s.containers);
  if (containers.length === 0) errs.push(field.required(`${path}.containers`, ''));
  // Names must be unique across all kinds of containers of the pod.
  const names = new Set<string>();
  // Upstream's order: regular containers, then init containers, then ephemeral ones; a name seen before is the duplicate.
  const lists: [string, 'container' | 'init' | 'ephemeral'][] = [['containers', 'container'], ['initContainers', 'init'], ['ephemeralContainers', 'ephemeral']];
  // What an ephemeral container may target: a regular or init container, never another ephemeral one.
  const targets = new Set([...arr(s.containers), ...arr(s.initContainers)].map((c) => c?.name));
  for (const [key, kind] of lists) {
    arr(s[key]).forEach((c, i) => {
      const p = `${path}.${key}[${i}]`;
      if (kind === 'ephemeral') ctx.portNames = new Set();
      errs.push(...validateContainer(c, p, kind, ctx));
      if (c?.name) {
        if (names.has(c.name)) errs.push(field.duplicate(`${p}.name`, c.name));
        names.add(c.name);
      }
      if (kind === 'ephemeral' && c?.targetContainerName && !targets.has(c.targetContainerName)) {
        errs.push(field.notFound(`${p}.targetContainerName`, c.targetContainerName));
      }
    });
  }
  if (!s.restartPolicy) errs.push(field.required(`${path}.restartPolicy`, ''));
  else if (!restartPolicies.includes(s.restartPolicy)) errs.push(field.notSupported(`${path}.restartPolicy`, s.restartPolicy, restartPolicies));
  if (!s.dnsPolicy) errs.push(field.required(`${path}.dnsPolicy`, ''));
  else if (!dnsPolicies.includes(s.dnsPolicy)) errs.push(field.notSupported(`${path}.dnsPolicy`, s.dnsPolicy, dnsPolicies));
  errs.push(...validateDNSConfig(s, path));
  errs.push(...validateNodeSelectorMap(s.nodeSelector, `${path}.nodeSelector`));
  if (s.serviceAccountName) errs.push(...validateDNS1123Subdomain(s.serviceAccountName, `${path}.serviceAccountName`));
  if (s.nodeName) errs.push(...validateDNS1123Subdomain(s.nodeName, `${path}.nodeName`));
  if (s.priorityClassName) errs.push(...validateDNS1123Subdomain(s.priorityClassName, `${path}.priorityClassName`));
  if (s.runtimeClassName) errs.push(...validateDNS1123Subdomain(s.runtimeClassName, `${path}.runtimeClassName`));
  for (const f of ['hostname', 'subdomain']) {
    if (s[f]) for (const msg of isDNS1123Label(String(s[f]))) errs.push(field.invalid(`${path}.${f}`, s[f], msg));
  }
  if (s.activeDeadlineSeconds !== undefined && !(s.activeDeadlineSeconds >= 1 && s.activeDeadlineSeconds <= 2147483647)) {
    errs.push(field.invalid(`${path}.activeDeadlineSeconds`, s.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  errs.push(...validatePodSecurityContext(s.securityContext, `${path}.securityContext`));
  if (s.shareProcessNamespace && s.hostPID) {
    errs.push(field.invalid(`${path}.shareProcessNamespace`, true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  arr(s.imagePullSecrets).forEach((ref, i) => {
    if (!ref?.name) errs.push(field.required(`${path}.imagePullSecrets[${i}].name`, ''));
  });
  errs.push(...validateAffinity(s.affinity, `${path}.affinity`));
  errs.push(...validateTolerations(s.tolerations, `${path}.tolerations`));
  errs.push(...validateTopologySpreadConstraints(s.topologySpreadConstraints, `${path}.topologySpreadConstraints`));
  errs.push(...validateHostAliases(s.hostAliases, `${path}.hostAliases`));
  arr(s.readinessGates).forEach((g, i) => {
    for (const msg of isQualifiedName(String(g?.conditionType ?? ''))) errs.push(field.invalid(`${path}.readinessGates[${i}].conditionType`, g?.conditionType, msg));
  });
  errs.push(...validateResourceList(s.overhead, `${path}.overhead`));
  if (isPlainObject(s.os) && !['linux', 'windows'].includes(s.os.name)) errs.push(field.notSupported(`${path}.os.name`, s.os.name, ['linux', 'windows']));
  if (s.preemptionPolicy !== undefined && !['Never', 'PreemptLowerPriority'].includes(s.preemptionPolicy)) {
    errs.push(field.notSupported(`${path}.preemptionPolicy`, s.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  }
  const gates = new Set<string>();
  arr(s.schedulingGates).forEach((g, i) => {
    const p = `${path}.schedulingGates[${i}].name`;
    for (const msg of isQualifiedName(String(g?.name ?? ''))) errs.push(field.invalid(p, g?.name, msg));
    if (gates.has(g?.name)) errs.push(field.duplicate(p, g?.name));
    gates.add(g?.name);
  });
  const claimNames = new Set<string>();
  arr(s.resourceClaims).forEach((c, i) => {
    const p = `${path}.resourceClaims[${i}]`;
    if (!c?.name) errs.push(field.required(`${p}.name`, ''));
    else if (claimNames.has(c.name)) errs.push(field.duplicate(`${p}.name`, c.name));
    claimNames.add(c?.name);
    const sources = Number(Boolean(c?.resourceClaimName)) + Number(Boolean(c?.resourceClaimTemplateName));
    if (sources !== 1) errs.push(field.invalid(p, c, 'must specify one of: `resourceClaimName`, `resourceClaimTemplateName`'));
  });
  return errs;
}

/** upstream ValidatePodTemplateSpec: labels, annotations and the spec of a template. */
export function validatePodTemplateSpec(template: any, path: string, options: PodSpecValidationOptions = {}): FieldErrorLike[] {
  if (!isPlainObject(template)) return [field.required(path, '')];
  const meta = (template as any).metadata ?? {};
  const errs: Errs = [
    ...validateLabels(meta.labels, `${path}.metadata.labels`),
    ...validateAnnotations(meta.annotations, `${path}.metadata.annotations`),
  ];
  errs.push(...validatePodSpec((template as any).spec, `${path}.spec`, options));
  // Ephemeral containers are added to running pods only.
  if (arr((template as any).spec?.ephemeralContainers).length > 0) {
    errs.push(field.forbidden(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}
