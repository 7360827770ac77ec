/**
 * Decoding Kubernetes protobuf request bodies into the JSON objects the rest
 * of the apiserver works with.
 *
 * kubectl's typed clients (`kubectl create namespace|deployment|secret…`,
 * evictions, access reviews) send `application/vnd.kubernetes.protobuf`.
 * Such a body is the 4-byte magic `k8s\0` and a `runtime.Unknown` message
 * whose `typeMeta` names the kind and whose `raw` bytes are the object in
 * the kind's own message. Field numbers and names come from
 * fields.generated.ts; the few types with their own JSON form (times,
 * quantities, int-or-string, raw JSON) are converted here.
 *
 * Go's protobuf marshaller writes non-pointer fields even when they are
 * empty; JSON would have left those out (`omitempty`), so they are dropped,
 * and the result is the object the same client would have sent as JSON.
 */
import { errors } from '../../machinery/status.js';
import { messages, type FieldEntry } from './fields.generated.js';

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const RUNTIME = 'k8s.io.apimachinery.pkg.runtime';
const magic = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

class Reader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end = bytes.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const byte = this.bytes[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw malformed('varint too long');
    }
  }

  lengthDelimited(): Uint8Array {
    const length = Number(this.varint());
    if (this.pos + length > this.end) throw malformed('truncated field');
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  fixed(size: 4 | 8): DataView {
    if (this.pos + size > this.end) throw malformed('truncated fixed-width field');
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, size);
    this.pos += size;
    return view;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.fixed(8);
        return;
      case 2:
        this.lengthDelimited();
        return;
      case 5:
        this.fixed(4);
        return;
      default:
        throw malformed(`unsupported wire type ${wireType}`);
    }
  }
}

function malformed(detail: string) {
  return errors.badRequest(`the body of the request could not be decoded as protobuf: ${detail}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

type Wire = { wireType: 0; value: bigint } | { wireType: 1 | 5; view: DataView } | { wireType: 2; bytes: Uint8Array };

/** Reads every field of a message: number → occurrences, in order. */
function readFields(bytes: Uint8Array): Map<number, Wire[]> {
  const reader = new Reader(bytes);
  const fields = new Map<number, Wire[]>();
  while (!reader.done) {
    const key = Number(reader.varint());
    const number = key >>> 3;
    const wireType = key & 7;
    let wire: Wire;
    if (wireType === 0) wire = { wireType, value: reader.varint() };
    else if (wireType === 2) wire = { wireType, bytes: reader.lengthDelimited() };
    else if (wireType === 1) wire = { wireType, view: reader.fixed(8) };
    else if (wireType === 5) wire = { wireType, view: reader.fixed(4) };
    else throw malformed(`unsupported wire type ${wireType}`);
    const list = fields.get(number);
    if (list) list.push(wire);
    else fields.set(number, [wire]);
  }
  return fields;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Values of a scalar field; packed repeated fields arrive as one length-delimited run. */
function scalarValues(type: string, wires: Wire[]): unknown[] {
  const out: unknown[] = [];
  for (const wire of wires) {
    if (wire.wireType === 2) {
      if (type === 'string') out.push(utf8.decode(wire.bytes));
      else if (type === 'bytes') out.push(base64(wire.bytes));
      else {
        // A packed run of numbers.
        const reader = new Reader(wire.bytes);
        while (!reader.done) out.push(numberFrom(type, type === 'double' ? { wireType: 1, view: reader.fixed(8) } : type === 'float' ? { wireType: 5, view: reader.fixed(4) } : { wireType: 0, value: reader.varint() }));
      }
    } else {
      out.push(numberFrom(type, wire));
    }
  }
  return out;
}

function numberFrom(type: string, wire: Wire): unknown {
  if (wire.wireType === 1) return type === 'double' ? wire.view.getFloat64(0, true) : Number(wire.view.getBigInt64(0, true));
  if (wire.wireType === 5) return type === 'float' ? wire.view.getFloat32(0, true) : wire.view.getInt32(0, true);
  if (wire.wireType !== 0) throw malformed(`field of type ${type} has the wrong wire type`);
  switch (type) {
    case 'bool':
      return wire.value !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, wire.value));
    case 'uint32':
      return Number(BigInt.asUintN(32, wire.value));
    case 'uint64':
      return Number(wire.value);
    default:
      return Number(BigInt.asIntN(64, wire.value));
  }
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

/** RFC 3339 in UTC, with `digits` fractional digits (0 for Time, 6 for MicroTime). */
function formatTime(seconds: number, nanos: number, digits: number): string {
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (digits === 0) return `${base}Z`;
  return `${base}.${String(nanos).padStart(9, '0').slice(0, digits)}Z`;
}

/** A Go duration string (`1h2m3s`, `1.5s`, `0s`) from nanoseconds. */
function formatDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  let rest = Math.abs(nanos);
  const hours = Math.floor(rest / 3.6e12);
  rest -= hours * 3.6e12;
  const minutes = Math.floor(rest / 6e10);
  rest -= minutes * 6e10;
  const seconds = rest / 1e9;
  let text = '';
  if (hours) text += `${hours}h`;
  if (hours || minutes) text += `${minutes}m`;
  text += `${Number(seconds.toFixed(9))}s`;
  return sign + text;
}

/** Messages whose JSON form is not an object. undefined means "leave the field out". */
function specialMessage(type: string, bytes: Uint8Array): { handled: boolean; value?: unknown } {
  switch (type) {
    case `${META}.Time`:
    case `${META}.MicroTime`: {
      if (bytes.length === 0) return { handled: true };
      const fields = readFields(bytes);
      const seconds = Number(scalarValues('int64', fields.get(1) ?? [])[0] ?? 0);
      const nanos = Number(scalarValues('int32', fields.get(2) ?? [])[0] ?? 0);
      // Go's zero time (year 1) means "unset".
      if (seconds <= -62135596800 || (seconds === 0 && nanos === 0)) return { handled: true };
      return { handled: true, value: formatTime(seconds, nanos, type.endsWith('MicroTime') ? 6 : 0) };
    }
    case `${META}.Duration`: {
      const nanos = Number(scalarValues('int64', readFields(bytes).get(1) ?? [])[0] ?? 0);
      return { handled: true, value: formatDuration(nanos) };
    }
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return { handled: true, value: String(scalarValues('string', readFields(bytes).get(1) ?? [])[0] ?? '0') };
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString': {
      const fields = readFields(bytes);
      const kind = Number(scalarValues('int64', fields.get(1) ?? [])[0] ?? 0);
      if (kind === 1) return { handled: true, value: String(scalarValues('string', fields.get(3) ?? [])[0] ?? '') };
      return { handled: true, value: Number(scalarValues('int32', fields.get(2) ?? [])[0] ?? 0) };
    }
    case `${RUNTIME}.RawExtension`:
    case `${META}.FieldsV1`: {
      const raw = readFields(bytes).get(1)?.[0];
      if (!raw || raw.wireType !== 2 || raw.bytes.length === 0) return { handled: true };
      try {
        return { handled: true, value: JSON.parse(utf8.decode(raw.bytes)) };
      } catch {
        throw malformed(`${type} does not hold JSON`);
      }
    }
    default:
      return { handled: false };
  }
}

/** Wrapper messages (`Verbs`, `ExtraValue`): one repeated string field, a list in JSON. */
function isStringListWrapper(fields: FieldEntry[] | undefined): boolean {
  return fields?.length === 1 && fields[0][1] === 'items' && fields[0][2] === 'string' && (fields[0][3] & 1) === 1;
}

function decodeValue(type: string, wire: Wire): unknown {
  if (!type.includes('.')) return scalarValues(type, [wire])[0];
  if (wire.wireType !== 2) throw malformed(`field of type ${type} has the wrong wire type`);
  const special = specialMessage(type, wire.bytes);
  if (special.handled) return special.value;
  const fields = messages[type];
  if (isStringListWrapper(fields)) return scalarValues('string', readFields(wire.bytes).get(1) ?? []);
  return decodeMessage(type, wire.bytes);
}

function decodeMapEntry(keyType: string, valueType: string, bytes: Uint8Array): [string, unknown] {
  const fields = readFields(bytes);
  const key = String(scalarValues(keyType, fields.get(1) ?? [])[0] ?? '');
  const valueWire = fields.get(2)?.[0];
  let value: unknown;
  if (valueWire) value = decodeValue(valueType, valueWire);
  else value = valueType === 'string' || valueType === 'bytes' ? '' : valueType.includes('.') ? {} : 0;
  return [key, value];
}

/** Decodes one message of a known type into its JSON object. */
export function decodeMessage(type: string, bytes: Uint8Array): Record<string, unknown> {
  const table = messages[type];
  if (!table) throw malformed(`unknown message type ${type}`);
  const wires = readFields(bytes);
  const object: Record<string, unknown> = {};
  for (const [number, jsonName, fieldType, flags] of table) {
    const occurrences = wires.get(number);
    if (!occurrences) continue;
    const repeated = (flags & 1) === 1;
    const omitZero = (flags & 2) === 2;
    if ((flags & 4) === 4) {
      // An embedded Go struct (`json:",inline"`): its fields are the parent's.
      const inner = decodeValue(fieldType, occurrences[occurrences.length - 1]);
      if (inner && typeof inner === 'object') Object.assign(object, inner);
      continue;
    }
    if (fieldType.startsWith('map:')) {
      const [, keyType, valueType] = fieldType.split(':');
      const map: Record<string, unknown> = {};
      for (const wire of occurrences) {
        if (wire.wireType !== 2) throw malformed(`map field ${jsonName} has the wrong wire type`);
        const [key, value] = decodeMapEntry(keyType, valueType, wire.bytes);
        map[key] = value;
      }
      object[jsonName] = map;
    } else if (repeated) {
      object[jsonName] = fieldType.includes('.') ? occurrences.map((wire) => decodeValue(fieldType, wire)) : scalarValues(fieldType, occurrences);
    } else {
      const value = decodeValue(fieldType, occurrences[occurrences.length - 1]);
      if (value === undefined || (omitZero && isZero(value))) continue;
      object[jsonName] = value;
    }
  }
  return object;
}

/** The protobuf package of an API group version: `apps/v1` → `k8s.io.api.apps.v1`. */
function packageOf(apiVersion: string, kind: string): string {
  // Options kinds live in meta/v1 whatever group the request names.
  if (['DeleteOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions', 'ListOptions', 'GetOptions'].includes(kind)) return META;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'meta.k8s.io') return `${META}`;
  const name = group === '' ? 'core' : group.split('.')[0];
  return `k8s.io.api.${name}.${version}`;
}

export interface DecodedProtobuf {
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
}

/** Decodes a whole `application/vnd.kubernetes.protobuf` body. */
export function decodeKubernetesProtobuf(body: Uint8Array): DecodedProtobuf {
  if (body.length < 4 || magic.some((byte, i) => body[i] !== byte)) throw malformed('the body does not start with the Kubernetes protobuf magic number');
  const envelope = readFields(body.subarray(4));
  const typeMetaWire = envelope.get(1)?.[0];
  const rawWire = envelope.get(2)?.[0];
  if (!typeMetaWire || typeMetaWire.wireType !== 2) throw malformed('the envelope has no type');
  const typeMeta = readFields(typeMetaWire.bytes);
  const apiVersion = String(scalarValues('string', typeMeta.get(1) ?? [])[0] ?? '');
  const kind = String(scalarValues('string', typeMeta.get(2) ?? [])[0] ?? '');
  const encoding = envelope.get(3)?.[0];
  if (encoding && encoding.wireType === 2 && encoding.bytes.length > 0) throw malformed(`unsupported content encoding ${utf8.decode(encoding.bytes)}`);
  if (!kind) throw malformed('the envelope names no kind');
  const type = `${packageOf(apiVersion, kind)}.${kind}`;
  if (!messages[type]) throw errors.badRequest(`no kind "${kind}" is registered for version "${apiVersion}" in protobuf`);
  const raw = rawWire && rawWire.wireType === 2 ? rawWire.bytes : new Uint8Array(0);
  const object = decodeMessage(type, raw);
  return { apiVersion, kind, object: { apiVersion, kind, ...object } };
}
