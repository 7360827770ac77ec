/**
 * What the cluster's DNS answers, from Services and EndpointSlices, as the
 * Kubernetes DNS specification lays it out (zone `cluster.local`):
 *
 *   <svc>.<ns>.svc.<zone>             A     the ClusterIP; headless: each ready endpoint
 *   <host>.<svc>.<ns>.svc.<zone>      A     a headless endpoint with a hostname (StatefulSet pods)
 *   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV  named ports (targets as above)
 *   <svc>.<ns>.svc.<zone>             CNAME an ExternalName service's name
 *   <a-b-c-d>.<ns>.pod.<zone>         A     a.b.c.d
 *
 * A name in the zone that does not exist is NXDOMAIN; one that exists but
 * has no record of the asked type (AAAA here) is an empty answer. Pure
 * functions over a snapshot: the server keeps the snapshot current.
 */

export interface ServiceInfo {
  name: string;
  namespace: string;
  type?: string;
  clusterIP?: string;
  externalName?: string;
  publishNotReadyAddresses?: boolean;
  ports: { name?: string; port: number; protocol?: string }[];
}

export interface EndpointInfo {
  addresses: string[];
  hostname?: string;
  ready: boolean;
}

export interface DnsSnapshot {
  service(namespace: string, name: string): ServiceInfo | undefined;
  /** The endpoints of a service, from all its EndpointSlices. */
  endpoints(namespace: string, name: string): EndpointInfo[];
  /** Whether a namespace exists (a name under a missing one is NXDOMAIN). */
  namespaceExists(namespace: string): boolean;
}

export type Answer =
  | { type: 'A'; name: string; data: string }
  | { type: 'CNAME'; name: string; data: string }
  | { type: 'SRV'; name: string; data: { priority: number; weight: number; port: number; target: string } };

export interface Lookup {
  /** NXDOMAIN: the name does not exist. */
  exists: boolean;
  answers: Answer[];
}

export const defaultZone = 'cluster.local';

const headless = (service: ServiceInfo) => !service.clusterIP || service.clusterIP === 'None';

function dashed(ip: string): string {
  return ip.replace(/\./g, '-').replace(/:/g, '-');
}

function readyEndpoints(snapshot: DnsSnapshot, service: ServiceInfo): EndpointInfo[] {
  return snapshot.endpoints(service.namespace, service.name).filter((e) => e.ready || service.publishNotReadyAddresses);
}

/** The records for a name (lower-cased, without the trailing dot) and a type, when the name is in the zone; undefined when it is not. */
export function lookup(snapshot: DnsSnapshot, name: string, type: string, zone = defaultZone): Lookup | undefined {
  const suffix = `.${zone}`;
  if (name !== zone && !name.endsWith(suffix)) return undefined;
  const labels = name === zone ? [] : name.slice(0, -suffix.length).split('.');
  const none: Lookup = { exists: false, answers: [] };
  const empty: Lookup = { exists: true, answers: [] };
  if (labels.length === 0) return empty;
  const kind = labels[labels.length - 1];

  if (kind === 'pod') {
    // <a-b-c-d>.<ns>.pod.<zone>
    if (labels.length !== 3) return labels.length < 3 ? empty : none;
    const ip = labels[0].split('-');
    if (ip.length !== 4 || ip.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return none;
    return { exists: true, answers: type === 'A' || type === 'ANY' ? [{ type: 'A', name, data: ip.join('.') }] : [] };
  }
  if (kind !== 'svc') return none;
  if (labels.length === 1) return empty;
  const namespace = labels[labels.length - 2];
  if (!snapshot.namespaceExists(namespace)) return none;
  if (labels.length === 2) return empty;
  const serviceName = labels[labels.length - 3];
  const service = snapshot.service(namespace, serviceName);
  if (!service) return none;
  const serviceFqdn = `${serviceName}.${namespace}.svc.${zone}`;
  const rest = labels.slice(0, -3);

  if (rest.length === 0) {
    if (service.type === 'ExternalName' && service.externalName) {
      return { exists: true, answers: [{ type: 'CNAME', name, data: service.externalName.replace(/\.$/, '') }] };
    }
    if (type !== 'A' && type !== 'ANY') return empty;
    if (!headless(service)) return { exists: true, answers: [{ type: 'A', name, data: service.clusterIP! }] };
    const ips = [...new Set(readyEndpoints(snapshot, service).flatMap((e) => e.addresses))];
    return { exists: true, answers: ips.filter((ip) => !ip.includes(':')).map((ip) => ({ type: 'A' as const, name, data: ip })) };
  }

  // _<port>._<proto>.<svc>…: SRV for a named port
  if (rest.length === 2 && rest[0].startsWith('_') && rest[1].startsWith('_')) {
    const portName = rest[0].slice(1);
    const protocol = rest[1].slice(1).toUpperCase();
    const port = service.ports.find((p) => p.name === portName && (p.protocol ?? 'TCP') === protocol);
    if (!port) return none;
    if (type !== 'SRV' && type !== 'ANY') return empty;
    if (!headless(service)) return { exists: true, answers: [{ type: 'SRV', name, data: { priority: 0, weight: 100, port: port.port, target: serviceFqdn } }] };
    const endpoints = readyEndpoints(snapshot, service);
    const weight = Math.max(1, Math.floor(100 / Math.max(1, endpoints.length)));
    return {
      exists: true,
      answers: endpoints.map((e) => ({ type: 'SRV' as const, name, data: { priority: 0, weight, port: port.port, target: `${e.hostname ?? dashed(e.addresses[0])}.${serviceFqdn}` } })),
    };
  }

  // <hostname>.<svc>…: one endpoint of a headless service (by hostname, or its dashed IP)
  if (rest.length === 1 && headless(service)) {
    const endpoint = readyEndpoints(snapshot, service).find((e) => e.hostname === rest[0] || e.addresses.some((ip) => dashed(ip) === rest[0]));
    if (!endpoint) return none;
    if (type !== 'A' && type !== 'ANY') return empty;
    return { exists: true, answers: endpoint.addresses.filter((ip) => !ip.includes(':')).map((ip) => ({ type: 'A' as const, name, data: ip })) };
  }
  return none;
}
