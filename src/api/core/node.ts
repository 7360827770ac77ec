/** The nodes resource. */
import type { ResourceType } from '../resource.js';
import { field } from '../../machinery/status.js';
import { isQualifiedName, isValidLabelValue, validateObjectMeta } from '../../machinery/validation.js';
import { NodeSchema } from './schema/node.js';
import { AGE_COLUMN, NAME_COLUMN, age, column } from './table-util.js';
import { arr, isIP, validateIP, validateResourceList, type Errs } from './validate-common.js';
import { isObj, semanticEqual } from './util.js';

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function isCIDR(value: string): boolean {
  const [ip, bits, ...rest] = value.split('/');
  if (rest.length || bits === undefined || !/^\d+$/.test(bits) || !isIP(ip)) return false;
  return Number(bits) <= (ip.includes(':') ? 128 : 32);
}

export function validateTaints(taints: unknown, path: string): Errs {
  const errs: Errs = [];
  const seen = new Set<string>();
  arr(taints).forEach((t, i) => {
    const p = `${path}[${i}]`;
    for (const msg of isQualifiedName(String(t?.key ?? ''))) errs.push(field.invalid(`${p}.key`, t?.key, msg));
    if (t?.value) for (const msg of isValidLabelValue(t.value)) errs.push(field.invalid(`${p}.value`, t.value, msg));
    if (!t?.effect) errs.push(field.required(`${p}.effect`, ''));
    else if (!taintEffects.includes(t.effect)) errs.push(field.notSupported(`${p}.effect`, t.effect, taintEffects));
    const key = `${t?.key}:${t?.effect}`;
    if (seen.has(key)) errs.push(field.duplicate(`${p}.effect`, t?.effect));
    seen.add(key);
  });
  return errs;
}

function validateNode(node: any): Errs {
  const errs = validateObjectMeta(node.metadata, { namespaced: false });
  const spec = node.spec ?? {};
  errs.push(...validateTaints(spec.taints, 'spec.taints'));
  if (spec.podCIDR && !isCIDR(spec.podCIDR)) errs.push(field.invalid('spec.podCIDR', spec.podCIDR, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  const cidrs = arr(spec.podCIDRs);
  cidrs.forEach((c, i) => {
    if (!isCIDR(String(c))) errs.push(field.invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  if (cidrs.length > 2) errs.push(field.invalid('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'));
  errs.push(...validateResourceList(node.status?.capacity, 'status.capacity'));
  errs.push(...validateResourceList(node.status?.allocatable, 'status.allocatable'));
  arr(node.status?.addresses).forEach((a, i) => {
    if (['InternalIP', 'ExternalIP'].includes(a?.type)) errs.push(...validateIP(a?.address, `status.addresses[${i}].address`));
  });
  return errs;
}

function validateNodeUpdate(node: any, old: any): Errs {
  const errs: Errs = [];
  const spec = node.spec ?? {};
  const oldSpec = old.spec ?? {};
  if (arr(oldSpec.podCIDRs).length > 0 && !semanticEqual(spec.podCIDRs, oldSpec.podCIDRs)) {
    errs.push(field.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (oldSpec.providerID && spec.providerID !== oldSpec.providerID) {
    errs.push(field.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  return errs;
}

/** Roles from `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels, sorted. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) {
      const role = key.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (key === 'kubernetes.io/role' && value) {
      roles.add(value);
    }
  }
  return [...roles].sort();
}

/** The STATUS cell: Ready / NotReady / Unknown, plus SchedulingDisabled. */
export function nodeStatus(node: any): string {
  const ready = arr(node.status?.conditions).find((c) => c?.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function address(node: any, type: string): string {
  return arr(node.status?.addresses).find((a) => a?.type === type)?.address ?? '<none>';
}

export const nodes: ResourceType = {
  group: '', version: 'v1', kind: 'Node', resource: 'nodes', singular: 'node',
  shortNames: ['no'], namespaced: false,
  schema: NodeSchema,
  subresources: { status: true, others: ['proxy'] },
  defaults(node) {
    // Allocatable defaults to capacity (SetDefaults_NodeStatus).
    const status = node.status as any;
    if (isObj(status) && status.allocatable === undefined && status.capacity !== undefined) status.allocatable = structuredClone(status.capacity);
  },
  validate: (node) => validateNode(node),
  validateUpdate: validateNodeUpdate,
  table: {
    columns: [
      NAME_COLUMN,
      column('Status', 'The status of the node.'),
      column('Roles', 'The roles of the node.'),
      AGE_COLUMN,
      column('Version', 'Kubelet version reported by the node.'),
      column('Internal-IP', 'Internal IP of the node.', 1),
      column('External-IP', 'External IP of the node.', 1),
      column('OS-Image', 'OS image reported by the node.', 1),
      column('Kernel-Version', 'Kernel version reported by the node.', 1),
      column('Container-Runtime', 'Container runtime and version reported by the node.', 1),
    ],
    cells(node, now) {
      const info = ((node.status as any)?.nodeInfo ?? {}) as Record<string, string>;
      const roles = nodeRoles(node.metadata.labels);
      return [
        node.metadata.name, nodeStatus(node), roles.length ? roles.join(',') : '<none>', age(node, now), info.kubeletVersion ?? '',
        address(node, 'InternalIP'), address(node, 'ExternalIP'),
        info.osImage || '<unknown>', info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>',
      ];
    },
  },
  selectableFields: (node) => ({ 'spec.unschedulable': String(Boolean((node.spec as any)?.unschedulable)) }),
};
