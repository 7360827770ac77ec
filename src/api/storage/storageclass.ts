/** storage.k8s.io/v1 StorageClass: how volumes of a class are provisioned. */
import { ageOf } from '../../machinery/duration.js';
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isQualifiedName, validateImmutable, validateObjectMeta } from '../../machinery/validation.js';
import type { ResourceType } from '../resource.js';
import { TopologySelectorTermSchema } from '../common/core-types.js';
import { ageColumn, nameColumn } from '../common/print.js';

interface TopologySelectorTerm {
  matchLabelExpressions?: { key: string; values?: string[] }[];
}

export interface StorageClass extends KubeObject {
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  mountOptions?: string[];
  allowVolumeExpansion?: boolean;
  volumeBindingMode?: string;
  allowedTopologies?: TopologySelectorTerm[];
}

export const StorageClassSchema = kindSchema({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  definitionName: 'io.k8s.api.storage.v1.StorageClass',
  description: 'A class of dynamically provisioned persistent volumes.',
  fields: {
    allowVolumeExpansion: s.boolean('Whether claims of this class may grow.'),
    allowedTopologies: s.array(TopologySelectorTermSchema, 'Topology domains volumes may be provisioned in; empty allows any.', { listType: 'atomic' }),
    mountOptions: s.array(s.string(), 'Mount options of provisioned volumes, e.g. ["ro", "soft"]; not validated.', { listType: 'atomic' }),
    parameters: s.map(s.string(), 'Provisioner-specific parameters. Immutable.'),
    provisioner: s.string('Name of the volume plugin that provisions volumes. Immutable.'),
    reclaimPolicy: s.string('Delete (default) or Retain: what happens to provisioned volumes when released. Immutable.'),
    volumeBindingMode: s.string('Immediate (default) or WaitForFirstConsumer: when claims are bound. Immutable.'),
  },
  required: ['provisioner'],
});

export const defaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
const betaDefaultClassAnnotation = 'storageclass.beta.kubernetes.io/is-default-class';

/** Whether the class is marked as the cluster default (either annotation). */
export function isDefaultStorageClass(obj: KubeObject): boolean {
  const annotations = obj.metadata.annotations ?? {};
  return annotations[defaultClassAnnotation] === 'true' || annotations[betaDefaultClassAnnotation] === 'true';
}

const reclaimPolicies = ['Delete', 'Retain'];
const bindingModes = ['Immediate', 'WaitForFirstConsumer'];
const maxParameters = 512;
const maxParameterBytes = 256 * 1024;

function validateParameters(params: Record<string, string> | undefined): FieldErrorLike[] {
  const entries = Object.entries(params ?? {});
  if (entries.length > maxParameters) return [field.tooLong('parameters', '', maxParameters)];
  const errs: FieldErrorLike[] = [];
  let size = 0;
  for (const [key, value] of entries) {
    if (!key) errs.push(field.invalid('parameters', key, 'field can not be empty.'));
    size += key.length + (value ?? '').length;
  }
  if (size > maxParameterBytes) errs.push(field.tooLong('parameters', '', maxParameterBytes));
  return errs;
}

function validateAllowedTopologies(terms: TopologySelectorTerm[]): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const seen: string[] = [];
  terms.forEach((term, i) => {
    const keys = new Set<string>();
    const canonical: Record<string, string[]> = {};
    (term.matchLabelExpressions ?? []).forEach((req, j) => {
      const p = `allowedTopologies[${i}].matchLabelExpressions[${j}]`;
      const values = req.values ?? [];
      if (values.length === 0) errs.push(field.required(`${p}.values`));
      values.forEach((v, k) => {
        if (values.indexOf(v) !== k) errs.push(field.duplicate(`${p}.values[${k}]`, v));
      });
      for (const msg of isQualifiedName(req.key ?? '')) errs.push(field.invalid(`${p}.key`, req.key, msg));
      if (keys.has(req.key)) errs.push(field.duplicate(`${p}.key`, req.key));
      keys.add(req.key);
      canonical[req.key] = [...new Set(values)].sort();
    });
    // Two terms selecting the same key/value sets are duplicates whatever their order.
    const text = JSON.stringify(Object.keys(canonical).sort().map((k) => [k, canonical[k]]));
    if (seen.includes(text)) errs.push(field.duplicate(`allowedTopologies[${i}].matchLabelExpressions`, ''));
    seen.push(text);
  });
  return errs;
}

export function validateStorageClass(obj: StorageClass): FieldErrorLike[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false });
  if (!obj.provisioner) errs.push(field.required('provisioner', ''));
  else for (const msg of isQualifiedName(obj.provisioner.toLowerCase())) errs.push(field.invalid('provisioner', obj.provisioner, msg));
  errs.push(...validateParameters(obj.parameters));
  if (obj.reclaimPolicy && !reclaimPolicies.includes(obj.reclaimPolicy)) errs.push(field.notSupported('reclaimPolicy', obj.reclaimPolicy, reclaimPolicies));
  if (obj.volumeBindingMode === undefined) errs.push(field.required('volumeBindingMode'));
  else if (!bindingModes.includes(obj.volumeBindingMode)) errs.push(field.notSupported('volumeBindingMode', obj.volumeBindingMode, bindingModes));
  errs.push(...validateAllowedTopologies(obj.allowedTopologies ?? []));
  return errs;
}

export function validateStorageClassUpdate(obj: StorageClass, old: StorageClass): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (JSON.stringify(obj.parameters ?? {}) !== JSON.stringify(old.parameters ?? {})) errs.push(field.forbidden('parameters', 'updates to parameters are forbidden.'));
  if (obj.provisioner !== old.provisioner) errs.push(field.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (obj.reclaimPolicy !== old.reclaimPolicy) errs.push(field.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  errs.push(...validateImmutable(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'));
  return errs;
}

export const storageclasses: ResourceType<StorageClass> = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  resource: 'storageclasses',
  singular: 'storageclass',
  shortNames: ['sc'],
  namespaced: false,
  schema: StorageClassSchema,
  defaults(obj) {
    obj.reclaimPolicy ??= 'Delete';
    obj.volumeBindingMode ??= 'Immediate';
  },
  validate: (obj) => validateStorageClass(obj),
  validateUpdate: validateStorageClassUpdate,
  table: {
    columns: [
      nameColumn,
      { name: 'Provisioner', type: 'string', description: 'Volume plugin that provisions volumes of the class.' },
      { name: 'ReclaimPolicy', type: 'string', description: 'What happens to released volumes.' },
      { name: 'VolumeBindingMode', type: 'string', description: 'When claims are bound and provisioned.' },
      { name: 'AllowVolumeExpansion', type: 'boolean', description: 'Whether claims may grow.' },
      ageColumn,
    ],
    cells: (obj, now) => [
      isDefaultStorageClass(obj) ? `${obj.metadata.name} (default)` : obj.metadata.name ?? '',
      obj.provisioner ?? '',
      obj.reclaimPolicy ?? 'Delete',
      obj.volumeBindingMode ?? 'Immediate',
      obj.allowVolumeExpansion ?? false,
      ageOf(obj.metadata.creationTimestamp, now),
    ],
  },
};
