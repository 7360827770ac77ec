/**
 * Turns skiff `Schema`s into OpenAPI schemas with shared, named definitions.
 *
 * A schema carrying `definitionName` is emitted once under that name and
 * referenced elsewhere. Because `s.field(Type, 'why this field')` copies the
 * named schema to give it a field description, several objects carry one name;
 * the definition body comes from the *canonical* one: a well-known meta schema,
 * else the first occurrence that is not a struct field (a kind's root, an array
 * item), else the first occurrence. A field whose description or patch strategy
 * differs from the definition's keeps them beside the reference — in v3 as
 * `allOf: [{$ref}]` + description, in v2 as `$ref` + description, as upstream does.
 *
 * Strings with format date-time, int-or-string and quantity become references to
 * upstream's Time, IntOrString and Quantity definitions.
 */
import type { Schema } from '../../machinery/schema/types.js';
import { IntOrStringDefinition, QuantityDefinition, TimeDefinition } from './meta-schemas.js';

export type Flavor = 'v2' | 'v3';

export type JsonSchema = Record<string, unknown>;

/** Keys copied verbatim from a skiff Schema into OpenAPI, in emission order. */
const PLAIN_KEYS = [
  'type',
  'format',
  'enum',
  'default',
  'minimum',
  'maximum',
  'maxLength',
  'pattern',
  'x-kubernetes-group-version-kind',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-patch-merge-key',
  'x-kubernetes-patch-strategy',
  'x-kubernetes-unions',
] as const;

/** Field-level strategic-merge-patch keys, kept beside a reference. */
const PATCH_KEYS = ['x-kubernetes-patch-strategy', 'x-kubernetes-patch-merge-key'] as const;

type Position = 'field' | 'other';

/** The string-typed meta types v3 describes as a choice of types, as upstream does. */
const ONE_OF_TYPES: Record<string, string[]> = {
  [IntOrStringDefinition.definitionName!]: ['integer', 'string'],
  [QuantityDefinition.definitionName!]: ['string', 'number'],
};

/** The named type a schema stands for, including the implicit string types (Time, …). */
function namedTypeOf(schema: Schema): Schema | undefined {
  if (schema.definitionName) return schema;
  if (schema.type !== 'string') return undefined;
  if (schema.format === 'date-time') return TimeDefinition;
  if (schema.format === 'int-or-string') return IntOrStringDefinition;
  if (schema.format === 'quantity') return QuantityDefinition;
  return undefined;
}

export class DefinitionSet {
  /** Canonical schema per definition name, and whether it was seen only as a field. */
  private readonly canonical = new Map<string, { schema: Schema; fromField: boolean }>();
  private readonly scanned = new Set<Schema>();
  private readonly emitted = new Map<string, JsonSchema>();

  constructor(readonly flavor: Flavor) {}

  refTo(name: string): string {
    return (this.flavor === 'v3' ? '#/components/schemas/' : '#/definitions/') + name.replace(/~/g, '~0').replace(/\//g, '~1');
  }

  /**
   * Records the named schemas reachable from `schema`, without emitting anything.
   * Scan the most authoritative schemas first: earlier canonical choices win ties.
   */
  scan(schema: Schema, position: Position = 'other'): void {
    const named = namedTypeOf(schema);
    if (named) {
      const name = named.definitionName!;
      const existing = this.canonical.get(name);
      const isField = position === 'field' && named === schema;
      if (!existing || (existing.fromField && !isField)) this.canonical.set(name, { schema: named, fromField: isField });
    }
    if (this.scanned.has(schema)) return;
    this.scanned.add(schema);
    for (const property of Object.values(schema.properties ?? {})) this.scan(property, 'field');
    if (schema.items) this.scan(schema.items);
    if (schema.additionalProperties) this.scan(schema.additionalProperties);
  }

  /** A reference to a named schema (scanning it first if needed), emitting its definition. */
  ref(schema: Schema): JsonSchema {
    this.scan(schema);
    return this.convert(schema, 'other');
  }

  /** Ensures a definition is emitted and returns its name. */
  define(schema: Schema): string {
    this.ref(schema);
    return namedTypeOf(schema)!.definitionName!;
  }

  /** Converts one occurrence of a schema. */
  convert(schema: Schema, position: Position): JsonSchema {
    const named = namedTypeOf(schema);
    if (!named) return this.inline(schema);
    const name = named.definitionName!;
    if (!this.canonical.has(name)) this.scan(schema, position);
    const canonical = this.canonical.get(name)!.schema;
    this.emit(name, canonical);
    const ref = { $ref: this.refTo(name) };
    if (position !== 'field') return ref;
    const overrides: JsonSchema = {};
    if (schema.description !== undefined && schema.description !== canonical.description) overrides.description = schema.description;
    // Patch directives belong to the field: strategic merge patch reads them there, not on the type.
    for (const key of PATCH_KEYS) if (schema[key] !== undefined) overrides[key] = schema[key];
    if (Object.keys(overrides).length === 0) return ref;
    return this.flavor === 'v3' ? { allOf: [ref], ...overrides } : { ...ref, ...overrides };
  }

  private emit(name: string, canonical: Schema): void {
    if (this.emitted.has(name)) return;
    const body: JsonSchema = {};
    // Reserve the name before converting the body: recursive types refer to themselves.
    this.emitted.set(name, body);
    Object.assign(body, this.inline(canonical));
    // v3 documents say "integer or string" with oneOf and no type, which is what makes
    // `kubectl explain` print <IntOrString> and <Quantity> rather than <string>.
    const oneOf = this.flavor === 'v3' ? ONE_OF_TYPES[name] : undefined;
    if (oneOf) {
      delete body.type;
      body.oneOf = oneOf.map((type) => ({ type }));
    }
  }

  private inline(schema: Schema): JsonSchema {
    const out: JsonSchema = {};
    if (schema.description !== undefined) out.description = schema.description;
    for (const key of PLAIN_KEYS) if (schema[key] !== undefined) out[key] = structuredClone(schema[key]);
    if (schema.properties) {
      const properties: JsonSchema = {};
      for (const [key, property] of Object.entries(schema.properties)) properties[key] = this.convert(property, 'field');
      out.properties = properties;
    }
    if (schema.required?.length) out.required = [...schema.required];
    if (schema.items) out.items = this.convert(schema.items, 'other');
    if (schema.additionalProperties) out.additionalProperties = this.convert(schema.additionalProperties, 'other');
    return out;
  }

  /** Every emitted definition, sorted by name (upstream's documents are sorted maps). */
  definitions(): Record<string, JsonSchema> {
    const names = [...this.emitted.keys()].sort();
    return Object.fromEntries(names.map((name) => [name, this.emitted.get(name)!]));
  }

  has(name: string): boolean {
    return this.emitted.has(name) || this.canonical.has(name);
  }
}
