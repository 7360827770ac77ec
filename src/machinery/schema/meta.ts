/**
 * Schemas of the meta.k8s.io/v1 types every kind embeds (ObjectMeta,
 * LabelSelector, Condition, …), and `kindSchema`, which wraps a kind's own
 * fields with apiVersion, kind and metadata.
 */
import { s } from './build.js';
import type { Schema } from './types.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const OwnerReferenceSchema = s.object(
  `${META}.OwnerReference`,
  'Identifies an owning object. The owned object is garbage collected once every owner is gone.',
  {
    apiVersion: s.string('API version of the owner.'),
    kind: s.string('Kind of the owner.'),
    name: s.string('Name of the owner.'),
    uid: s.string('UID of the owner.'),
    controller: s.boolean('True if the owner is the managing controller.'),
    blockOwnerDeletion: s.boolean('With foreground deletion, the owner is not removed before this object is.'),
  },
  { required: ['apiVersion', 'kind', 'name', 'uid'], mapType: 'atomic' },
);

export const ManagedFieldsEntrySchema = s.object(
  `${META}.ManagedFieldsEntry`,
  'Records which manager owns which fields, for server-side apply.',
  {
    apiVersion: s.string('Version of the object the field set refers to.'),
    fieldsType: s.string('Format of fieldsV1; always FieldsV1.'),
    fieldsV1: s.any('The set of fields owned, as a trie.'),
    manager: s.string('Name of the managing workflow.'),
    operation: s.string('Apply or Update.'),
    subresource: s.string('Subresource the fields were written through, if any.'),
    time: s.dateTime('When the fields were last changed by this manager.'),
  },
);

export const ObjectMetaSchema = s.object(
  `${META}.ObjectMeta`,
  'Metadata every persisted object has: name, namespace, labels, ownership and bookkeeping set by the server.',
  {
    name: s.string('Unique name within the namespace. Cannot be changed.'),
    generateName: s.string('Prefix for a server-generated name, used when name is empty.'),
    namespace: s.string('Namespace of the object; empty for cluster-scoped kinds.'),
    selfLink: s.string('Deprecated; always empty.'),
    uid: s.string('Unique identity of this object for its whole life. Set by the server.'),
    resourceVersion: s.string('Opaque version of the object, for optimistic concurrency and watches. Set by the server.'),
    generation: s.int64('Sequence number of the desired state. Set by the server.'),
    creationTimestamp: s.dateTime('When the object was created. Set by the server.'),
    deletionTimestamp: s.dateTime('When the object will be (or started being) deleted. Set by the server.'),
    deletionGracePeriodSeconds: s.int64('Seconds allowed for graceful termination before removal.'),
    labels: s.map(s.string(), 'Key/value pairs for selecting and organising objects.'),
    annotations: s.map(s.string(), 'Key/value pairs of non-identifying metadata for tools.'),
    ownerReferences: s.array(OwnerReferenceSchema, 'Objects this object depends on.', {
      listType: 'map',
      mapKeys: ['uid'],
      mergeKey: 'uid',
      patchStrategy: 'merge',
    }),
    finalizers: s.array(s.string(), 'Conditions that must be cleared before the object is removed.', {
      listType: 'set',
      patchStrategy: 'merge',
    }),
    managedFields: s.array(ManagedFieldsEntrySchema, 'Field ownership, maintained by the server.', {
      listType: 'atomic',
    }),
  },
);

export const ListMetaSchema = s.object(`${META}.ListMeta`, 'Metadata of a list response.', {
  resourceVersion: s.string('Version of the list, to watch from.'),
  continue: s.string('Token to fetch the next page, if the list was limited.'),
  remainingItemCount: s.int64('Estimated number of items after this page.'),
  selfLink: s.string('Deprecated; always empty.'),
});

export const LabelSelectorRequirementSchema = s.object(
  `${META}.LabelSelectorRequirement`,
  'A key, an operator and values.',
  {
    key: s.string('The label key.'),
    operator: s.string('In, NotIn, Exists or DoesNotExist.'),
    values: s.array(s.string(), 'Values for In and NotIn; empty for Exists and DoesNotExist.', { listType: 'atomic' }),
  },
  { required: ['key', 'operator'] },
);

export const LabelSelectorSchema = s.object(
  `${META}.LabelSelector`,
  'Selects objects by labels. All requirements are ANDed; an empty selector matches everything.',
  {
    matchLabels: s.map(s.string(), 'Labels that must match exactly.'),
    matchExpressions: s.array(LabelSelectorRequirementSchema, 'Requirements on labels.', { listType: 'atomic' }),
  },
  { mapType: 'atomic' },
);

export const ConditionSchema = s.object(
  `${META}.Condition`,
  'One aspect of the current state of an object.',
  {
    type: s.string('Type of condition, in CamelCase.'),
    status: s.string('True, False or Unknown.'),
    observedGeneration: s.int64('The generation this condition was set for.'),
    lastTransitionTime: s.dateTime('When the status last changed.'),
    reason: s.string('Machine-readable reason, in CamelCase.'),
    message: s.string('Human-readable details.'),
  },
  { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
);

export interface KindSchemaOptions {
  group: string;
  version: string;
  kind: string;
  /** Upstream's definition name, e.g. `io.k8s.api.apps.v1.Deployment`. */
  definitionName: string;
  description: string;
  /** The kind's own top-level fields besides apiVersion, kind and metadata (spec, status, data, …). */
  fields: Record<string, Schema>;
  required?: string[];
}

/** The schema of a whole kind: apiVersion, kind, metadata and its own fields. */
export function kindSchema(o: KindSchemaOptions): Schema {
  const schema = s.object(o.definitionName, o.description, {
    apiVersion: s.string('Versioned schema of this representation, e.g. apps/v1.'),
    kind: s.string('The REST resource this object represents, in CamelCase.'),
    metadata: s.field(ObjectMetaSchema, 'Standard object metadata.'),
    ...o.fields,
  }, { required: o.required });
  schema['x-kubernetes-group-version-kind'] = [{ group: o.group, version: o.version, kind: o.kind }];
  return schema;
}
