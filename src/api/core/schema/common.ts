/**
 * Small core/v1 types that many kinds share: object references, key
 * selectors, resource requirements. Kept apart so the pod, PV and service
 * schemas can import them without importing each other.
 */
import { s, type Schema } from '../../../machinery/schema/index.js';

export const V1 = 'io.k8s.api.core.v1';
export const RESOURCE = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/** A resource name → quantity map (requests, limits, capacity, hard). */
export const resourceList = (description: string): Schema => s.map(s.quantity(), description);

export const LocalObjectReferenceSchema = s.object(
  `${V1}.LocalObjectReference`,
  'Names an object in the same namespace.',
  { name: s.string('Name of the referent.') },
  { mapType: 'atomic' },
);

export const ObjectReferenceSchema = s.object(
  `${V1}.ObjectReference`,
  'Points at any object, optionally at a field inside it.',
  {
    kind: s.string('Kind of the referent.'),
    namespace: s.string('Namespace of the referent.'),
    name: s.string('Name of the referent.'),
    uid: s.string('UID of the referent.'),
    apiVersion: s.string('API version of the referent.'),
    resourceVersion: s.string('Resource version the reference was made at.'),
    fieldPath: s.string('Path of a field inside the referent, e.g. spec.containers{name}.'),
  },
  { mapType: 'atomic' },
);

export const TypedLocalObjectReferenceSchema = s.object(
  `${V1}.TypedLocalObjectReference`,
  'Names an object of a given kind and API group in the same namespace.',
  {
    apiGroup: s.string('API group of the referent; empty for the core group.'),
    kind: s.string('Kind of the referent.'),
    name: s.string('Name of the referent.'),
  },
  { required: ['kind', 'name'], mapType: 'atomic' },
);

export const TypedObjectReferenceSchema = s.object(
  `${V1}.TypedObjectReference`,
  'Names an object of a given kind and API group, possibly in another namespace.',
  {
    apiGroup: s.string('API group of the referent; empty for the core group.'),
    kind: s.string('Kind of the referent.'),
    name: s.string('Name of the referent.'),
    namespace: s.string('Namespace of the referent, when it differs.'),
  },
  { required: ['kind', 'name'] },
);

export const SecretReferenceSchema = s.object(
  `${V1}.SecretReference`,
  'Names a secret in any namespace.',
  {
    name: s.string('Name of the secret.'),
    namespace: s.string('Namespace of the secret.'),
  },
  { mapType: 'atomic' },
);

export const KeyToPathSchema = s.object(
  `${V1}.KeyToPath`,
  'Maps one key of a config map or secret to a file path.',
  {
    key: s.string('The key to project.'),
    path: s.string('Relative file path the key is written to.'),
    mode: s.int32('File mode bits for this file.'),
  },
  { required: ['key', 'path'] },
);

export const ObjectFieldSelectorSchema = s.object(
  `${V1}.ObjectFieldSelector`,
  'Selects a field of the pod.',
  {
    apiVersion: s.string('Version the field path is written in; defaults to v1.'),
    fieldPath: s.string('Path of the field to select.'),
  },
  { required: ['fieldPath'], mapType: 'atomic' },
);

export const ResourceFieldSelectorSchema = s.object(
  `${V1}.ResourceFieldSelector`,
  'Selects a resource request or limit of a container.',
  {
    containerName: s.string('Container name; required for volumes.'),
    resource: s.string('Resource to select, e.g. limits.cpu.'),
    divisor: s.quantity('Output unit of the value; defaults to 1.'),
  },
  { required: ['resource'], mapType: 'atomic' },
);

export const ConfigMapKeySelectorSchema = s.object(
  `${V1}.ConfigMapKeySelector`,
  'Selects a key of a config map.',
  {
    name: s.string('Name of the config map.'),
    key: s.string('The key to select.'),
    optional: s.boolean('Whether the config map or key may be missing.'),
  },
  { required: ['key'], mapType: 'atomic' },
);

export const SecretKeySelectorSchema = s.object(
  `${V1}.SecretKeySelector`,
  'Selects a key of a secret.',
  {
    name: s.string('Name of the secret.'),
    key: s.string('The key to select.'),
    optional: s.boolean('Whether the secret or key may be missing.'),
  },
  { required: ['key'], mapType: 'atomic' },
);

export const ResourceClaimSchema = s.object(
  `${V1}.ResourceClaim`,
  'Names one entry of the pod resourceClaims that a container uses.',
  {
    name: s.string('Name of an entry in pod.spec.resourceClaims.'),
    request: s.string('One request of the claim; empty means all of it.'),
  },
  { required: ['name'] },
);

export const ResourceRequirementsSchema = s.object(
  `${V1}.ResourceRequirements`,
  'Compute resources a container asks for and is limited to.',
  {
    limits: resourceList('Most of each resource the container may use.'),
    requests: resourceList('Least of each resource the container needs; defaults to limits.'),
    claims: s.array(ResourceClaimSchema, 'Dynamically allocated resources the container uses.', {
      listType: 'map',
      mapKeys: ['name'],
    }),
  },
);

export const VolumeResourceRequirementsSchema = s.object(
  `${V1}.VolumeResourceRequirements`,
  'Storage a volume claim asks for.',
  {
    limits: resourceList('Most storage allowed.'),
    requests: resourceList('Least storage needed.'),
  },
);

export const NodeSelectorRequirementSchema = s.object(
  `${V1}.NodeSelectorRequirement`,
  'A key, an operator and values, matched against node labels or fields.',
  {
    key: s.string('Label or field key.'),
    operator: s.enumString(['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'], 'In, NotIn, Exists, DoesNotExist, Gt or Lt.'),
    values: s.array(s.string(), 'Values to compare with.', { listType: 'atomic' }),
  },
  { required: ['key', 'operator'] },
);

export const NodeSelectorTermSchema = s.object(
  `${V1}.NodeSelectorTerm`,
  'Requirements that are ANDed.',
  {
    matchExpressions: s.array(NodeSelectorRequirementSchema, 'Requirements on node labels.', { listType: 'atomic' }),
    matchFields: s.array(NodeSelectorRequirementSchema, 'Requirements on node fields.', { listType: 'atomic' }),
  },
  { mapType: 'atomic' },
);

export const NodeSelectorSchema = s.object(
  `${V1}.NodeSelector`,
  'Terms that are ORed; a node matches when any term does.',
  {
    nodeSelectorTerms: s.array(NodeSelectorTermSchema, 'The ORed terms.', { listType: 'atomic' }),
  },
  { required: ['nodeSelectorTerms'], mapType: 'atomic' },
);

export const TopologySelectorLabelRequirementSchema = s.object(`${V1}.TopologySelectorLabelRequirement`, 'A topology label and the values it may take.', {
  key: s.string('Label key.'),
  values: s.array(s.string(), 'Allowed values.', { listType: 'atomic' }),
}, { required: ['key', 'values'] });

export const TopologySelectorTermSchema = s.object(`${V1}.TopologySelectorTerm`, 'Topology requirements that are ANDed.', {
  matchLabelExpressions: s.array(TopologySelectorLabelRequirementSchema, 'The requirements.', { listType: 'atomic' }),
}, { mapType: 'atomic' });

/** A list of plain strings replaced as a whole (command, args, mountOptions, …). */
export const atomicStrings = (description: string): Schema => s.array(s.string(), description, { listType: 'atomic' });
