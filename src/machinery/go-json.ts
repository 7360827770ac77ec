/**
 * What Go's encoding/json calls a JSON value in its errors ("cannot
 * unmarshal number into Go struct field …"): configuration files that
 * upstream decodes strictly (AuthenticationConfiguration,
 * EncryptionConfiguration) are refused with the same words here.
 */
export type JsonKind = 'string' | 'number' | 'bool' | 'array' | 'object' | 'null';

export function jsonKindOf(value: unknown): JsonKind {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number' || typeof value === 'bigint') return 'number';
  if (typeof value === 'string') return 'string';
  return 'object';
}

/** A decoding failure, worded like Go's encoding/json. */
export class DecodeError extends Error {}
