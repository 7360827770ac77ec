/** storage.k8s.io/v1 CSIDriver and CSINode: what CSI drivers exist and which nodes run them. */
import { ageOf } from '../../machinery/duration.js';
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isDNS1123Subdomain, isQualifiedName, validateImmutable, validateObjectMeta } from '../../machinery/validation.js';
import type { ResourceType } from '../resource.js';
import { ageColumn, nameColumn } from '../common/print.js';

const V1 = 'io.k8s.api.storage.v1';

/** Upstream's ValidateCSIDriverName: a DNS subdomain (any case) of at most 63 characters. */
export function csiDriverNameErrors(name: string, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (!name) errs.push(field.required(path));
  if (name.length > 63) errs.push(field.tooLong(path, name, 63));
  for (const msg of isDNS1123Subdomain(name.toLowerCase())) errs.push(field.invalid(path, name, msg));
  return errs;
}

export interface CSIDriverSpec {
  attachRequired?: boolean;
  podInfoOnMount?: boolean;
  volumeLifecycleModes?: string[];
  storageCapacity?: boolean;
  fsGroupPolicy?: string;
  tokenRequests?: { audience: string; expirationSeconds?: number }[];
  requiresRepublish?: boolean;
  seLinuxMount?: boolean;
}

export interface CSIDriver extends KubeObject {
  spec: CSIDriverSpec;
}

export const TokenRequestSchema = s.object(
  `${V1}.TokenRequest`,
  'A service account token the driver wants for a pod.',
  {
    audience: s.string('Intended audience of the token.'),
    expirationSeconds: s.int64('Token lifetime; at least 10 minutes.'),
  },
  { required: ['audience'] },
);

export const CSIDriverSpecSchema = s.object(`${V1}.CSIDriverSpec`, 'How Kubernetes interacts with a CSI driver.', {
  attachRequired: s.boolean('Whether volumes need an attach step (ControllerPublishVolume). Default true. Immutable.'),
  fsGroupPolicy: s.string('Whether volume ownership follows the pod fsGroup: ReadWriteOnceWithFSType (default), File or None.'),
  podInfoOnMount: s.boolean('Whether pod details are passed to the driver on mount. Default false.'),
  requiresRepublish: s.boolean('Whether NodePublishVolume is called periodically to remount. Default false.'),
  seLinuxMount: s.boolean('Whether the driver supports the SELinux context mount option. Default false.'),
  storageCapacity: s.boolean('Whether the scheduler considers CSIStorageCapacity objects of the driver. Default false.'),
  tokenRequests: s.array(TokenRequestSchema, 'Service account tokens passed to the driver on mount.', { listType: 'atomic' }),
  volumeLifecycleModes: s.array(s.string(), 'Persistent and/or Ephemeral; default Persistent. Immutable.', { listType: 'set' }),
});

export const CSIDriverSchema = kindSchema({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSIDriver',
  definitionName: `${V1}.CSIDriver`,
  description: 'A CSI volume driver deployed in the cluster; its name is the driver name.',
  fields: { spec: s.field(CSIDriverSpecSchema, 'How to interact with the driver.') },
  required: ['spec'],
});

const fsGroupPolicies = ['File', 'None', 'ReadWriteOnceWithFSType'];
const lifecycleModes = ['Ephemeral', 'Persistent'];

function validateCSIDriverSpec(spec: CSIDriverSpec): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  // `attachedRequired` is upstream's spelling of this path.
  if (spec.attachRequired === undefined) errs.push(field.required('spec.attachedRequired'));
  if (spec.podInfoOnMount === undefined) errs.push(field.required('spec.podInfoOnMount'));
  if (spec.storageCapacity === undefined) errs.push(field.required('spec.storageCapacity'));
  if (spec.fsGroupPolicy === undefined) errs.push(field.required('spec.fsGroupPolicy'));
  else if (!fsGroupPolicies.includes(spec.fsGroupPolicy)) errs.push(field.notSupported('spec.fsGroupPolicy', spec.fsGroupPolicy, fsGroupPolicies));
  const audiences = new Set<string>();
  (spec.tokenRequests ?? []).forEach((t, i) => {
    const p = `spec.tokenRequests[${i}]`;
    if (audiences.has(t.audience)) errs.push(field.duplicate(`${p}.audience`, t.audience));
    audiences.add(t.audience);
    if (t.expirationSeconds !== undefined) {
      if (t.expirationSeconds < 600) errs.push(field.invalid(`${p}.expirationSeconds`, t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
      if (t.expirationSeconds > 2 ** 32) errs.push(field.invalid(`${p}.expirationSeconds`, t.expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
    }
  });
  (spec.volumeLifecycleModes ?? []).forEach((mode, i) => {
    if (!lifecycleModes.includes(mode)) errs.push(field.notSupported(`spec.volumeLifecycleModes[${i}]`, mode, lifecycleModes));
  });
  return errs;
}

const boolCell = (value: boolean | undefined, fallback: boolean) => value ?? fallback;

export const csidrivers: ResourceType<CSIDriver> = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSIDriver',
  resource: 'csidrivers',
  singular: 'csidriver',
  namespaced: false,
  schema: CSIDriverSchema,
  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec.attachRequired ??= true;
    spec.podInfoOnMount ??= false;
    spec.storageCapacity ??= false;
    spec.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
    if (!spec.volumeLifecycleModes?.length) spec.volumeLifecycleModes = ['Persistent'];
    spec.requiresRepublish ??= false;
    spec.seLinuxMount ??= false;
  },
  validate(obj) {
    // The object's name is the driver name, so it follows the driver-name rules.
    const errs = validateObjectMeta(obj.metadata, { namespaced: false, nameValidator: () => [] });
    if (obj.metadata.name) errs.push(...csiDriverNameErrors(obj.metadata.name, 'metadata.name'));
    return [...errs, ...validateCSIDriverSpec(obj.spec ?? {})];
  },
  validateUpdate: (obj, old) => [
    ...validateImmutable(obj.spec?.attachRequired, old.spec?.attachRequired, 'spec.attachRequired'),
    ...validateImmutable(obj.spec?.volumeLifecycleModes, old.spec?.volumeLifecycleModes, 'spec.volumeLifecycleModes'),
  ],
  table: {
    columns: [
      nameColumn,
      { name: 'AttachRequired', type: 'boolean', description: 'Whether volumes need an attach step.' },
      { name: 'PodInfoOnMount', type: 'boolean', description: 'Whether pod details are passed on mount.' },
      { name: 'StorageCapacity', type: 'boolean', description: 'Whether storage capacity is tracked.' },
      { name: 'TokenRequests', type: 'string', description: 'Audiences of tokens passed to the driver.' },
      { name: 'RequiresRepublish', type: 'boolean', description: 'Whether volumes are periodically republished.' },
      { name: 'Modes', type: 'string', description: 'Volume lifecycle modes the driver supports.' },
      ageColumn,
    ],
    cells(obj, now) {
      const spec = obj.spec ?? {};
      const tokens = spec.tokenRequests ? spec.tokenRequests.map((t) => t.audience).join(',') : '<unset>';
      return [
        obj.metadata.name ?? '',
        boolCell(spec.attachRequired, true),
        boolCell(spec.podInfoOnMount, false),
        boolCell(spec.storageCapacity, false),
        tokens,
        boolCell(spec.requiresRepublish, false),
        (spec.volumeLifecycleModes ?? []).join(',') || '<none>',
        ageOf(obj.metadata.creationTimestamp, now),
      ];
    },
  },
};

export interface CSINodeDriver {
  name: string;
  nodeID: string;
  topologyKeys?: string[];
  allocatable?: { count?: number };
}

export interface CSINode extends KubeObject {
  spec: { drivers?: CSINodeDriver[] };
}

export const VolumeNodeResourcesSchema = s.object(`${V1}.VolumeNodeResources`, 'Limits on volumes of one driver on a node.', {
  count: s.int32('Most volumes of this driver the node can use; unset means unlimited.'),
});

export const CSINodeDriverSchema = s.object(
  `${V1}.CSINodeDriver`,
  'A CSI driver installed on the node.',
  {
    allocatable: s.field(VolumeNodeResourcesSchema, 'Volume limits of the driver on this node.'),
    name: s.string('Driver name, as in its CSIDriver.'),
    nodeID: s.string('The node as the driver knows it.'),
    topologyKeys: s.array(s.string(), 'Topology label keys the driver reports for the node.', { listType: 'atomic' }),
  },
  { required: ['name', 'nodeID'] },
);

export const CSINodeSpecSchema = s.object(
  `${V1}.CSINodeSpec`,
  'The CSI drivers on a node.',
  {
    drivers: s.array(CSINodeDriverSchema, 'Drivers registered on the node; empty when none is.', {
      listType: 'map',
      mapKeys: ['name'],
      mergeKey: 'name',
      patchStrategy: 'merge',
    }),
  },
  { required: ['drivers'] },
);

export const CSINodeSchema = kindSchema({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSINode',
  definitionName: `${V1}.CSINode`,
  description: 'The CSI drivers installed on a node; named after the node, which owns it.',
  fields: { spec: s.field(CSINodeSpecSchema, 'The drivers.') },
  required: ['spec'],
});

const maxNodeIDLength = 192;

function validateCSINodeDrivers(drivers: CSINodeDriver[]): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const names = new Set<string>();
  drivers.forEach((d, i) => {
    const p = `spec.drivers[${i}]`;
    errs.push(...csiDriverNameErrors(d.name ?? '', `${p}.name`));
    if (names.has(d.name)) errs.push(field.duplicate(`${p}.name`, d.name));
    names.add(d.name);
    if (!d.nodeID) errs.push(field.required(`${p}.nodeID`, d.nodeID ?? ''));
    else if (d.nodeID.length > maxNodeIDLength) errs.push(field.invalid(`${p}.nodeID`, d.nodeID, `must be ${maxNodeIDLength} characters or less`));
    const keys = new Set<string>();
    (d.topologyKeys ?? []).forEach((key, j) => {
      if (!key) errs.push(field.required(`${p}.topologyKeys`, key));
      else for (const msg of isQualifiedName(key)) errs.push(field.invalid(`${p}.topologyKeys`, key, msg));
      if (keys.has(key)) errs.push(field.duplicate(`${p}.topologyKeys[${j}]`, key));
      keys.add(key);
    });
    const count = d.allocatable?.count;
    if (count !== undefined && count < 0) errs.push(field.invalid(`${p}.allocatable.count`, count, 'must be greater than or equal to 0'));
  });
  return errs;
}

export const csinodes: ResourceType<CSINode> = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSINode',
  resource: 'csinodes',
  singular: 'csinode',
  namespaced: false,
  schema: CSINodeSchema,
  validate: (obj) => [...validateObjectMeta(obj.metadata, { namespaced: false }), ...validateCSINodeDrivers(obj.spec?.drivers ?? [])],
  // A driver's registration is fixed; drivers may only come and go.
  validateUpdate(obj, old) {
    const errs: FieldErrorLike[] = [];
    (obj.spec?.drivers ?? []).forEach((d, i) => {
      const before = (old.spec?.drivers ?? []).find((o) => o.name === d.name);
      if (!before) return;
      errs.push(...validateImmutable(d.nodeID, before.nodeID, `spec.drivers[${i}].nodeID`));
      errs.push(...validateImmutable(d.topologyKeys ?? [], before.topologyKeys ?? [], `spec.drivers[${i}].topologyKeys`));
      errs.push(...validateImmutable(d.allocatable, before.allocatable, `spec.drivers[${i}].allocatable`));
    });
    return errs;
  },
  table: {
    columns: [nameColumn, { name: 'Drivers', type: 'integer', description: 'Number of CSI drivers on the node.' }, ageColumn],
    cells: (obj, now) => [obj.metadata.name ?? '', (obj.spec?.drivers ?? []).length, ageOf(obj.metadata.creationTimestamp, now)],
  },
};
