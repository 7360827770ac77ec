/**
 * The schema model: a subset of OpenAPI v3 / JSON Schema plus the Kubernetes
 * extensions. One schema per kind drives validation, unknown-field detection,
 * pruning, the OpenAPI documents (v2 and v3) and strategic-merge-patch metadata.
 *
 * A schema that carries `definitionName` is a named type (for example
 * `io.k8s.api.core.v1.PodSpec`); the OpenAPI generators emit it once under
 * that name and refer to it with `$ref` elsewhere. Everything else is inline.
 */
export interface Schema {
  /** Named type: emitted as a definition and referenced by `$ref` in OpenAPI. Not part of JSON Schema. */
  definitionName?: string;

  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  /** int32, int64, double, date-time, byte, int-or-string, … */
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  /** A map's value schema (e.g. labels: string → string). */
  additionalProperties?: Schema;
  items?: Schema;
  enum?: (string | number | boolean)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  /** null is a value the field may hold (CRD schemas). */
  nullable?: boolean;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;

  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  /** Accepts an integer or a string (`IntOrString`, `Quantity`). */
  'x-kubernetes-int-or-string'?: true;
  /** Anything goes below this point (RawExtension, CRD bodies). */
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-embedded-resource'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  /** Strategic merge patch: list elements are matched on this key. */
  'x-kubernetes-patch-merge-key'?: string;
  /** Strategic merge patch: `merge`, `retainKeys`, `merge,retainKeys` or `replace`. */
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-unions'?: unknown[];
}
