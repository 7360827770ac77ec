/**
 * A kind's schema as CEL types, for type checking policies against it: each
 * object with properties becomes a message type whose fields are its
 * properties (so a field it does not declare is a compile error), maps and
 * lists keep their element types, scalars their CEL type.
 *
 * Where a typed view could refuse an expression upstream accepts, the type
 * is dyn instead: objects that keep unknown fields, int-or-string, strings
 * with a format (upstream types date-time as a timestamp, duration as a
 * duration), objects without properties, recursion, and anything past a
 * bound on depth and on the number of types.
 */
import type { Environment } from '@marcbachmann/cel-js';
import type { Schema } from '../../../machinery/schema/types.js';

const maxDepth = 32;
const maxTypes = 4000;

export class SchemaTypes {
  /** The message types declared, by name (errors naming one of them are about typing, not the expression). */
  readonly names = new Set<string>();
  private readonly declared = new WeakMap<Schema, string>();
  private readonly inProgress = new Set<Schema>();

  constructor(private readonly env: Environment, private readonly prefix: string) {}

  /** The CEL type of values of `schema`, declaring the message types it needs. */
  typeOf(schema: Schema | undefined, depth = 0): string {
    if (!schema || depth > maxDepth) return 'dyn';
    if (schema['x-kubernetes-preserve-unknown-fields'] || schema['x-kubernetes-int-or-string']) return 'dyn';
    switch (schema.type) {
      case 'object':
        if (schema.properties && Object.keys(schema.properties).length > 0) return this.messageType(schema, depth);
        return schema.additionalProperties ? `map<string, ${this.typeOf(schema.additionalProperties, depth + 1)}>` : 'dyn';
      case 'array':
        return `list<${this.typeOf(schema.items, depth + 1)}>`;
      case 'string':
        return schema.format ? 'dyn' : 'string';
      case 'integer':
        return 'int';
      case 'number':
        return 'double';
      case 'boolean':
        return 'bool';
      default:
        return 'dyn';
    }
  }

  private messageType(schema: Schema, depth: number): string {
    const known = this.declared.get(schema);
    if (known) return known;
    if (this.inProgress.has(schema) || this.names.size >= maxTypes) return 'dyn';
    this.inProgress.add(schema);
    try {
      const fields: Record<string, string> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) fields[name] = this.typeOf(property, depth + 1);
      if (schema['x-kubernetes-embedded-resource']) {
        // An embedded object is a resource: these are always there to read.
        fields.apiVersion ??= 'string';
        fields.kind ??= 'string';
        fields.metadata ??= 'dyn';
      }
      const name = `${this.prefix}.t${this.names.size}`;
      try {
        this.env.registerType({ name, fields } as never);
      } catch {
        return 'dyn';
      }
      this.names.add(name);
      this.declared.set(schema, name);
      return name;
    } finally {
      this.inProgress.delete(schema);
    }
  }

  /** Whether a message mentions one of the declared types. */
  mentions(text: string): boolean {
    return [...this.names].some((name) => text.includes(name));
  }
}
