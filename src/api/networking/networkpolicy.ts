/** networking.k8s.io/v1 NetworkPolicy: which traffic pods may send and receive. */
import { ageOf } from '../../machinery/duration.js';
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, LabelSelectorSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { validateObjectMeta } from '../../machinery/validation.js';
import type { ResourceType } from '../resource.js';
import { cidrMessage, isStrictSubnet, parseCIDR } from '../common/net.js';
import { isValidPortName, isValidPortNum, portProtocols } from '../common/ports.js';
import { ageColumn, nameColumn } from '../common/print.js';
import { formatLabelSelector, validateLabelSelector, type LabelSelector } from '../common/selector.js';

const V1 = 'io.k8s.api.networking.v1';

export interface NetworkPolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicySpec {
  podSelector?: LabelSelector;
  ingress?: { ports?: NetworkPolicyPort[]; from?: NetworkPolicyPeer[] }[];
  egress?: { ports?: NetworkPolicyPort[]; to?: NetworkPolicyPeer[] }[];
  policyTypes?: string[];
}

export interface NetworkPolicy extends KubeObject {
  spec?: NetworkPolicySpec;
}

export const IPBlockSchema = s.object(
  `${V1}.IPBlock`,
  'A CIDR range, minus some sub-ranges.',
  {
    cidr: s.string('The range, e.g. 192.168.1.0/24 or 2001:db8::/64.'),
    except: s.array(s.string(), 'Sub-ranges excluded from cidr.', { listType: 'atomic' }),
  },
  { required: ['cidr'] },
);

export const NetworkPolicyPeerSchema = s.object(`${V1}.NetworkPolicyPeer`, 'A set of peers: pods (in namespaces) or an IP range.', {
  ipBlock: s.field(IPBlockSchema, 'An IP range. Exclusive with the selectors.'),
  namespaceSelector: s.field(LabelSelectorSchema, 'Namespaces whose pods are peers; with podSelector, only the matching pods there.'),
  podSelector: s.field(LabelSelectorSchema, "Pods that are peers, in the policy's namespace unless namespaceSelector is set."),
});

export const NetworkPolicyPortSchema = s.object(`${V1}.NetworkPolicyPort`, 'A port, or range of ports, and a protocol.', {
  endPort: s.int32('Last port of a range starting at port; needs a numeric port.'),
  port: s.intOrString('Port number or named port; unset means all ports.'),
  protocol: s.string('TCP, UDP or SCTP. Defaults to TCP.'),
});

export const NetworkPolicyIngressRuleSchema = s.object(`${V1}.NetworkPolicyIngressRule`, 'Traffic allowed in: from these peers to these ports.', {
  from: s.array(NetworkPolicyPeerSchema, 'Allowed sources; empty allows all.', { listType: 'atomic' }),
  ports: s.array(NetworkPolicyPortSchema, 'Allowed ports; empty allows all.', { listType: 'atomic' }),
});

export const NetworkPolicyEgressRuleSchema = s.object(`${V1}.NetworkPolicyEgressRule`, 'Traffic allowed out: to these peers on these ports.', {
  ports: s.array(NetworkPolicyPortSchema, 'Allowed ports; empty allows all.', { listType: 'atomic' }),
  to: s.array(NetworkPolicyPeerSchema, 'Allowed destinations; empty allows all.', { listType: 'atomic' }),
});

export const NetworkPolicySpecSchema = s.object(`${V1}.NetworkPolicySpec`, 'The pods a policy selects and the traffic it allows them.', {
  egress: s.array(NetworkPolicyEgressRuleSchema, 'Egress allow rules.', { listType: 'atomic' }),
  ingress: s.array(NetworkPolicyIngressRuleSchema, 'Ingress allow rules.', { listType: 'atomic' }),
  podSelector: s.field(LabelSelectorSchema, 'Pods of the namespace the policy applies to; empty selects all.'),
  policyTypes: s.array(s.string(), 'Ingress and/or Egress: the directions the policy isolates.', { listType: 'atomic' }),
}, { required: ['podSelector'] });

export const NetworkPolicySchema = kindSchema({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  definitionName: `${V1}.NetworkPolicy`,
  description: 'Allowed network traffic for a set of pods.',
  fields: { spec: s.field(NetworkPolicySpecSchema, 'Which pods, and what traffic they allow.') },
});

export function defaultNetworkPolicy(obj: NetworkPolicy): void {
  const spec = (obj.spec ??= {});
  for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) {
    for (const port of rule.ports ?? []) port.protocol ??= 'TCP';
  }
  // A policy without types isolates ingress, and egress only when it has egress rules.
  if (!spec.policyTypes?.length) spec.policyTypes = spec.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
}

function validatePort(port: NetworkPolicyPort, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (port.protocol !== undefined && !portProtocols.includes(port.protocol)) {
    errs.push(field.notSupported(`${path}.protocol`, port.protocol, ['TCP', 'UDP', 'SCTP']));
  }
  if (port.port === undefined) {
    if (port.endPort !== undefined) errs.push(field.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is not specified'));
  } else if (typeof port.port === 'number') {
    for (const msg of isValidPortNum(port.port)) errs.push(field.invalid(`${path}.port`, port.port, msg));
    if (port.endPort !== undefined) {
      if (port.endPort < port.port) errs.push(field.invalid(`${path}.endPort`, port.port, 'must be greater than or equal to `port`'));
      for (const msg of isValidPortNum(port.endPort)) errs.push(field.invalid(`${path}.endPort`, port.endPort, msg));
    }
  } else {
    if (port.endPort !== undefined) errs.push(field.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is non-numeric'));
    for (const msg of isValidPortName(port.port)) errs.push(field.invalid(`${path}.port`, port.port, msg));
  }
  return errs;
}

function validatePeer(peer: NetworkPolicyPeer, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  let peers = 0;
  if (peer.podSelector) {
    peers++;
    errs.push(...validateLabelSelector(peer.podSelector, `${path}.podSelector`));
  }
  if (peer.namespaceSelector) {
    peers++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, `${path}.namespaceSelector`));
  }
  if (peer.ipBlock) {
    peers++;
    errs.push(...validateIPBlock(peer.ipBlock, `${path}.ipBlock`));
  }
  if (peers === 0) errs.push(field.required(path, 'must specify a peer'));
  else if (peers > 1 && peer.ipBlock) errs.push(field.forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

function validateIPBlock(block: { cidr: string; except?: string[] }, path: string): FieldErrorLike[] {
  if (!block.cidr) return [field.required(`${path}.cidr`)];
  const cidr = parseCIDR(block.cidr);
  if (!cidr) return [field.invalid(`${path}.cidr`, block.cidr, cidrMessage)];
  const errs: FieldErrorLike[] = [];
  (block.except ?? []).forEach((text, i) => {
    const except = parseCIDR(text);
    if (!except) errs.push(field.invalid(`${path}.except[${i}]`, text, cidrMessage));
    else if (!isStrictSubnet(except, cidr)) errs.push(field.invalid(`${path}.except[${i}]`, text, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

export function validateNetworkPolicy(obj: NetworkPolicy): FieldErrorLike[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const spec = obj.spec ?? {};
  errs.push(...validateLabelSelector(spec.podSelector, 'spec.podSelector'));
  (spec.ingress ?? []).forEach((rule, i) => {
    (rule.ports ?? []).forEach((p, j) => errs.push(...validatePort(p, `spec.ingress[${i}].ports[${j}]`)));
    (rule.from ?? []).forEach((p, j) => errs.push(...validatePeer(p, `spec.ingress[${i}].from[${j}]`)));
  });
  (spec.egress ?? []).forEach((rule, i) => {
    (rule.ports ?? []).forEach((p, j) => errs.push(...validatePort(p, `spec.egress[${i}].ports[${j}]`)));
    (rule.to ?? []).forEach((p, j) => errs.push(...validatePeer(p, `spec.egress[${i}].to[${j}]`)));
  });
  const types = spec.policyTypes ?? [];
  if (types.length > 2) {
    errs.push(field.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
  } else {
    types.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') errs.push(field.notSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']));
    });
  }
  return errs;
}

export const networkpolicies: ResourceType<NetworkPolicy> = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  resource: 'networkpolicies',
  singular: 'networkpolicy',
  shortNames: ['netpol'],
  namespaced: true,
  schema: NetworkPolicySchema,
  hasGeneration: true,
  defaults: defaultNetworkPolicy,
  validate: (obj) => validateNetworkPolicy(obj),
  table: {
    columns: [nameColumn, { name: 'Pod-Selector', type: 'string', description: 'Pods the policy applies to.' }, ageColumn],
    cells: (obj, now) => [obj.metadata.name ?? '', formatLabelSelector(obj.spec?.podSelector), ageOf(obj.metadata.creationTimestamp, now)],
  },
};
