/**
 * What the Endpoints and EndpointSlice controllers share: which pods back a
 * Service, and which port each Service port reaches on each pod (a named
 * targetPort may be a different number on different pods).
 */
import type { KubeObject } from '../../machinery/object.js';
import { isPodReady, type Pod } from '../util/pods.js';

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface Service extends KubeObject {
  spec?: {
    selector?: Record<string, string>;
    ports?: ServicePort[];
    clusterIP?: string;
    type?: string;
    publishNotReadyAddresses?: boolean;
  };
}

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

type PodWithNetwork = Pod & {
  spec?: { hostname?: string; subdomain?: string; containers?: { ports?: ContainerPort[] }[] };
  status?: { podIP?: string; podIPs?: { ip: string }[] };
};

/** Whether every key=value of a Service's (map) selector is among the labels. */
function selectorMatches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** Services with a selector have their endpoints managed; without one, the user manages them. */
export function hasSelector(service: Service): boolean {
  return Object.keys(service.spec?.selector ?? {}).length > 0;
}

/** The pods a Service selects in its namespace (a selector is a plain label map for Services). */
export function selectedPods(service: Service, podsInNamespace: Pod[]): Pod[] {
  const selector = service.spec?.selector ?? {};
  return podsInNamespace.filter((pod) => selectorMatches(selector, pod.metadata.labels));
}

export function podIPs(pod: Pod): string[] {
  const status = (pod as PodWithNetwork).status;
  const ips = (status?.podIPs ?? []).map((entry) => entry.ip).filter(Boolean);
  if (ips.length) return ips;
  return status?.podIP ? [status.podIP] : [];
}

/**
 * Whether a pod can be an endpoint at all: it has an IP and has not
 * finished. Terminating pods stay (slices report them as terminating; the
 * Endpoints object keeps them only with publishNotReadyAddresses).
 */
export function canBeEndpoint(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return podIPs(pod).length > 0 && phase !== 'Succeeded' && phase !== 'Failed';
}

export function isTerminating(pod: Pod): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

export function podIsReady(pod: Pod): boolean {
  return isPodReady(pod);
}

/** The number a Service port reaches on this pod: a number as is, a name looked up in the pod's container ports. */
export function resolveTargetPort(port: ServicePort, pod: Pod): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  for (const container of (pod as PodWithNetwork).spec?.containers ?? []) {
    for (const containerPort of container.ports ?? []) {
      if (containerPort.name === target && (containerPort.protocol ?? 'TCP') === protocol) return containerPort.containerPort;
    }
  }
  return undefined;
}

/** The endpoint ports of one pod for a Service; ports whose name does not resolve are left out. */
export function endpointPorts(service: Service, pod: Pod): { name?: string; port: number; protocol: string; appProtocol?: string }[] {
  const out: { name?: string; port: number; protocol: string; appProtocol?: string }[] = [];
  for (const port of service.spec?.ports ?? []) {
    const number = resolveTargetPort(port, pod);
    if (number === undefined) continue;
    const entry: { name?: string; port: number; protocol: string; appProtocol?: string } = { port: number, protocol: port.protocol ?? 'TCP' };
    if (port.name) entry.name = port.name;
    if (port.appProtocol) entry.appProtocol = port.appProtocol;
    out.push(entry);
  }
  return out;
}

/** The DNS hostname a pod gets under a headless Service: its spec.hostname when its subdomain names the Service. */
export function endpointHostname(service: Service, pod: Pod): string | undefined {
  const spec = (pod as PodWithNetwork).spec;
  return spec?.hostname && spec.subdomain === service.metadata.name ? spec.hostname : undefined;
}

export function targetRefOf(pod: Pod): { kind: string; namespace?: string; name?: string; uid?: string } {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

/** The Services in the pod's namespace whose selector matches the pod: what a pod change concerns. */
export function servicesForPod(pod: Pod, services: Service[]): Service[] {
  return services.filter((service) => hasSelector(service) && selectorMatches(service.spec!.selector!, pod.metadata.labels));
}
