/**
 * The services and endpoints resources. ClusterIP and NodePort allocation is
 * stateful and lives in the apiserver; here an empty clusterIP or nodePort is
 * valid and set values are checked for format only.
 */
import type { ResourceType } from '../resource.js';
import type { KubeObject } from '../../machinery/object.js';
import { field } from '../../machinery/status.js';
import { isDNS1035Label, isDNS1123Label, isQualifiedName, validateLabels, validateObjectMeta } from '../../machinery/validation.js';
import { EndpointsSchema, ServiceSchema } from './schema/service.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, formatLabels } from './table-util.js';
import { arr, isIP, isValidPortNum, validateDNS1123Subdomain, validateIP, validatePortNumOrName, PORT_RANGE_MESSAGE, type Errs } from './validate-common.js';
import { isObj } from './util.js';

/** The default node port range; the apiserver's allocator may be configured otherwise. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const protocols = ['SCTP', 'TCP', 'UDP'];

/** Whether the service's ports get node ports (NodePort, and LoadBalancer unless allocation is switched off). */
export function serviceNeedsNodePorts(spec: any): boolean {
  if (spec?.type === 'NodePort') return true;
  return spec?.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false;
}

/** Indexes of the ports that need a node port allocated (none set yet). */
export function portsNeedingNodePort(spec: any): number[] {
  if (!serviceNeedsNodePorts(spec)) return [];
  return arr(spec.ports).flatMap((p, i) => (p?.nodePort ? [] : [i]));
}

export function defaultService(svc: KubeObject): void {
  const spec = (svc.spec ??= {}) as any;
  spec.type ||= 'ClusterIP';
  spec.sessionAffinity ||= 'None';
  for (const port of arr(spec.ports)) {
    if (!isObj(port)) continue;
    port.protocol ||= 'TCP';
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.type !== 'ExternalName' && !spec.internalTrafficPolicy) spec.internalTrafficPolicy = 'Cluster';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

function validatePorts(spec: any, headless: boolean): Errs {
  const errs: Errs = [];
  const ports = arr(spec.ports);
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') errs.push(field.required('spec.ports', ''));
  const names = new Set<string>();
  const keys = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if (ports.length > 1 && !p?.name) errs.push(field.required(`${path}.name`, ''));
    if (p?.name) {
      for (const msg of isDNS1123Label(p.name)) errs.push(field.invalid(`${path}.name`, p.name, msg));
      if (names.has(p.name)) errs.push(field.duplicate(`${path}.name`, p.name));
      names.add(p.name);
    }
    if (!isValidPortNum(p?.port)) errs.push(field.invalid(`${path}.port`, p?.port, PORT_RANGE_MESSAGE));
    if (!p?.protocol) errs.push(field.required(`${path}.protocol`, ''));
    else if (!protocols.includes(p.protocol)) errs.push(field.notSupported(`${path}.protocol`, p.protocol, protocols));
    if (p?.targetPort !== undefined) errs.push(...validatePortNumOrName(p.targetPort, `${path}.targetPort`));
    if (p?.appProtocol) for (const msg of isQualifiedName(p.appProtocol)) errs.push(field.invalid(`${path}.appProtocol`, p.appProtocol, msg));
    const key = `${p?.port}/${p?.protocol}`;
    if (keys.has(key)) errs.push(field.duplicate(path, { port: p?.port, protocol: p?.protocol }));
    keys.add(key);
    if (p?.nodePort) {
      if (spec.type === 'ClusterIP') errs.push(field.forbidden(`${path}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else if (spec.type === 'ExternalName') errs.push(field.forbidden(`${path}.nodePort`, "may not be used when `type` is 'ExternalName'"));
      else if (!isValidPortNum(p.nodePort)) errs.push(field.invalid(`${path}.nodePort`, p.nodePort, PORT_RANGE_MESSAGE));
      else if (p.nodePort < NODE_PORT_RANGE.min || p.nodePort > NODE_PORT_RANGE.max) {
        errs.push(field.invalid(`${path}.nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`));
      }
      const nodeKey = `${p.nodePort}/${p.protocol}`;
      if (nodePorts.has(nodeKey)) errs.push(field.duplicate(`${path}.nodePort`, p.nodePort));
      nodePorts.add(nodeKey);
    }
  });
  return errs;
}

export function validateService(svc: KubeObject): Errs {
  const errs: Errs = validateObjectMeta(svc.metadata, { namespaced: true, nameValidator: isDNS1035Label });
  const spec = (svc.spec ?? {}) as any;
  const headless = spec.clusterIP === 'None';
  if (!serviceTypes.includes(spec.type)) errs.push(field.notSupported('spec.type', spec.type, serviceTypes));
  if (spec.type === 'ExternalName') {
    if (spec.clusterIP) errs.push(field.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    const name = String(spec.externalName ?? '').replace(/\.$/, '');
    if (!name) errs.push(field.required('spec.externalName', ''));
    else errs.push(...validateDNS1123Subdomain(name, 'spec.externalName').map((e) => ({ ...e, value: spec.externalName })));
  } else if (spec.clusterIP && !headless) {
    if (!isIP(spec.clusterIP)) errs.push(...validateIP(spec.clusterIP, 'spec.clusterIPs[0]'));
    const ips = arr(spec.clusterIPs);
    if (ips.length > 0 && ips[0] !== spec.clusterIP) errs.push(field.invalid('spec.clusterIPs[0]', ips[0], 'must match clusterIP when clusterIP is set'));
  }
  if (headless && (spec.type === 'NodePort' || spec.type === 'LoadBalancer')) {
    errs.push(field.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${spec.type} services`));
  }
  errs.push(...validatePorts(spec, headless));
  if (spec.sessionAffinity && !['ClientIP', 'None'].includes(spec.sessionAffinity)) {
    errs.push(field.notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  }
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && !(timeout > 0 && timeout <= 86400)) {
    errs.push(field.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400'));
  }
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  arr(spec.externalIPs).forEach((ip, i) => errs.push(...validateIP(ip, `spec.externalIPs[${i}]`)));
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  if (spec.externalTrafficPolicy !== undefined && spec.externalTrafficPolicy !== '') {
    if (!external) errs.push(field.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
    else if (!['Cluster', 'Local'].includes(spec.externalTrafficPolicy)) errs.push(field.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']));
  } else if (external) {
    errs.push(field.required('spec.externalTrafficPolicy', ''));
  }
  if (spec.type !== 'ExternalName') {
    if (!spec.internalTrafficPolicy) errs.push(field.required('spec.internalTrafficPolicy', ''));
    else if (!['Cluster', 'Local'].includes(spec.internalTrafficPolicy)) errs.push(field.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (spec.healthCheckNodePort && !(spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local')) {
    errs.push(field.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  if (arr(spec.loadBalancerSourceRanges).length > 0 && spec.type !== 'LoadBalancer') {
    errs.push(field.forbidden('spec.loadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer') {
    errs.push(field.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  return errs;
}

function validateServiceUpdate(svc: KubeObject, old: KubeObject): Errs {
  const spec = (svc.spec ?? {}) as any;
  const oldSpec = (old.spec ?? {}) as any;
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName' || !oldSpec.clusterIP) return [];
  if (spec.clusterIP && spec.clusterIP !== oldSpec.clusterIP) return [field.invalid('spec.clusterIPs[0]', spec.clusterIP, 'may not change once set')];
  return [];
}

function loadBalancerIPs(svc: any, wide: boolean): string {
  const ips = arr(svc.status?.loadBalancer?.ingress).map((i) => i?.ip || i?.hostname).filter(Boolean);
  const joined = ips.join(',');
  return !wide && joined.length > 16 ? `${joined.slice(0, 13)}...` : joined;
}

/** The EXTERNAL-IP cell (upstream getServiceExternalIP). */
export function serviceExternalIP(svc: any, wide = false): string {
  const spec = svc.spec ?? {};
  const externalIPs: string[] = arr(spec.externalIPs);
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIPs(svc, wide);
      if (externalIPs.length) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
  }
  return '<unknown>';
}

export function servicePorts(ports: unknown): string {
  const cells = arr(ports).map((p) => (p?.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p?.port}/${p?.protocol}`));
  return cells.length ? cells.join(',') : '<none>';
}

export const services: ResourceType = {
  group: '', version: 'v1', kind: 'Service', resource: 'services', singular: 'service',
  shortNames: ['svc'], categories: ['all'], namespaced: true,
  schema: ServiceSchema,
  subresources: { status: true, others: ['proxy'] },
  defaults: defaultService,
  prepareForCreate(svc) {
    svc.status = { loadBalancer: {} };
  },
  validate: (svc) => validateService(svc),
  validateUpdate: validateServiceUpdate,
  validateStatusUpdate(svc) {
    const errs: Errs = [];
    arr((svc.status as any)?.loadBalancer?.ingress).forEach((ing, i) => {
      if (ing?.ip) errs.push(...validateIP(ing.ip, `status.loadBalancer.ingress[${i}].ip`));
      if (ing?.ipMode !== undefined && !['VIP', 'Proxy'].includes(ing.ipMode)) errs.push(field.notSupported(`status.loadBalancer.ingress[${i}].ipMode`, ing.ipMode, ['VIP', 'Proxy']));
    });
    return errs;
  },
  table: {
    columns: [
      NAME_COLUMN,
      column('Type', 'The type of the service: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
      column('Cluster-IP', 'The virtual IP of the service.'),
      column('External-IP', 'External addresses of the service.'),
      column('Port(s)', 'The ports the service exposes.'),
      AGE_COLUMN,
      column('Selector', 'Labels of the pods the service routes to.', 1),
    ],
    cells(svc, now) {
      const spec = (svc.spec ?? {}) as any;
      const clusterIP = arr(spec.clusterIPs)[0] ?? spec.clusterIP ?? '<none>';
      return [svc.metadata.name, spec.type ?? '', clusterIP || '<none>', serviceExternalIP(svc), servicePorts(spec.ports), age(svc, now), formatLabels(spec.selector)];
    },
  },
  selectableFields(svc) {
    const spec = (svc.spec ?? {}) as any;
    return { 'spec.clusterIP': spec.clusterIP ?? '', 'spec.type': spec.type ?? '' };
  },
};

/** upstream formatEndpoints: up to three ip:port pairs, then ` + N more...`. */
export function formatEndpoints(obj: any): string {
  const subsets = arr(obj.subsets);
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  let more = false;
  const join = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  for (const ss of subsets) {
    const addresses = arr(ss?.addresses);
    const ports = arr(ss?.ports);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) { more = true; break; }
        list.push(a?.ip);
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) { more = true; break; }
        list.push(join(String(a?.ip), port?.port));
      }
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}

function validateEndpoints(obj: KubeObject): Errs {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  arr((obj as any).subsets).forEach((ss, i) => {
    const path = `subsets[${i}]`;
    for (const key of ['addresses', 'notReadyAddresses']) {
      arr(ss?.[key]).forEach((a, j) => {
        const p = `${path}.${key}[${j}]`;
        errs.push(...validateIP(a?.ip, `${p}.ip`));
        if (a?.hostname) for (const msg of isDNS1123Label(a.hostname)) errs.push(field.invalid(`${p}.hostname`, a.hostname, msg));
        if (a?.nodeName) errs.push(...validateDNS1123Subdomain(a.nodeName, `${p}.nodeName`));
      });
    }
    const ports = arr(ss?.ports);
    ports.forEach((port, j) => {
      const p = `${path}.ports[${j}]`;
      if (ports.length > 1 && !port?.name) errs.push(field.required(`${p}.name`, ''));
      if (port?.name) for (const msg of isDNS1123Label(port.name)) errs.push(field.invalid(`${p}.name`, port.name, msg));
      if (!isValidPortNum(port?.port)) errs.push(field.invalid(`${p}.port`, port?.port, PORT_RANGE_MESSAGE));
      if (!port?.protocol) errs.push(field.required(`${p}.protocol`, ''));
      else if (!protocols.includes(port.protocol)) errs.push(field.notSupported(`${p}.protocol`, port.protocol, protocols));
    });
  });
  return errs;
}

export const endpoints: ResourceType = {
  group: '', version: 'v1', kind: 'Endpoints', resource: 'endpoints', singular: 'endpoints',
  shortNames: ['ep'], namespaced: true,
  schema: EndpointsSchema,
  defaults(obj) {
    for (const ss of arr((obj as any).subsets)) for (const port of arr(ss?.ports)) if (isObj(port)) port.protocol ||= 'TCP';
  },
  validate: (obj) => validateEndpoints(obj),
  table: {
    columns: [NAME_COLUMN, column('Endpoints', 'Endpoints of the service.'), AGE_COLUMN],
    cells: (obj, now) => [obj.metadata.name, formatEndpoints(obj), age(obj, now)],
  },
};
