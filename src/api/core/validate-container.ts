/**
 * Validation of one container (upstream's validateContainerCommon and the
 * helpers it calls): name, image, ports, env, mounts, probes, resources.
 * Checks that span containers (unique names, volume references) live in
 * validate-podspec.ts.
 */
import { field } from '../../machinery/status.js';
import { isObj as isPlainObject } from './util.js';
import { isDNS1123Label, isQualifiedName } from '../../machinery/validation.js';
import { compareQuantities, quantityString, quantityValue } from './quantity.js';
import {
  arr, isStandardContainerResource, isValidPortName, isValidPortNum, nonNegative, validatePortNumOrName, validateQuantity,
  PORT_RANGE_MESSAGE, type Errs,
} from './validate-common.js';

const envVarNameFmt = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const envVarNameRe = new RegExp(`^${envVarNameFmt}$`);

export function isEnvVarName(name: string): string[] {
  if (envVarNameRe.test(name)) return [];
  return [
    `a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '${envVarNameFmt}')`,
  ];
}

/** Pod-wide state the container checks need. */
export interface ContainerContext {
  volumes: Map<string, any>;
  hostNetwork: boolean;
  /** Port names seen so far in the pod, which must be unique. */
  portNames: Set<string>;
  podClaimNames: Set<string>;
}

export type ContainerKind = 'container' | 'init' | 'ephemeral';

function validatePorts(ports: unknown, path: string, ctx: ContainerContext): Errs {
  const errs: Errs = [];
  arr(ports).forEach((port: any, i: number) => {
    const p = `${path}[${i}]`;
    if (port?.name) {
      for (const msg of isValidPortName(port.name)) errs.push(field.invalid(`${p}.name`, port.name, msg));
      if (ctx.portNames.has(port.name)) errs.push(field.duplicate(`${p}.name`, port.name));
      ctx.portNames.add(port.name);
    }
    if (!port?.containerPort) errs.push(field.required(`${p}.containerPort`, ''));
    else if (!isValidPortNum(port.containerPort)) errs.push(field.invalid(`${p}.containerPort`, port.containerPort, PORT_RANGE_MESSAGE));
    if (port?.hostPort && !isValidPortNum(port.hostPort)) errs.push(field.invalid(`${p}.hostPort`, port.hostPort, PORT_RANGE_MESSAGE));
    if (ctx.hostNetwork && port?.hostPort && port.hostPort !== port.containerPort) {
      errs.push(field.invalid(`${p}.containerPort`, port.containerPort, 'must match `hostPort` when `hostNetwork` is true'));
    }
    if (!port?.protocol) errs.push(field.required(`${p}.protocol`, ''));
    else if (!['SCTP', 'TCP', 'UDP'].includes(port.protocol)) errs.push(field.notSupported(`${p}.protocol`, port.protocol, ['SCTP', 'TCP', 'UDP']));
  });
  return errs;
}

function validateEnv(env: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(env).forEach((e: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!e?.name) errs.push(field.required(`${p}.name`, ''));
    else for (const msg of isEnvVarName(e.name)) errs.push(field.invalid(`${p}.name`, e.name, msg));
    const from = e?.valueFrom;
    if (!isPlainObject(from)) return;
    const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => from[k] !== undefined);
    if (e.value) errs.push(field.invalid(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    if (sources.length === 0) errs.push(field.invalid(`${p}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    if (sources.length > 1) errs.push(field.invalid(`${p}.valueFrom`, '', 'may not have more than one field specified at a time'));
    for (const ref of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const sel = from[ref] as any;
      if (!isPlainObject(sel)) continue;
      if (!sel.name) errs.push(field.required(`${p}.valueFrom.${ref}.name`, ''));
      if (!sel.key) errs.push(field.required(`${p}.valueFrom.${ref}.key`, ''));
    }
    const fieldRef = from.fieldRef as any;
    if (isPlainObject(fieldRef) && !fieldRef.fieldPath) errs.push(field.required(`${p}.valueFrom.fieldRef.fieldPath`, ''));
    const resourceRef = from.resourceFieldRef as any;
    if (isPlainObject(resourceRef) && !resourceRef.resource) errs.push(field.required(`${p}.valueFrom.resourceFieldRef.resource`, ''));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(envFrom).forEach((e: any, i: number) => {
    const p = `${path}[${i}]`;
    if (e?.prefix) for (const msg of isEnvVarName(e.prefix)) errs.push(field.invalid(`${p}.prefix`, e.prefix, msg));
    const n = Number(e?.configMapRef !== undefined) + Number(e?.secretRef !== undefined);
    if (n === 0) errs.push(field.invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    if (n > 1) errs.push(field.invalid(p, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateHandler(handler: any, path: string, kinds: string[]): Errs {
  const present = kinds.filter((k) => handler?.[k] !== undefined);
  if (present.length === 0) return [field.required(path, 'must specify a handler type')];
  const errs: Errs = present.slice(1).map((k) => field.forbidden(`${path}.${k}`, 'may not specify more than 1 handler type'));
  if (handler.exec !== undefined && arr(handler.exec.command).length === 0) errs.push(field.required(`${path}.exec.command`, ''));
  if (handler.httpGet !== undefined) {
    errs.push(...validatePortNumOrName(handler.httpGet.port, `${path}.httpGet.port`));
    const scheme = handler.httpGet.scheme;
    if (scheme !== undefined && !['HTTP', 'HTTPS'].includes(scheme)) errs.push(field.notSupported(`${path}.httpGet.scheme`, scheme, ['HTTP', 'HTTPS']));
    arr(handler.httpGet.httpHeaders).forEach((h: any, i: number) => {
      if (!/^[-A-Za-z0-9!#$%&'*+.^_`|~]+$/.test(String(h?.name ?? ''))) {
        errs.push(field.invalid(`${path}.httpGet.httpHeaders[${i}].name`, h?.name, 'a valid HTTP header must consist of alphanumeric characters or \'-\''));
      }
    });
  }
  if (handler.tcpSocket !== undefined) errs.push(...validatePortNumOrName(handler.tcpSocket.port, `${path}.tcpSocket.port`));
  if (handler.grpc !== undefined && !isValidPortNum(handler.grpc.port)) errs.push(field.invalid(`${path}.grpc.port`, handler.grpc.port, PORT_RANGE_MESSAGE));
  if (handler.sleep !== undefined && !(handler.sleep.seconds > 0)) errs.push(field.invalid(`${path}.sleep.seconds`, handler.sleep.seconds, 'must be greater than 0'));
  return errs;
}

export function validateProbe(probe: any, path: string, kind: 'liveness' | 'readiness' | 'startup'): Errs {
  if (probe === undefined || probe === null) return [];
  const errs = validateHandler(probe, path, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...nonNegative(probe[f], `${path}.${f}`));
  }
  if (kind !== 'readiness' && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    errs.push(field.invalid(`${path}.successThreshold`, probe.successThreshold, 'must be 1'));
  }
  if (kind === 'readiness' && probe.terminationGracePeriodSeconds !== undefined) {
    errs.push(field.invalid(`${path}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  } else if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(field.invalid(`${path}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  return errs;
}

/** cpu and memory may be overcommitted (requests below limits); other resources may not. */
function isOvercommitAllowed(name: string): boolean {
  return isStandardContainerResource(name) && !name.startsWith('hugepages-');
}

export function validateResourceRequirements(res: any, path: string, podClaimNames: Set<string>): Errs {
  if (!isPlainObject(res)) return [];
  const errs: Errs = [];
  const limits: Record<string, unknown> = isPlainObject(res.limits) ? res.limits : {};
  const requests: Record<string, unknown> = isPlainObject(res.requests) ? res.requests : {};
  const checkName = (name: string, p: string) => {
    for (const msg of isQualifiedName(name)) errs.push(field.invalid(p, name, msg));
    if (!name.includes('/') && !isStandardContainerResource(name)) errs.push(field.invalid(p, name, 'must be a standard resource for containers'));
  };
  for (const [name, q] of Object.entries(limits)) {
    checkName(name, `${path}.limits[${name}]`);
    errs.push(...validateQuantity(q, `${path}.limits[${name}]`));
  }
  for (const [name, q] of Object.entries(requests)) {
    const p = `${path}.requests[${name}]`;
    checkName(name, p);
    const qErrs = validateQuantity(q, p);
    errs.push(...qErrs);
    if (qErrs.length) continue;
    if (name.includes('/') || name.startsWith('hugepages-')) {
      if (!Number.isInteger(quantityValue(q))) errs.push(field.invalid(p, q, 'must be an integer'));
    }
    if (limits[name] !== undefined) {
      const cmp = compareQuantities(q, limits[name]);
      if (cmp !== 0 && !isOvercommitAllowed(name)) {
        errs.push(field.invalid(`${path}.requests`, quantityString(q), `must be equal to ${name} limit of ${quantityString(limits[name])}`));
      } else if (cmp > 0) {
        errs.push(field.invalid(`${path}.requests`, quantityString(q), `must be less than or equal to ${name} limit of ${quantityString(limits[name])}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(field.required(`${path}.limits`, 'Limit must be set for non overcommitable resources'));
    }
  }
  const seen = new Set<string>();
  arr(res.claims).forEach((claim: any, i: number) => {
    const p = `${path}.claims[${i}]`;
    const key = `${claim?.name}/${claim?.request ?? ''}`;
    if (!claim?.name) errs.push(field.required(`${p}.name`, ''));
    else if (!podClaimNames.has(claim.name)) errs.push(field.notFound(`${p}.name`, claim.name));
    if (seen.has(key)) errs.push(field.duplicate(p, claim?.name));
    seen.add(key);
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, devices: unknown, path: string, ctx: ContainerContext): Errs {
  const errs: Errs = [];
  const mountPaths = new Set<string>();
  arr(mounts).forEach((m: any, i: number) => {
    const p = `${path}.volumeMounts[${i}]`;
    if (!m?.name) errs.push(field.required(`${p}.name`, ''));
    else if (!ctx.volumes.has(m.name)) errs.push(field.notFound(`${p}.name`, m.name));
    if (!m?.mountPath) errs.push(field.required(`${p}.mountPath`, ''));
    else if (mountPaths.has(m.mountPath)) errs.push(field.invalid(`${p}.mountPath`, m.mountPath, 'must be unique'));
    else mountPaths.add(m.mountPath);
    if (m?.subPath && m?.subPathExpr) errs.push(field.invalid(`${p}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
    for (const key of ['subPath', 'subPathExpr']) {
      const sub = m?.[key];
      if (typeof sub !== 'string' || !sub) continue;
      if (sub.startsWith('/')) errs.push(field.invalid(`${p}.${key}`, sub, 'must be a relative path'));
      if (sub.split('/').includes('..')) errs.push(field.invalid(`${p}.${key}`, sub, "must not contain '..'"));
    }
    if (m?.mountPropagation !== undefined && !['Bidirectional', 'HostToContainer', 'None'].includes(m.mountPropagation)) {
      errs.push(field.notSupported(`${p}.mountPropagation`, m.mountPropagation, ['Bidirectional', 'HostToContainer', 'None']));
    }
  });
  const devicePaths = new Set<string>();
  arr(devices).forEach((d: any, i: number) => {
    const p = `${path}.volumeDevices[${i}]`;
    if (!d?.name) errs.push(field.required(`${p}.name`, ''));
    else if (!ctx.volumes.has(d.name)) errs.push(field.notFound(`${p}.name`, d.name));
    if (!d?.devicePath) errs.push(field.required(`${p}.devicePath`, ''));
    else if (devicePaths.has(d.devicePath)) errs.push(field.invalid(`${p}.devicePath`, d.devicePath, 'must be unique'));
    else if (mountPaths.has(d.devicePath)) errs.push(field.invalid(`${p}.devicePath`, d.devicePath, 'must not be used as mountPath'));
    devicePaths.add(d?.devicePath);
  });
  return errs;
}

function validateSecurityContext(sc: any, path: string): Errs {
  if (!isPlainObject(sc)) return [];
  const errs: Errs = [];
  for (const f of ['runAsUser', 'runAsGroup']) {
    const v = (sc as any)[f];
    if (v !== undefined && (v < 0 || v > 2147483647)) errs.push(field.invalid(`${path}.${f}`, v, 'must be between 0 and 2147483647, inclusive'));
  }
  if (sc.privileged === true && sc.allowPrivilegeEscalation === false) {
    errs.push(field.invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  if (sc.procMount !== undefined && !['Default', 'Unmasked'].includes(sc.procMount as string)) {
    errs.push(field.notSupported(`${path}.procMount`, sc.procMount, ['Default', 'Unmasked']));
  }
  return errs;
}

const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'];

export function validateContainer(c: any, path: string, kind: ContainerKind, ctx: ContainerContext): Errs {
  const errs: Errs = [];
  if (!isPlainObject(c)) return [field.invalid(path, c, 'must be an object')];
  if (!c.name) errs.push(field.required(`${path}.name`, ''));
  else for (const msg of isDNS1123Label(String(c.name))) errs.push(field.invalid(`${path}.name`, c.name, msg));
  const image = c.image as string | undefined;
  if (!image) errs.push(field.required(`${path}.image`, ''));
  else if (image.trim() !== image) errs.push(field.invalid(`${path}.image`, image, 'must not have leading or trailing whitespace'));
  if (!c.terminationMessagePolicy) errs.push(field.required(`${path}.terminationMessagePolicy`, ''));
  else if (!terminationMessagePolicies.includes(c.terminationMessagePolicy as string)) {
    errs.push(field.notSupported(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, terminationMessagePolicies));
  }
  if (!c.imagePullPolicy) errs.push(field.required(`${path}.imagePullPolicy`, ''));
  else if (!pullPolicies.includes(c.imagePullPolicy as string)) errs.push(field.notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, pullPolicies));
  errs.push(...validatePorts(c.ports, `${path}.ports`, ctx));
  errs.push(...validateEnv(c.env, `${path}.env`));
  errs.push(...validateEnvFrom(c.envFrom, `${path}.envFrom`));
  errs.push(...validateVolumeMounts(c.volumeMounts, c.volumeDevices, path, ctx));
  errs.push(...validateResourceRequirements(c.resources, `${path}.resources`, ctx.podClaimNames));
  errs.push(...validateSecurityContext(c.securityContext, `${path}.securityContext`));
  if (isPlainObject(c.lifecycle) && kind !== 'ephemeral') {
    for (const hook of ['postStart', 'preStop']) {
      const h = (c.lifecycle as any)[hook];
      if (h !== undefined) errs.push(...validateHandler(h, `${path}.lifecycle.${hook}`, ['exec', 'httpGet', 'tcpSocket', 'sleep']));
    }
  }
  const probes = { livenessProbe: 'liveness', readinessProbe: 'readiness', startupProbe: 'startup' } as const;
  const isSidecar = kind === 'init' && c.restartPolicy === 'Always';
  for (const [key, probeKind] of Object.entries(probes)) {
    if (c[key] === undefined) continue;
    if (kind === 'ephemeral' || (kind === 'init' && !isSidecar)) {
      errs.push(field.forbidden(`${path}.${key}`, kind === 'init' ? 'may not be set for init containers without restartPolicy=Always' : 'cannot be set for an Ephemeral Container'));
    } else {
      errs.push(...validateProbe(c[key], `${path}.${key}`, probeKind));
    }
  }
  if (c.restartPolicy !== undefined && kind !== 'ephemeral') {
    if (kind !== 'init') errs.push(field.forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
    else if (c.restartPolicy !== 'Always') errs.push(field.notSupported(`${path}.restartPolicy`, c.restartPolicy, ['Always']));
  }
  if (kind === 'ephemeral') {
    // Ephemeral containers are for looking around, not for serving: no ports, resources or lifecycle
    // (probes are refused above), and no subPath mounts, whose bind mounts would outlive them.
    for (const f of ['ports', 'resources', 'resizePolicy', 'restartPolicy', 'lifecycle']) {
      const v = c[f];
      if (v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0) && !(isPlainObject(v) && Object.keys(v).length === 0)) {
        errs.push(field.forbidden(`${path}.${f}`, 'cannot be set for an Ephemeral Container'));
      }
    }
    arr(c.volumeMounts).forEach((m: any, i: number) => {
      for (const f of ['subPath', 'subPathExpr']) {
        if (m?.[f]) errs.push(field.forbidden(`${path}.volumeMounts[${i}].${f}`, 'cannot be set for an Ephemeral Container'));
      }
    });
  }
  return errs;
}
