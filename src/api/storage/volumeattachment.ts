/** storage.k8s.io/v1 VolumeAttachment: a request to attach a volume to a node, and its outcome. */
import { ageOf } from '../../machinery/duration.js';
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isDNS1123Subdomain, validateObjectMeta } from '../../machinery/validation.js';
import type { ResourceType } from '../resource.js';
import { ageColumn, nameColumn } from '../common/print.js';
import { csiDriverNameErrors } from './csi.js';

const V1 = 'io.k8s.api.storage.v1';

interface VolumeError {
  time?: string;
  message?: string;
}

export interface VolumeAttachment extends KubeObject {
  spec: { attacher: string; source: { persistentVolumeName?: string; inlineVolumeSpec?: Record<string, unknown> }; nodeName: string };
  status?: { attached: boolean; attachmentMetadata?: Record<string, string>; attachError?: VolumeError; detachError?: VolumeError };
}

export const VolumeErrorSchema = s.object(`${V1}.VolumeError`, 'A problem attaching or detaching a volume.', {
  message: s.string('What went wrong; may be logged, so no secrets.'),
  time: s.dateTime('When the problem happened.'),
});

export const VolumeAttachmentSourceSchema = s.object(`${V1}.VolumeAttachmentSource`, 'The volume to attach: exactly one member is set.', {
  // TODO: reference core/v1's PersistentVolumeSpec schema once src/api/core lands.
  inlineVolumeSpec: s.any('A CSI inline volume of a pod, migrated from an in-tree plugin.'),
  persistentVolumeName: s.string('Name of the persistent volume to attach.'),
});

export const VolumeAttachmentSpecSchema = s.object(
  `${V1}.VolumeAttachmentSpec`,
  'What to attach, by whom, and where.',
  {
    attacher: s.string('CSI driver that attaches the volume, as in its CSIDriver name.'),
    nodeName: s.string('Node to attach the volume to.'),
    source: s.field(VolumeAttachmentSourceSchema, 'The volume to attach.'),
  },
  { required: ['attacher', 'source', 'nodeName'] },
);

export const VolumeAttachmentStatusSchema = s.object(
  `${V1}.VolumeAttachmentStatus`,
  'Outcome of the attach or detach, set by the attacher.',
  {
    attachError: s.field(VolumeErrorSchema, 'Last attach error, if any.'),
    attached: s.boolean('Whether the volume is attached.'),
    attachmentMetadata: s.map(s.string(), 'Details of the attachment, passed to later mount calls.'),
    detachError: s.field(VolumeErrorSchema, 'Last detach error, if any.'),
  },
  { required: ['attached'] },
);

export const VolumeAttachmentSchema = kindSchema({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'VolumeAttachment',
  definitionName: `${V1}.VolumeAttachment`,
  description: 'Intent to attach a volume to a node, and its observed outcome.',
  fields: {
    spec: s.field(VolumeAttachmentSpecSchema, 'The attachment wanted.'),
    status: s.field(VolumeAttachmentStatusSchema, 'The attachment observed.'),
  },
  required: ['spec'],
});

const maxMetadataBytes = 256 * 1024;
const maxErrorMessageBytes = 1024;
const exactlyOneSource = 'must specify exactly one of inlineVolumeSpec and persistentVolumeName';

function validateSpec(spec: VolumeAttachment['spec']): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (!spec.attacher) errs.push(field.required('spec.attacher', ''));
  else errs.push(...csiDriverNameErrors(spec.attacher, 'spec.attacher'));
  const source = spec.source ?? {};
  const hasName = source.persistentVolumeName !== undefined;
  const hasInline = source.inlineVolumeSpec !== undefined;
  if (!hasName && !hasInline) errs.push(field.required('spec.source', exactlyOneSource));
  else if (hasName && hasInline) errs.push(field.forbidden('spec.source', exactlyOneSource));
  else if (hasName) {
    const name = source.persistentVolumeName!;
    if (!name) errs.push(field.required('spec.source.persistentVolumeName', 'must specify non empty persistentVolumeName'));
    else for (const msg of isDNS1123Subdomain(name)) errs.push(field.invalid('spec.source.persistentVolumeName', name, msg));
  }
  for (const msg of isDNS1123Subdomain(spec.nodeName ?? '')) errs.push(field.invalid('spec.nodeName', spec.nodeName ?? '', msg));
  return errs;
}

function validateStatus(status: VolumeAttachment['status']): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (!status) return errs;
  const size = Object.entries(status.attachmentMetadata ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0);
  if (size > maxMetadataBytes) errs.push(field.tooLong('status.attachmentMetadata', '', maxMetadataBytes));
  for (const key of ['attachError', 'detachError'] as const) {
    const message = status[key]?.message ?? '';
    if (message.length > maxErrorMessageBytes) errs.push(field.tooLong(`status.${key}.message`, message, maxErrorMessageBytes));
  }
  return errs;
}

export const volumeattachments: ResourceType<VolumeAttachment> = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'VolumeAttachment',
  resource: 'volumeattachments',
  singular: 'volumeattachment',
  namespaced: false,
  schema: VolumeAttachmentSchema,
  subresources: { status: true },
  prepareForCreate(obj) {
    obj.status = { attached: false };
  },
  validate: (obj) => [...validateObjectMeta(obj.metadata, { namespaced: false }), ...validateSpec(obj.spec ?? ({} as VolumeAttachment['spec'])), ...validateStatus(obj.status)],
  // The spec is read-only after creation (upstream would need generation tracking otherwise).
  validateUpdate: (obj, old) =>
    JSON.stringify(obj.spec) === JSON.stringify(old.spec) ? [] : [field.invalid('spec', obj.spec, 'field is immutable')],
  validateStatusUpdate: (obj) => validateStatus(obj.status),
  table: {
    columns: [
      nameColumn,
      { name: 'Attacher', type: 'string', description: 'CSI driver attaching the volume.' },
      { name: 'PV', type: 'string', description: 'Persistent volume being attached.' },
      { name: 'Node', type: 'string', description: 'Node the volume is attached to.' },
      { name: 'Attached', type: 'boolean', description: 'Whether the volume is attached.' },
      ageColumn,
    ],
    cells: (obj, now) => [
      obj.metadata.name ?? '',
      obj.spec?.attacher ?? '',
      obj.spec?.source?.persistentVolumeName ?? '',
      obj.spec?.nodeName ?? '',
      obj.status?.attached ?? false,
      ageOf(obj.metadata.creationTimestamp, now),
    ],
  },
};
