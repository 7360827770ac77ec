/** networking.k8s.io/v1 Ingress and IngressClass resource types. */
import { ageOf } from '../../machinery/duration.js';
import type { ResourceType } from '../resource.js';
import { ageColumn, nameColumn } from '../common/print.js';
import { IngressClassSchema, IngressSchema, type Ingress, type IngressClass } from './ingress-schema.js';
import { validateIngress, validateIngressClass, validateIngressClassUpdate, validateIngressStatus } from './ingress-validation.js';

/** Hosts of the rules, at most three, `*` when no rule names one (upstream's formatHosts). */
function formatHosts(ingress: Ingress): string {
  const rules = ingress.spec?.rules ?? [];
  const max = 3;
  const hosts: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (hosts.length === max) more = true;
    if (!more && rule.host) hosts.push(rule.host);
  }
  if (hosts.length === 0) return '*';
  return more ? `${hosts.join(',')} + ${rules.length - max} more...` : hosts.join(',');
}

function formatAddresses(ingress: Ingress): string {
  const addresses = new Set<string>();
  for (const lb of ingress.status?.loadBalancer?.ingress ?? []) {
    if (lb.ip) addresses.add(lb.ip);
    else if (lb.hostname) addresses.add(lb.hostname);
  }
  return [...addresses].sort().join(',');
}

export const ingresses: ResourceType<Ingress> = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  resource: 'ingresses',
  singular: 'ingress',
  shortNames: ['ing'],
  namespaced: true,
  schema: IngressSchema,
  subresources: { status: true },
  hasGeneration: true,
  prepareForCreate(obj) {
    // Only the controller reports the load balancer, through /status.
    obj.status = { loadBalancer: {} };
  },
  validate: (obj, context) => validateIngress(obj, context.operation),
  validateStatusUpdate: (obj) => validateIngressStatus(obj),
  table: {
    columns: [
      nameColumn,
      { name: 'Class', type: 'string', description: 'Name of the IngressClass of the ingress.' },
      { name: 'Hosts', type: 'string', description: 'Hosts the rules match.' },
      { name: 'Address', type: 'string', description: 'Addresses of the load balancer.' },
      { name: 'Ports', type: 'string', description: 'Ports the ingress listens on.' },
      ageColumn,
    ],
    cells: (obj, now) => [
      obj.metadata.name ?? '',
      obj.spec?.ingressClassName ?? '<none>',
      formatHosts(obj),
      formatAddresses(obj),
      (obj.spec?.tls ?? []).length ? '80, 443' : '80',
      ageOf(obj.metadata.creationTimestamp, now),
    ],
  },
};

export const ingressclasses: ResourceType<IngressClass> = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  resource: 'ingressclasses',
  singular: 'ingressclass',
  namespaced: false,
  schema: IngressClassSchema,
  hasGeneration: true,
  defaults(obj) {
    const params = obj.spec?.parameters;
    if (params && params.scope === undefined) params.scope = 'Cluster';
  },
  validate: (obj) => validateIngressClass(obj),
  validateUpdate: validateIngressClassUpdate,
  table: {
    columns: [
      nameColumn,
      { name: 'Controller', type: 'string', description: 'Controller that implements the class.' },
      { name: 'Parameters', type: 'string', description: 'Configuration the controller is given.' },
      ageColumn,
    ],
    cells(obj, now) {
      const p = obj.spec?.parameters;
      const parameters = p ? `${p.kind}${p.apiGroup !== undefined ? `.${p.apiGroup}` : ''}/${p.name}` : '<none>';
      return [obj.metadata.name ?? '', obj.spec?.controller ?? '', parameters, ageOf(obj.metadata.creationTimestamp, now)];
    },
  },
};
