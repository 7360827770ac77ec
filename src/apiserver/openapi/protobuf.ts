/**
 * The Swagger 2.0 document as gnostic's `openapi.v2.Document` protobuf message —
 * what client-go's `OpenAPISchema()` requests (`Accept:
 * application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) and decodes with
 * proto.Unmarshal; it has no JSON fallback. kubectl 1.32 uses it only when
 * OpenAPI v3 fails it (explain, the fieldValidation probe) or for
 * `explain --output plaintext-openapiv2` and client-side strict validation.
 *
 * Hand-encoded: the wire format is small, and only the fields our JSON document
 * uses are written. Field numbers are gnostic's OpenAPIv2.proto. Vendor
 * extensions, defaults and enums travel as `Any.yaml` text (JSON is YAML), which
 * is how kube-openapi reads them back.
 */

type Json = Record<string, unknown>;

// --- wire format -----------------------------------------------------------

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

class Message {
  private readonly parts: Uint8Array[] = [];

  private tag(field: number, wireType: number): void {
    this.parts.push(Uint8Array.from(varint(field * 8 + wireType)));
  }

  /** Length-delimited: strings, bytes and nested messages. Empty values are omitted (proto3). */
  bytes(field: number, value: Uint8Array | undefined): this {
    if (value === undefined) return this;
    this.tag(field, 2);
    this.parts.push(Uint8Array.from(varint(value.length)), value);
    return this;
  }

  string(field: number, value: unknown): this {
    if (typeof value !== 'string' || value === '') return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  strings(field: number, values: unknown): this {
    if (Array.isArray(values)) for (const value of values) this.bytes(field, Buffer.from(String(value), 'utf8'));
    return this;
  }

  bool(field: number, value: unknown): this {
    if (value !== true) return this;
    this.tag(field, 0);
    this.parts.push(Uint8Array.of(1));
    return this;
  }

  int64(field: number, value: unknown): this {
    if (typeof value !== 'number' || value === 0 || value < 0) return this;
    this.tag(field, 0);
    this.parts.push(Uint8Array.from(varint(value)));
    return this;
  }

  double(field: number, value: unknown): this {
    if (typeof value !== 'number' || value === 0) return this;
    this.tag(field, 1);
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleLE(value);
    this.parts.push(buffer);
    return this;
  }

  message(field: number, message: Message | undefined): this {
    return message ? this.bytes(field, message.finish()) : this;
  }

  finish(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

// --- gnostic messages --------------------------------------------------------

/** Any { yaml = 2 }: the value as YAML text. */
const any = (value: unknown) => new Message().string(2, JSON.stringify(value));

/** NamedAny { name = 1, value = 2 } for every `x-` key. */
function vendorExtensions(message: Message, field: number, object: Json): void {
  for (const [key, value] of Object.entries(object)) {
    if (key.startsWith('x-')) message.message(field, new Message().string(1, key).message(2, any(value)));
  }
}

function schema(s: Json): Message {
  const m = new Message()
    .string(1, s.$ref)
    .string(2, s.format)
    .string(3, s.title)
    .string(4, s.description);
  if (s.default !== undefined) m.message(5, any(s.default));
  m.double(7, s.maximum).double(9, s.minimum).int64(11, s.maxLength).string(13, s.pattern).bool(16, s.uniqueItems);
  m.strings(19, s.required);
  if (Array.isArray(s.enum)) for (const value of s.enum) m.message(20, any(value));
  if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) {
    m.message(21, new Message().message(1, schema(s.additionalProperties as Json)));
  } else if (s.additionalProperties === true) {
    m.message(21, new Message().bool(2, true));
  }
  if (s.type !== undefined) m.message(22, new Message().strings(1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items) m.message(23, new Message().message(1, schema(s.items as Json)));
  if (Array.isArray(s.allOf)) for (const part of s.allOf) m.message(24, schema(part as Json));
  if (s.properties) {
    const properties = new Message();
    for (const [name, value] of Object.entries(s.properties as Json)) properties.message(1, new Message().string(1, name).message(2, schema(value as Json)));
    m.message(25, properties);
  }
  vendorExtensions(m, 31, s);
  return m;
}

/** ParametersItem { parameter = 1 } around Parameter { body_parameter = 1 | non_body_parameter = 2 }. */
function parameter(p: Json): Message {
  let inner: Message;
  if (p.in === 'body') {
    const body = new Message().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required);
    if (p.schema) body.message(5, schema(p.schema as Json));
    inner = new Message().message(1, body);
  } else {
    // Query and path sub-schemas number their fields differently after `name`.
    const isPath = p.in === 'path';
    const sub = new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
    sub.string(isPath ? 5 : 6, p.type).bool(isPath ? 19 : 20, p.uniqueItems);
    inner = new Message().message(2, new Message().message(isPath ? 4 : 3, sub));
  }
  return new Message().message(1, inner);
}

function operation(o: Json): Message {
  const m = new Message()
    .strings(1, o.tags)
    .string(3, o.description)
    .string(5, o.operationId)
    .strings(6, o.produces)
    .strings(7, o.consumes);
  for (const p of (o.parameters as Json[] | undefined) ?? []) m.message(8, parameter(p));
  const responses = new Message();
  for (const [code, response] of Object.entries((o.responses as Json | undefined) ?? {})) {
    const r = response as Json;
    const body = new Message().string(1, r.description);
    if (r.schema) body.message(2, new Message().message(1, schema(r.schema as Json)));
    responses.message(1, new Message().string(1, code).message(2, new Message().message(1, body)));
  }
  m.message(9, responses);
  m.strings(10, o.schemes);
  vendorExtensions(m, 13, o);
  return m;
}

const PATH_ITEM_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function pathItem(item: Json): Message {
  const m = new Message();
  for (const [method, field] of Object.entries(PATH_ITEM_FIELDS)) {
    if (item[method]) m.message(field, operation(item[method] as Json));
  }
  for (const p of (item.parameters as Json[] | undefined) ?? []) m.message(9, parameter(p));
  return m;
}

/** Encodes our Swagger 2.0 JSON document as `openapi.v2.Document`. */
export function encodeOpenAPIv2Document(document: Json): Uint8Array {
  const info = document.info as Json;
  const m = new Message().string(1, document.swagger).message(2, new Message().string(1, info.title).string(2, info.version));
  const paths = new Message();
  for (const [name, item] of Object.entries(document.paths as Json)) paths.message(2, new Message().string(1, name).message(2, pathItem(item as Json)));
  m.message(8, paths);
  const definitions = new Message();
  for (const [name, value] of Object.entries(document.definitions as Json)) {
    definitions.message(1, new Message().string(1, name).message(2, schema(value as Json)));
  }
  m.message(9, definitions);
  for (const requirement of (document.security as Json[] | undefined) ?? []) {
    const r = new Message();
    for (const [name, scopes] of Object.entries(requirement)) r.message(1, new Message().string(1, name).message(2, new Message().strings(1, scopes)));
    m.message(12, r);
  }
  const securityDefinitions = new Message();
  for (const [name, value] of Object.entries((document.securityDefinitions as Json | undefined) ?? {})) {
    const v = value as Json;
    const apiKey = new Message().string(1, v.type).string(2, v.name).string(3, v.in).string(4, v.description);
    securityDefinitions.message(1, new Message().string(1, name).message(2, new Message().message(2, apiKey)));
  }
  m.message(13, securityDefinitions);
  return m.finish();
}
