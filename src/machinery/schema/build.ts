/**
 * Small builders for schemas, so a kind's schema reads like its Go type:
 *
 *   const ContainerPort = s.object('io.k8s.api.core.v1.ContainerPort', 'A port of a container.', {
 *     containerPort: s.int32('Port number on the pod IP.'),
 *     protocol: s.string('TCP, UDP or SCTP. Defaults to TCP.'),
 *   }, { required: ['containerPort'] });
 *
 *   ports: s.array(ContainerPort, 'Ports to expose.', {
 *     listType: 'map', mapKeys: ['containerPort', 'protocol'], mergeKey: 'containerPort', patchStrategy: 'merge',
 *   })
 */
import type { Schema } from './types.js';

export interface ListOptions {
  listType?: 'atomic' | 'set' | 'map';
  mapKeys?: string[];
  mergeKey?: string;
  patchStrategy?: string;
}

export interface ObjectOptions {
  required?: string[];
  /** Strategic merge patch strategy of the field holding this object (e.g. `retainKeys`). */
  patchStrategy?: string;
  mapType?: 'atomic' | 'granular';
}

function described(schema: Schema, description?: string): Schema {
  if (description) schema.description = description;
  return schema;
}

export const s = {
  string: (description?: string): Schema => described({ type: 'string' }, description),
  enumString: (values: string[], description?: string): Schema => described({ type: 'string', enum: values }, description),
  int32: (description?: string): Schema => described({ type: 'integer', format: 'int32' }, description),
  int64: (description?: string): Schema => described({ type: 'integer', format: 'int64' }, description),
  number: (description?: string): Schema => described({ type: 'number', format: 'double' }, description),
  boolean: (description?: string): Schema => described({ type: 'boolean' }, description),
  /** RFC 3339 timestamp (metav1.Time). */
  dateTime: (description?: string): Schema => described({ type: 'string', format: 'date-time' }, description),
  /** Base64-encoded bytes ([]byte in Go). */
  bytes: (description?: string): Schema => described({ type: 'string', format: 'byte' }, description),
  /** IntOrString: `80` or `"http"`, `"25%"`. */
  intOrString: (description?: string): Schema =>
    described({ type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true }, description),
  /** resource.Quantity: `"500m"`, `"1Gi"`, or a bare number. */
  quantity: (description?: string): Schema =>
    described({ type: 'string', format: 'quantity', 'x-kubernetes-int-or-string': true }, description),
  /** Anything: RawExtension and other free-form JSON. */
  any: (description?: string): Schema =>
    described({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, description),
  array(items: Schema, description?: string, options: ListOptions = {}): Schema {
    const schema: Schema = { type: 'array', items };
    if (options.listType) schema['x-kubernetes-list-type'] = options.listType;
    if (options.mapKeys) schema['x-kubernetes-list-map-keys'] = options.mapKeys;
    if (options.mergeKey) schema['x-kubernetes-patch-merge-key'] = options.mergeKey;
    if (options.patchStrategy) schema['x-kubernetes-patch-strategy'] = options.patchStrategy;
    return described(schema, description);
  },
  /** A map from string keys to values of one schema (labels, data, resource lists). */
  map(values: Schema, description?: string): Schema {
    return described({ type: 'object', additionalProperties: values }, description);
  },
  /**
   * An object type. Pass a `definitionName` (upstream's, e.g. `io.k8s.api.core.v1.PodSpec`)
   * for a named type, or undefined for an inline one.
   */
  object(definitionName: string | undefined, description: string | undefined, properties: Record<string, Schema>, options: ObjectOptions = {}): Schema {
    const schema: Schema = { type: 'object', properties };
    if (definitionName) schema.definitionName = definitionName;
    if (options.required?.length) schema.required = options.required;
    if (options.patchStrategy) schema['x-kubernetes-patch-strategy'] = options.patchStrategy;
    if (options.mapType) schema['x-kubernetes-map-type'] = options.mapType;
    return described(schema, description);
  },
  /**
   * A field whose schema is a named type, with a field-specific description or
   * patch strategy. Keeps the named type shared (it is still emitted by reference).
   */
  field(type: Schema, description?: string, options: { patchStrategy?: string } = {}): Schema {
    const schema: Schema = { ...type };
    if (description) schema.description = description;
    if (options.patchStrategy) schema['x-kubernetes-patch-strategy'] = options.patchStrategy;
    return schema;
  },
};
