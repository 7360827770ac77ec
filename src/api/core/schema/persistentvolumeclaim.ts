/** PersistentVolumeClaim: spec, status and the kind. */
import { s, kindSchema, LabelSelectorSchema } from '../../../machinery/schema/index.js';
import {
  V1,
  atomicStrings,
  resourceList,
  TypedLocalObjectReferenceSchema,
  TypedObjectReferenceSchema,
  VolumeResourceRequirementsSchema,
} from './common.js';

const accessModes = () =>
  s.array(s.enumString(['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod']), 'Desired access modes.', {
    listType: 'atomic',
  });

export const PersistentVolumeClaimSpecSchema = s.object(`${V1}.PersistentVolumeClaimSpec`, 'Storage a claim asks for.', {
  accessModes: accessModes(),
  selector: s.field(LabelSelectorSchema, 'Labels of volumes that may be bound.'),
  resources: s.field(VolumeResourceRequirementsSchema, 'Storage size; requests.storage is required.'),
  volumeName: s.string('Bind to this persistent volume.'),
  storageClassName: s.string('Storage class; "" means none.'),
  volumeMode: s.enumString(['Block', 'Filesystem'], 'Filesystem or Block; defaults to Filesystem.'),
  dataSource: s.field(TypedLocalObjectReferenceSchema, 'Snapshot or claim to populate from.'),
  dataSourceRef: s.field(TypedObjectReferenceSchema, 'Any populator object to populate from.'),
  volumeAttributesClassName: s.string('VolumeAttributesClass to use.'),
});

export const PersistentVolumeClaimConditionSchema = s.object(`${V1}.PersistentVolumeClaimCondition`, 'A condition of a claim.', {
  type: s.string('Resizing, FileSystemResizePending, …'),
  status: s.string('True, False or Unknown.'),
  lastProbeTime: s.dateTime('Last time the condition was probed.'),
  lastTransitionTime: s.dateTime('Last time the status changed.'),
  reason: s.string('Machine-readable reason.'),
  message: s.string('Human-readable details.'),
}, { required: ['type', 'status'] });

export const PersistentVolumeClaimStatusSchema = s.object(`${V1}.PersistentVolumeClaimStatus`, 'Observed state of a claim.', {
  phase: s.enumString(['Bound', 'Lost', 'Pending'], 'Pending, Bound or Lost.'),
  accessModes: s.array(s.string(), 'Access modes of the bound volume.', { listType: 'atomic' }),
  capacity: resourceList('Capacity of the bound volume.'),
  conditions: s.array(PersistentVolumeClaimConditionSchema, 'Current conditions.', {
    listType: 'map', mapKeys: ['type'], mergeKey: 'type', patchStrategy: 'merge',
  }),
  allocatedResources: resourceList('Storage allocated to the claim (resizing).'),
  allocatedResourceStatuses: { ...s.map(s.string(), 'State of each resize operation.'), 'x-kubernetes-map-type': 'granular' },
  currentVolumeAttributesClassName: s.string('VolumeAttributesClass currently applied.'),
  modifyVolumeStatus: s.object(`${V1}.ModifyVolumeStatus`, 'State of a volume attribute change.', {
    targetVolumeAttributesClassName: s.string('Class being applied.'),
    status: s.string('Pending, InProgress or Infeasible.'),
  }, { required: ['status'] }),
});

export const PersistentVolumeClaimSchema = kindSchema({
  group: '', version: 'v1', kind: 'PersistentVolumeClaim',
  definitionName: `${V1}.PersistentVolumeClaim`,
  description: 'A request for storage by a user.',
  fields: {
    spec: s.field(PersistentVolumeClaimSpecSchema, 'Desired storage.'),
    status: s.field(PersistentVolumeClaimStatusSchema, 'Observed state.'),
  },
});

export { accessModes as accessModesSchema, atomicStrings };
