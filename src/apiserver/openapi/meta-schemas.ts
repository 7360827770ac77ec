/**
 * Schemas the OpenAPI documents need beyond the registered kinds: the
 * meta.k8s.io/v1 request and response types (Status, DeleteOptions, WatchEvent,
 * Patch, discovery lists), the string-typed meta types (Time, Quantity,
 * IntOrString), the kinds subresources exchange (Scale, Eviction, Binding,
 * TokenRequest), and the List kind of every kind. Definition names are
 * upstream's, so clients that look types up by name find them.
 */
import type { ResourceType } from '../../api/resource.js';
import { s } from '../../machinery/schema/build.js';
import {
  ConditionSchema,
  LabelSelectorRequirementSchema,
  LabelSelectorSchema,
  ListMetaSchema,
  ManagedFieldsEntrySchema,
  ObjectMetaSchema,
  OwnerReferenceSchema,
} from '../../machinery/schema/meta.js';
import type { Schema } from '../../machinery/schema/types.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

function gvk(schema: Schema, group: string, version: string, kind: string): Schema {
  schema['x-kubernetes-group-version-kind'] = [{ group, version, kind }];
  return schema;
}

const typeMeta = () => ({
  apiVersion: s.string('Versioned schema of this representation, e.g. apps/v1.'),
  kind: s.string('The REST resource this object represents, in CamelCase.'),
});

export const TimeDefinition: Schema = {
  definitionName: `${META}.Time`,
  description: 'A timestamp in RFC 3339 form, to the second.',
  type: 'string',
  format: 'date-time',
};

export const IntOrStringDefinition: Schema = {
  definitionName: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  description: 'Either an integer or a string, such as a port number or a port name, or a percentage.',
  type: 'string',
  format: 'int-or-string',
};

export const QuantityDefinition: Schema = {
  definitionName: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  description: 'A fixed-point amount with an optional suffix: a bare number, a decimal SI suffix (k, M, G), a binary suffix (Ki, Mi, Gi) or an exponent (1e3).',
  type: 'string',
  format: 'quantity',
};

export const RawExtensionSchema = s.object('io.k8s.apimachinery.pkg.runtime.RawExtension', 'An embedded object of any kind, kept as JSON.', {});

export const StatusCauseSchema = s.object(`${META}.StatusCause`, 'One reason an operation failed, possibly tied to a field.', {
  reason: s.string('Machine-readable cause, such as FieldValueInvalid.'),
  message: s.string('Human-readable description of the cause.'),
  field: s.string('The field that caused the error, in JSON path form, e.g. spec.containers[0].name.'),
});

export const StatusDetailsSchema = s.object(`${META}.StatusDetails`, 'Extra data about a failed operation.', {
  name: s.string('Name of the resource the status is about.'),
  group: s.string('Group of the resource.'),
  kind: s.string('Kind of the resource.'),
  uid: s.string('UID of the resource, when known.'),
  causes: s.array(StatusCauseSchema, 'The individual causes of the failure.', { listType: 'atomic' }),
  retryAfterSeconds: s.int32('Seconds to wait before retrying, when the operation may be retried.'),
});

export const StatusSchema = gvk(
  s.object(`${META}.Status`, 'The result of an operation that does not return an object, and of every failure.', {
    ...typeMeta(),
    metadata: s.field(ListMetaSchema, 'Standard list metadata.'),
    status: s.string('Success or Failure.'),
    message: s.string('Human-readable description of the result.'),
    reason: s.string('Machine-readable reason, such as NotFound or AlreadyExists; empty when unknown.'),
    details: s.field(StatusDetailsSchema, 'More information on the reason, depending on it.'),
    code: s.int32('The HTTP status code of this result.'),
  }),
  '',
  'v1',
  'Status',
);

export const PreconditionsSchema = s.object(`${META}.Preconditions`, 'Conditions the object must meet for the operation to proceed.', {
  uid: s.string('The object must have this UID.'),
  resourceVersion: s.string('The object must have this resourceVersion.'),
});

export const DeleteOptionsSchema = gvk(
  s.object(`${META}.DeleteOptions`, 'Options of a delete request.', {
    ...typeMeta(),
    gracePeriodSeconds: s.int64('Seconds before the object is removed; 0 removes it at once.'),
    preconditions: s.field(PreconditionsSchema, 'Must hold for the delete to proceed.'),
    orphanDependents: s.boolean('Deprecated: use propagationPolicy. Whether dependents are orphaned.'),
    propagationPolicy: s.string('Whether and how garbage collection removes dependents: Orphan, Background or Foreground.'),
    dryRun: s.array(s.string(), 'When present, nothing is persisted. The only valid value is All.', { listType: 'atomic' }),
    ignoreStoreReadErrorWithClusterBreakingPotential: s.boolean('Remove an object whose stored data cannot be read. Dangerous.'),
  }),
  '',
  'v1',
  'DeleteOptions',
);

export const WatchEventSchema = gvk(
  s.object(
    `${META}.WatchEvent`,
    'One event of a watch stream.',
    {
      type: s.string('ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.'),
      object: s.field(RawExtensionSchema, 'The object after the change; for ERROR a Status; for BOOKMARK only its resourceVersion.'),
    },
    { required: ['type', 'object'] },
  ),
  '',
  'v1',
  'WatchEvent',
);

export const PatchSchema = s.object(`${META}.Patch`, 'The body of a PATCH request; its form is given by the Content-Type.', {});

const GroupVersionForDiscoverySchema = s.object(
  `${META}.GroupVersionForDiscovery`,
  'A version of a group, for discovery.',
  { groupVersion: s.string('"group/version".'), version: s.string('The version alone.') },
  { required: ['groupVersion', 'version'] },
);

const ServerAddressByClientCIDRSchema = s.object(
  `${META}.ServerAddressByClientCIDR`,
  'The server address clients in a CIDR should use.',
  { clientCIDR: s.string('The client CIDR.'), serverAddress: s.string('host or host:port of the server.') },
  { required: ['clientCIDR', 'serverAddress'] },
);

export const APIResourceSchema = s.object(
  `${META}.APIResource`,
  'A resource or subresource served in a group version.',
  {
    name: s.string('Plural resource name, or resource/subresource.'),
    singularName: s.string('Singular resource name.'),
    namespaced: s.boolean('Whether objects live in namespaces.'),
    group: s.string('Group of the kind, when it differs from the group version served.'),
    version: s.string('Version of the kind, when it differs from the group version served.'),
    kind: s.string('Kind of the objects.'),
    verbs: s.array(s.string(), 'The verbs the resource supports.'),
    shortNames: s.array(s.string(), 'Short names for the CLI.', { listType: 'atomic' }),
    categories: s.array(s.string(), 'Groupings such as all.', { listType: 'atomic' }),
    storageVersionHash: s.string('Hash of the storage version; changes when the storage version does.'),
  },
  { required: ['name', 'singularName', 'namespaced', 'kind', 'verbs'] },
);

export const APIResourceListSchema = gvk(
  s.object(
    `${META}.APIResourceList`,
    'The resources served in one group version.',
    { ...typeMeta(), groupVersion: s.string('The group version.'), resources: s.array(APIResourceSchema, 'The resources.', { listType: 'atomic' }) },
    { required: ['groupVersion', 'resources'] },
  ),
  '',
  'v1',
  'APIResourceList',
);

export const APIGroupSchema = gvk(
  s.object(
    `${META}.APIGroup`,
    'A group and its versions.',
    {
      ...typeMeta(),
      name: s.string('Name of the group.'),
      versions: s.array(GroupVersionForDiscoverySchema, 'Versions served.', { listType: 'atomic' }),
      preferredVersion: s.field(GroupVersionForDiscoverySchema, 'The version clients should use.'),
      serverAddressByClientCIDRs: s.array(ServerAddressByClientCIDRSchema, 'Server addresses by client CIDR.', { listType: 'atomic' }),
    },
    { required: ['name', 'versions'] },
  ),
  '',
  'v1',
  'APIGroup',
);

export const APIGroupListSchema = gvk(
  s.object(`${META}.APIGroupList`, 'Every group served.', { ...typeMeta(), groups: s.array(APIGroupSchema, 'The groups.', { listType: 'atomic' }) }, { required: ['groups'] }),
  '',
  'v1',
  'APIGroupList',
);

export const APIVersionsSchema = gvk(
  s.object(
    `${META}.APIVersions`,
    'The versions of the legacy API at /api.',
    {
      ...typeMeta(),
      versions: s.array(s.string(), 'Versions served.', { listType: 'atomic' }),
      serverAddressByClientCIDRs: s.array(ServerAddressByClientCIDRSchema, 'Server addresses by client CIDR.', { listType: 'atomic' }),
    },
    { required: ['versions', 'serverAddressByClientCIDRs'] },
  ),
  '',
  'v1',
  'APIVersions',
);

export const ScaleSchema = gvk(
  s.object('io.k8s.api.autoscaling.v1.Scale', 'The replica count of a scalable resource, read and written through /scale.', {
    ...typeMeta(),
    metadata: s.field(ObjectMetaSchema, 'Standard object metadata.'),
    spec: s.field(s.object('io.k8s.api.autoscaling.v1.ScaleSpec', 'The desired scale.', { replicas: s.int32('Desired number of replicas.') }), 'The desired scale.'),
    status: s.field(
      s.object(
        'io.k8s.api.autoscaling.v1.ScaleStatus',
        'The observed scale.',
        { replicas: s.int32('Observed number of replicas.'), selector: s.string('Label selector of the pods counted, in query-string form.') },
        { required: ['replicas'] },
      ),
      'The observed scale. Read-only.',
    ),
  }),
  'autoscaling',
  'v1',
  'Scale',
);

export const EvictionSchema = gvk(
  s.object('io.k8s.api.policy.v1.Eviction', 'A request to evict a pod, subject to its disruption budgets.', {
    ...typeMeta(),
    metadata: s.field(ObjectMetaSchema, 'Name and namespace of the pod to evict.'),
    deleteOptions: s.field(DeleteOptionsSchema, 'Options for the deletion of the pod.'),
  }),
  'policy',
  'v1',
  'Eviction',
);

const ObjectReferenceSchema = s.object(
  'io.k8s.api.core.v1.ObjectReference',
  'A reference to an object.',
  {
    apiVersion: s.string('API version of the referent.'),
    kind: s.string('Kind of the referent.'),
    namespace: s.string('Namespace of the referent.'),
    name: s.string('Name of the referent.'),
    uid: s.string('UID of the referent.'),
    resourceVersion: s.string('Specific resourceVersion the reference is to.'),
    fieldPath: s.string('A field within the referent, e.g. spec.containers{name}.'),
  },
  { mapType: 'atomic' },
);

export const BindingSchema = gvk(
  s.object(
    'io.k8s.api.core.v1.Binding',
    'Binds a pod to a node; written by schedulers.',
    { ...typeMeta(), metadata: s.field(ObjectMetaSchema, 'Standard object metadata.'), target: s.field(ObjectReferenceSchema, 'The node to bind to.') },
    { required: ['target'] },
  ),
  '',
  'v1',
  'Binding',
);

const BoundObjectReferenceSchema = s.object('io.k8s.api.authentication.v1.BoundObjectReference', 'The object a token is bound to.', {
  apiVersion: s.string('API version of the referent.'),
  kind: s.string('Kind of the referent: Pod, Secret or Node.'),
  name: s.string('Name of the referent.'),
  uid: s.string('UID of the referent.'),
});

export const TokenRequestSchema = gvk(
  s.object(
    'io.k8s.api.authentication.v1.TokenRequest',
    'Requests a token for a service account.',
    {
      ...typeMeta(),
      metadata: s.field(ObjectMetaSchema, 'Standard object metadata.'),
      spec: s.field(
        s.object(
          'io.k8s.api.authentication.v1.TokenRequestSpec',
          'What the token is for.',
          {
            audiences: s.array(s.string(), 'Intended audiences of the token.', { listType: 'atomic' }),
            expirationSeconds: s.int64('Requested lifetime of the token.'),
            boundObjectRef: s.field(BoundObjectReferenceSchema, 'An object the token is bound to: it stops working when the object is deleted.'),
          },
          { required: ['audiences'] },
        ),
        'What the token is for.',
      ),
      status: s.field(
        s.object(
          'io.k8s.api.authentication.v1.TokenRequestStatus',
          'The issued token.',
          { token: s.string('The token.'), expirationTimestamp: s.dateTime('When the token expires.') },
          { required: ['token', 'expirationTimestamp'] },
        ),
        'The issued token. Set by the server.',
      ),
    },
    { required: ['spec'] },
  ),
  'authentication.k8s.io',
  'v1',
  'TokenRequest',
);

/** Kinds subresources exchange, by `group/version/kind`, for when the registry does not define them. */
export const subresourceKindSchemas: Record<string, Schema> = {
  'autoscaling/v1/Scale': ScaleSchema,
  'policy/v1/Eviction': EvictionSchema,
  '/v1/Binding': BindingSchema,
  'authentication.k8s.io/v1/TokenRequest': TokenRequestSchema,
};

/** The meta schemas every group-version document may reference. */
export const metaSchemas: Schema[] = [
  ObjectMetaSchema,
  ListMetaSchema,
  OwnerReferenceSchema,
  ManagedFieldsEntrySchema,
  LabelSelectorSchema,
  LabelSelectorRequirementSchema,
  ConditionSchema,
  TimeDefinition,
  IntOrStringDefinition,
  QuantityDefinition,
  RawExtensionSchema,
  StatusSchema,
  DeleteOptionsSchema,
  WatchEventSchema,
  PatchSchema,
  APIResourceListSchema,
];

const listSchemas = new WeakMap<Schema, Schema>();

/** `<Kind>List`, named after the kind's definition (`io.k8s.api.apps.v1.DeploymentList`). */
export function listSchemaOf(type: ResourceType): Schema {
  let list = listSchemas.get(type.schema);
  if (!list) {
    const name = `${type.schema.definitionName ?? `${type.group || 'core'}.${type.version}.${type.kind}`}List`;
    list = gvk(
      s.object(
        name,
        `A list of ${type.kind} objects.`,
        {
          ...typeMeta(),
          items: s.array(type.schema, `The ${type.kind} objects.`),
          metadata: s.field(ListMetaSchema, 'Standard list metadata.'),
        },
        { required: ['items'] },
      ),
      type.group,
      type.version,
      `${type.kind}List`,
    );
    listSchemas.set(type.schema, list);
  }
  return list;
}
