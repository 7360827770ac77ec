/**
 * The schema of the CustomResourceDefinition object itself, for decoding,
 * unknown-field detection and the OpenAPI documents. A CRD's schema is made
 * of JSONSchemaProps, which nest: the definition refers to itself, and the
 * OpenAPI generator emits it once.
 */
import { ConditionSchema, kindSchema, s, type Schema } from '../../machinery/schema/index.js';

const V1 = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';

/** Any JSON value (a default, an enum entry, an example). */
const AnyJson: Schema = { definitionName: `${V1}.JSON`, description: 'Any valid JSON value.', 'x-kubernetes-preserve-unknown-fields': true };
/** A schema or a boolean (additionalProperties), or a schema or a list of them (items): typed loosely, checked by the CRD's validation. */
const SchemaOrBool: Schema = { definitionName: `${V1}.JSONSchemaPropsOrBool`, description: 'A schema, or true/false.', 'x-kubernetes-preserve-unknown-fields': true };
const SchemaOrArray: Schema = { definitionName: `${V1}.JSONSchemaPropsOrArray`, description: 'A schema, or a list of schemas.', 'x-kubernetes-preserve-unknown-fields': true };
const SchemaOrStringArray: Schema = { definitionName: `${V1}.JSONSchemaPropsOrStringArray`, description: 'A schema, or a list of strings.', 'x-kubernetes-preserve-unknown-fields': true };

const ValidationRule = s.object(`${V1}.ValidationRule`, 'A CEL rule the value must satisfy.', {
  rule: s.string('The CEL expression; `self` is the value, `oldSelf` the previous one in transition rules.'),
  message: s.string('The message returned when the rule fails.'),
  messageExpression: s.string('A CEL expression giving the message.'),
  reason: s.string('The reason of the failure: FieldValueInvalid (default), FieldValueForbidden, FieldValueRequired or FieldValueDuplicate.'),
  fieldPath: s.string('Where the failure is reported, relative to the value.'),
  optionalOldSelf: s.boolean('Runs the transition rule on create too, with oldSelf an optional.'),
}, { required: ['rule'] });

export const JSONSchemaPropsSchema: Schema = s.object(`${V1}.JSONSchemaProps`, 'A JSON schema (OpenAPI v3), with the Kubernetes extensions.', {});
const props = JSONSchemaPropsSchema;
JSONSchemaPropsSchema.properties = {
  id: s.string(),
  $schema: s.string(),
  $ref: s.string(),
  description: s.string(),
  type: s.string(),
  format: s.string('The format of a string or number: int32, date-time, byte, …'),
  title: s.string(),
  default: s.field(AnyJson, 'The value a missing field gets. Needs a structural schema.'),
  maximum: s.number(),
  exclusiveMaximum: s.boolean(),
  minimum: s.number(),
  exclusiveMinimum: s.boolean(),
  maxLength: s.int64(),
  minLength: s.int64(),
  pattern: s.string(),
  maxItems: s.int64(),
  minItems: s.int64(),
  uniqueItems: s.boolean(),
  multipleOf: s.number(),
  enum: s.array(AnyJson),
  maxProperties: s.int64(),
  minProperties: s.int64(),
  required: s.array(s.string()),
  items: s.field(SchemaOrArray),
  allOf: s.array(props),
  oneOf: s.array(props),
  anyOf: s.array(props),
  not: s.field(props),
  properties: s.map(props),
  additionalProperties: s.field(SchemaOrBool),
  patternProperties: s.map(props),
  dependencies: s.map(SchemaOrStringArray),
  additionalItems: s.field(SchemaOrBool),
  definitions: s.map(props),
  externalDocumentation: s.object(`${V1}.ExternalDocumentation`, undefined, { description: s.string(), url: s.string() }),
  example: s.field(AnyJson),
  nullable: s.boolean(),
  'x-kubernetes-preserve-unknown-fields': s.boolean('Unknown fields below are kept, not pruned.'),
  'x-kubernetes-embedded-resource': s.boolean('The value is a Kubernetes object, with apiVersion, kind and metadata.'),
  'x-kubernetes-int-or-string': s.boolean('The value is an integer or a string.'),
  'x-kubernetes-list-map-keys': s.array(s.string(), 'The keys of a map list.', { listType: 'atomic' }),
  'x-kubernetes-list-type': s.string('atomic, set or map.'),
  'x-kubernetes-map-type': s.string('granular or atomic.'),
  'x-kubernetes-validations': s.array(ValidationRule, 'CEL rules.', { listType: 'map', mapKeys: ['rule'], mergeKey: 'rule', patchStrategy: 'merge' }),
};

const Names = s.object(`${V1}.CustomResourceDefinitionNames`, 'The names a custom kind is served under.', {
  plural: s.string('The plural resource name, in URLs: crontabs.'),
  singular: s.string('The singular name, an alias in kubectl: crontab.'),
  shortNames: s.array(s.string(), 'Short aliases: ct.', { listType: 'atomic' }),
  kind: s.string('The kind: CronTab.'),
  listKind: s.string('The kind of lists: CronTabList.'),
  categories: s.array(s.string(), 'Groups of resources this one belongs to, e.g. all.', { listType: 'atomic' }),
}, { required: ['plural', 'kind'] });

const ServiceReference = s.object(`${V1}.ServiceReference`, 'A Service a webhook is reached through.', {
  namespace: s.string(),
  name: s.string(),
  path: s.string(),
  port: s.int32('Defaults to 443.'),
}, { required: ['namespace', 'name'] });

const WebhookClientConfig = s.object(`${V1}.WebhookClientConfig`, 'How to reach a conversion webhook.', {
  url: s.string('https://host[:port]/path'),
  service: ServiceReference,
  caBundle: s.bytes('PEM CA bundle to check the webhook with.'),
});

const Version = s.object(`${V1}.CustomResourceDefinitionVersion`, 'One version of a custom kind.', {
  name: s.string('The version name: v1, v1beta1, …'),
  served: s.boolean('Whether this version is served.'),
  storage: s.boolean('Whether objects are stored in this version; exactly one version is.'),
  deprecated: s.boolean(),
  deprecationWarning: s.string(),
  schema: s.object(`${V1}.CustomResourceValidation`, 'The schema of this version.', { openAPIV3Schema: props }),
  subresources: s.object(`${V1}.CustomResourceSubresources`, 'The status and scale subresources.', {
    status: s.object(`${V1}.CustomResourceSubresourceStatus`, 'Enables /status.', {}),
    scale: s.object(`${V1}.CustomResourceSubresourceScale`, 'Enables /scale.', {
      specReplicasPath: s.string(),
      statusReplicasPath: s.string(),
      labelSelectorPath: s.string(),
    }, { required: ['specReplicasPath', 'statusReplicasPath'] }),
  }),
  additionalPrinterColumns: s.array(
    s.object(`${V1}.CustomResourceColumnDefinition`, 'A column of `kubectl get`.', {
      name: s.string(),
      type: s.string(),
      format: s.string(),
      description: s.string(),
      priority: s.int32(),
      jsonPath: s.string(),
    }, { required: ['name', 'type', 'jsonPath'] }),
    'Columns of `kubectl get`.',
    { listType: 'atomic' },
  ),
  selectableFields: s.array(s.object(`${V1}.SelectableField`, 'A field usable in field selectors.', { jsonPath: s.string() }, { required: ['jsonPath'] }), 'Fields usable in field selectors.', { listType: 'atomic' }),
}, { required: ['name', 'served', 'storage'] });

const Spec = s.object(`${V1}.CustomResourceDefinitionSpec`, 'The kind a CRD adds.', {
  group: s.string('The API group: stable.example.com.'),
  names: Names,
  scope: s.string('Namespaced or Cluster.'),
  versions: s.array(Version, 'The versions served.', { listType: 'atomic' }),
  conversion: s.object(`${V1}.CustomResourceConversion`, 'How objects convert between versions.', {
    strategy: s.string('None or Webhook.'),
    webhook: s.object(`${V1}.WebhookConversion`, 'The webhook that converts.', {
      clientConfig: WebhookClientConfig,
      conversionReviewVersions: s.array(s.string(), 'ConversionReview versions the webhook understands.', { listType: 'atomic' }),
    }, { required: ['conversionReviewVersions'] }),
  }, { required: ['strategy'] }),
  preserveUnknownFields: s.boolean('Deprecated; must be false in v1.'),
}, { required: ['group', 'names', 'scope', 'versions'] });

const Condition = s.object(`${V1}.CustomResourceDefinitionCondition`, 'One aspect of the CRD\'s state.', {
  ...ConditionSchema.properties,
}, { required: ['type', 'status'] });

const Status = s.object(`${V1}.CustomResourceDefinitionStatus`, 'The observed state of the CRD.', {
  conditions: s.array(Condition, 'Established, NamesAccepted, Terminating, …', { listType: 'map', mapKeys: ['type'] }),
  acceptedNames: Names,
  storedVersions: s.array(s.string(), 'Versions objects have ever been stored in.', { listType: 'atomic' }),
});

export const CustomResourceDefinitionSchema = kindSchema({
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  definitionName: `${V1}.CustomResourceDefinition`,
  description: 'Adds a kind to the API: its names, scope, versions and schemas. Its name is <plural>.<group>.',
  fields: { spec: Spec, status: Status },
  required: ['spec'],
});
