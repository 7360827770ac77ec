/**
 * A container's environment, as upstream's kubelet builds it: the Service
 * variables of the pod's namespace (`<NAME>_SERVICE_HOST`, `_PORT`, the
 * docker-link style `_PORT_<n>_<PROTO>…` ones, when enableServiceLinks),
 * then `envFrom` (ConfigMaps and Secrets, with a prefix), then `env` —
 * values, `$(VAR)` references to earlier variables, and `valueFrom` (pod
 * fields, resource fields, ConfigMap and Secret keys). A missing ConfigMap,
 * Secret or key that is not optional is an error the pod shows as
 * CreateContainerConfigError.
 */
import type { KubeObject } from '../machinery/object.js';
import { milliValue, quantityValue, tryParseQuantity } from '../machinery/quantity.js';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { containerName?: string; resource: string; divisor?: string };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

export interface EnvContainer {
  name: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  command?: string[];
  args?: string[];
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
}

export interface EnvPod extends KubeObject {
  spec?: { nodeName?: string; serviceAccountName?: string; enableServiceLinks?: boolean; containers?: EnvContainer[] } & Record<string, unknown>;
}

export interface EnvSources {
  configMap(namespace: string, name: string): Promise<{ data?: Record<string, string> } | undefined>;
  secret(namespace: string, name: string): Promise<{ type?: string; data?: Record<string, string> } | undefined>;
  /** Services of the namespace (and the `kubernetes` service of default). */
  services(namespace: string): Promise<{ metadata: { name?: string }; spec?: { clusterIP?: string; ports?: { name?: string; port: number; protocol?: string }[] } }[]>;
}

export class EnvError extends Error {}

/** `$(VAR)` references resolved against earlier variables; `$$(VAR)` escapes one. */
export function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && name in vars ? vars[name] : match;
  });
}

function serviceVariables(services: Awaited<ReturnType<EnvSources['services']>>): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const service of services) {
    const ip = service.spec?.clusterIP;
    if (!ip || ip === 'None' || !service.metadata.name) continue;
    const prefix = service.metadata.name.toUpperCase().replace(/-/g, '_');
    const ports = service.spec?.ports ?? [];
    vars[`${prefix}_SERVICE_HOST`] = ip;
    if (ports.length) vars[`${prefix}_SERVICE_PORT`] = String(ports[0].port);
    for (const port of ports) {
      if (port.name) vars[`${prefix}_SERVICE_PORT_${port.name.toUpperCase().replace(/-/g, '_')}`] = String(port.port);
      const protocol = (port.protocol ?? 'TCP').toLowerCase();
      const base = `${prefix}_PORT_${port.port}_${protocol.toUpperCase()}`;
      vars[base] = `${protocol}://${ip}:${port.port}`;
      vars[`${base}_PROTO`] = protocol;
      vars[`${base}_PORT`] = String(port.port);
      vars[`${base}_ADDR`] = ip;
    }
    if (ports.length) vars[`${prefix}_PORT`] = `${(ports[0].protocol ?? 'TCP').toLowerCase()}://${ip}:${ports[0].port}`;
  }
  return vars;
}

export function fieldValue(pod: EnvPod, path: string, ips: { podIP?: string; hostIP?: string }): string {
  const bracket = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (bracket) return (bracket[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[bracket[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return ips.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ips.hostIP ?? '';
    default:
      throw new EnvError(`unsupported fieldPath: ${path}`);
  }
}

export function resourceValue(pod: EnvPod, container: EnvContainer, ref: NonNullable<EnvVar['valueFrom']>['resourceFieldRef']): string {
  const target = ref!.containerName ? pod.spec?.containers?.find((c) => c.name === ref!.containerName) : container;
  const [kind, resource] = ref!.resource.split('.');
  const text = target?.resources?.[kind as 'limits' | 'requests']?.[resource];
  if (!text) return '0';
  const divisor = ref!.divisor ?? '1';
  if (resource === 'cpu') return String(Math.ceil(Number(milliValue(text)) / Number(milliValue(divisor))));
  const amount = tryParseQuantity(text);
  return amount ? String(Math.ceil(quantityValue(amount) / quantityValue(divisor))) : '0';
}

/** The container's environment, or an EnvError saying what is missing. */
export async function containerEnv(pod: EnvPod, container: EnvContainer, sources: EnvSources, ips: { podIP?: string; hostIP?: string }): Promise<Record<string, string>> {
  const namespace = pod.metadata.namespace ?? 'default';
  const vars: Record<string, string> = {};
  const services = await sources.services(namespace);
  const own = pod.spec?.enableServiceLinks === false ? services.filter(() => false) : services;
  const kubernetes = namespace === 'default' ? [] : (await sources.services('default')).filter((s) => s.metadata.name === 'kubernetes');
  Object.assign(vars, serviceVariables([...kubernetes, ...own]));

  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) continue;
    const object = source.configMapRef ? await sources.configMap(namespace, ref.name) : await sources.secret(namespace, ref.name);
    if (!object) {
      if (ref.optional) continue;
      throw new EnvError(`${source.configMapRef ? 'configmap' : 'secret'} "${ref.name}" not found`);
    }
    for (const [key, value] of Object.entries(object.data ?? {})) {
      vars[`${source.prefix ?? ''}${key}`] = source.secretRef ? Buffer.from(value, 'base64').toString('utf8') : value;
    }
  }

  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      vars[variable.name] = expand(variable.value ?? '', vars);
      continue;
    }
    if (from.fieldRef) vars[variable.name] = fieldValue(pod, from.fieldRef.fieldPath, ips);
    else if (from.resourceFieldRef) vars[variable.name] = resourceValue(pod, container, from.resourceFieldRef);
    else if (from.configMapKeyRef || from.secretKeyRef) {
      const ref = (from.configMapKeyRef ?? from.secretKeyRef)!;
      const kind = from.configMapKeyRef ? 'ConfigMap' : 'Secret';
      const object = from.configMapKeyRef ? await sources.configMap(namespace, ref.name) : await sources.secret(namespace, ref.name);
      const raw = object?.data?.[ref.key];
      if (raw === undefined) {
        if (ref.optional) continue;
        if (!object) throw new EnvError(`${kind.toLowerCase()} "${ref.name}" not found`);
        throw new EnvError(`couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name}`);
      }
      vars[variable.name] = from.secretKeyRef ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    }
  }
  return vars;
}

/** The command line with `$(VAR)` references expanded, as upstream expands command and args. */
export function expandCommand(container: EnvContainer, env: Record<string, string>): { command?: string[]; args?: string[] } {
  return { command: container.command?.map((c) => expand(c, env)), args: container.args?.map((a) => expand(a, env)) };
}
