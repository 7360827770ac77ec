/** The persistentvolumes and persistentvolumeclaims resources. */
import type { ResourceType } from '../resource.js';
import { field } from '../../machinery/status.js';
import { validateObjectMeta } from '../../machinery/validation.js';
import { PersistentVolumeSchema } from './schema/persistentvolume.js';
import { PersistentVolumeClaimSchema } from './schema/persistentvolumeclaim.js';
import { defaultPersistentVolume, defaultPersistentVolumeClaim } from './defaults-storage.js';
import { AGE_COLUMN, NAME_COLUMN, age, column } from './table-util.js';
import { arr, validateDNS1123Subdomain, validateLabelSelector, validateQuantity, type Errs } from './validate-common.js';
import { validateNodeSelector } from './validate-scheduling.js';
import { compareQuantities, quantityValue } from './quantity.js';
import { isObj, semanticEqual } from './util.js';

const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const pvSources = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc', 'flocker',
  'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local',
  'storageos', 'csi',
];

function validateAccessModes(modes: unknown, path: string, required: Errs): Errs {
  const list = arr(modes);
  if (list.length === 0) return required;
  const errs: Errs = [];
  for (const m of list) if (!accessModes.includes(m)) errs.push(field.notSupported(path, m, accessModes));
  if (list.includes('ReadWriteOncePod') && list.length > 1) errs.push(field.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateVolumeMode(mode: unknown, path: string): Errs {
  return mode !== undefined && !['Block', 'Filesystem'].includes(mode as string) ? [field.notSupported(path, mode, ['Block', 'Filesystem'])] : [];
}

function nowRFC3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function validatePV(pv: any): Errs {
  const errs = validateObjectMeta(pv.metadata, { namespaced: false });
  const spec = pv.spec ?? {};
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', [field.required('spec.accessModes', '')]));
  const capacity = isObj(spec.capacity) ? spec.capacity : {};
  if (Object.keys(capacity).length === 0) errs.push(field.required('spec.capacity', ''));
  for (const [name, q] of Object.entries(capacity)) {
    if (name !== 'storage') errs.push(field.notSupported('spec.capacity', name, ['storage']));
    else errs.push(...validateQuantity(q, 'spec.capacity[storage]'));
  }
  const sources = pvSources.filter((k) => spec[k] !== undefined && spec[k] !== null);
  if (sources.length === 0) errs.push(field.required('spec', 'must specify a volume type'));
  for (const k of sources.slice(1)) errs.push(field.forbidden(`spec.${k}`, 'may not specify more than 1 volume type'));
  if (spec.hostPath && !spec.hostPath.path) errs.push(field.required('spec.hostPath.path', ''));
  if (spec.local) {
    if (!spec.local.path) errs.push(field.required('spec.local.path', ''));
    if (!spec.nodeAffinity) errs.push(field.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (spec.csi) {
    if (!spec.csi.driver) errs.push(field.required('spec.csi.driver', ''));
    if (!spec.csi.volumeHandle) errs.push(field.required('spec.csi.volumeHandle', ''));
  }
  const policies = ['Delete', 'Recycle', 'Retain'];
  if (spec.persistentVolumeReclaimPolicy && !policies.includes(spec.persistentVolumeReclaimPolicy)) {
    errs.push(field.notSupported('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, policies));
  }
  errs.push(...validateVolumeMode(spec.volumeMode, 'spec.volumeMode'));
  if (spec.storageClassName) errs.push(...validateDNS1123Subdomain(spec.storageClassName, 'spec.storageClassName'));
  if (spec.nodeAffinity) {
    if (!spec.nodeAffinity.required) errs.push(field.required('spec.nodeAffinity.required', 'must specify required node constraints'));
    else errs.push(...validateNodeSelector(spec.nodeAffinity.required, 'spec.nodeAffinity.required'));
  }
  return errs;
}

function validatePVUpdate(pv: any, old: any): Errs {
  const errs: Errs = [];
  const pick = (spec: any) => Object.fromEntries(pvSources.filter((k) => spec?.[k] !== undefined).map((k) => [k, spec[k]]));
  if (!semanticEqual(pick(pv.spec), pick(old.spec))) {
    errs.push(field.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  }
  if (pv.spec?.volumeMode !== old.spec?.volumeMode) errs.push(field.invalid('volumeMode', pv.spec?.volumeMode, 'field is immutable'));
  if (old.spec?.nodeAffinity && !semanticEqual(pv.spec?.nodeAffinity, old.spec.nodeAffinity)) {
    errs.push(field.invalid('nodeAffinity', pv.spec?.nodeAffinity, 'field is immutable'));
  }
  return errs;
}

/** RWO,ROX,RWX,RWOP in that order, as kubectl prints access modes. */
export function accessModesString(modes: unknown): string {
  const list = arr(modes);
  const short: [string, string][] = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];
  return short.filter(([mode]) => list.includes(mode)).map(([, s]) => s).join(',');
}

function storageClassOf(obj: any): string {
  return obj.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? obj.spec?.storageClassName ?? '';
}

export const persistentvolumes: ResourceType = {
  group: '', version: 'v1', kind: 'PersistentVolume', resource: 'persistentvolumes', singular: 'persistentvolume',
  shortNames: ['pv'], namespaced: false,
  schema: PersistentVolumeSchema,
  subresources: { status: true },
  defaults: defaultPersistentVolume,
  prepareForCreate(pv) {
    pv.status = { phase: 'Pending', lastPhaseTransitionTime: nowRFC3339() };
  },
  validate: (pv) => validatePV(pv),
  validateUpdate: validatePVUpdate,
  validateStatusUpdate(pv) {
    const phases = ['Pending', 'Available', 'Bound', 'Released', 'Failed'];
    const phase = (pv.status as any)?.phase;
    return phase && !phases.includes(phase) ? [field.notSupported('status.phase', phase, phases)] : [];
  },
  table: {
    columns: [
      NAME_COLUMN,
      column('Capacity', 'Size of the volume.'),
      column('Access Modes', 'Ways the volume can be mounted.'),
      column('Reclaim Policy', 'What happens to the volume when its claim is released.'),
      column('Status', 'Phase of the volume.'),
      column('Claim', 'The claim bound to the volume.'),
      column('StorageClass', 'Storage class of the volume.'),
      column('VolumeAttributesClass', 'VolumeAttributesClass of the volume.'),
      column('Reason', 'Reason for a failure.'),
      AGE_COLUMN,
      column('VolumeMode', 'Filesystem or Block.', 1),
    ],
    cells(obj, now) {
      const pv = obj as any;
      const spec = pv.spec ?? {};
      const claim = spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
      const phase = pv.metadata.deletionTimestamp ? 'Terminating' : pv.status?.phase ?? '';
      return [
        pv.metadata.name, String(spec.capacity?.storage ?? '0'), accessModesString(spec.accessModes), spec.persistentVolumeReclaimPolicy ?? '',
        phase, claim, storageClassOf(pv), spec.volumeAttributesClassName ?? '<unset>', pv.status?.reason ?? '', age(pv, now), spec.volumeMode ?? '<unset>',
      ];
    },
  },
};

function validatePVC(pvc: any): Errs {
  const errs = validateObjectMeta(pvc.metadata, { namespaced: true });
  const spec = pvc.spec ?? {};
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', [field.required('spec.accessModes', 'at least 1 access mode is required')]));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined) errs.push(field.required('spec.resources[storage]', ''));
  else {
    const qErrs = validateQuantity(storage, 'spec.resources.requests[storage]');
    errs.push(...qErrs);
    if (qErrs.length === 0 && !((quantityValue(storage) ?? 0) > 0)) errs.push(field.invalid('spec.resources.requests[storage]', storage, 'must be greater than zero'));
  }
  errs.push(...validateVolumeMode(spec.volumeMode, 'spec.volumeMode'));
  if (spec.storageClassName) errs.push(...validateDNS1123Subdomain(spec.storageClassName, 'spec.storageClassName'));
  for (const key of ['dataSource', 'dataSourceRef']) {
    const ref = spec[key];
    if (!isObj(ref)) continue;
    if (!ref.name) errs.push(field.required(`spec.${key}.name`, ''));
    if (!ref.kind) errs.push(field.required(`spec.${key}.kind`, ''));
  }
  return errs;
}

function validatePVCUpdate(pvc: any, old: any): Errs {
  const errs: Errs = [];
  const next = structuredClone(pvc.spec ?? {});
  const prev = structuredClone(old.spec ?? {});
  // volumeName may be set once (binding); storage requests may grow once bound.
  if (!prev.volumeName) prev.volumeName = next.volumeName;
  if (pvc.status?.phase === 'Bound' && isObj(next.resources?.requests)) next.resources.requests.storage = prev.resources?.requests?.storage;
  if (pvc.status?.phase === 'Bound') prev.volumeAttributesClassName = next.volumeAttributesClassName;
  if (!semanticEqual(next, prev)) {
    errs.push(field.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  const newSize = pvc.spec?.resources?.requests?.storage;
  const oldSize = old.spec?.resources?.requests?.storage;
  if (newSize !== undefined && oldSize !== undefined && compareQuantities(newSize, oldSize) < 0) {
    errs.push(field.forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  return errs;
}

export const persistentvolumeclaims: ResourceType = {
  group: '', version: 'v1', kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', singular: 'persistentvolumeclaim',
  shortNames: ['pvc'], namespaced: true,
  schema: PersistentVolumeClaimSchema,
  subresources: { status: true },
  defaults: defaultPersistentVolumeClaim,
  prepareForCreate(pvc) {
    pvc.status = { phase: 'Pending' };
  },
  validate: (pvc) => validatePVC(pvc),
  validateUpdate: validatePVCUpdate,
  validateStatusUpdate(pvc) {
    const errs: Errs = [];
    for (const key of ['capacity', 'allocatedResources']) {
      for (const [name, q] of Object.entries(((pvc.status as any)?.[key] ?? {}) as Record<string, unknown>)) {
        errs.push(...validateQuantity(q, `status.${key}[${name}]`));
      }
    }
    return errs;
  },
  table: {
    columns: [
      NAME_COLUMN,
      column('Status', 'Phase of the claim.'),
      column('Volume', 'The volume bound to the claim.'),
      column('Capacity', 'Size of the bound volume.'),
      column('Access Modes', 'Access modes of the bound volume.'),
      column('StorageClass', 'Storage class of the claim.'),
      column('VolumeAttributesClass', 'VolumeAttributesClass of the claim.'),
      AGE_COLUMN,
      column('VolumeMode', 'Filesystem or Block.', 1),
    ],
    cells(obj, now) {
      const pvc = obj as any;
      const spec = pvc.spec ?? {};
      const phase = pvc.metadata.deletionTimestamp ? 'Terminating' : pvc.status?.phase ?? '';
      const bound = Boolean(spec.volumeName);
      return [
        pvc.metadata.name, phase, spec.volumeName ?? '', bound ? String(pvc.status?.capacity?.storage ?? '0') : '',
        bound ? accessModesString(pvc.status?.accessModes) : '', storageClassOf(pvc), spec.volumeAttributesClassName ?? '<unset>',
        age(pvc, now), spec.volumeMode ?? '<unset>',
      ];
    },
  },
};
