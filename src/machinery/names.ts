/**
 * Names and identities the apiserver assigns: `metadata.generateName`
 * suffixes and `metadata.uid`.
 */
import { randomInt, randomUUID } from 'node:crypto';

/**
 * Upstream's alphabet for generated suffixes: no vowels (so no accidental
 * words) and no characters easily confused with each other (0/o, 1/l, 3/e).
 */
const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
const suffixLength = 5;
/** Longest name a generated name may have: a DNS label's 63 characters. */
const maxNameLength = 63;

/** `base` plus five random characters, the base cut so that the result fits 63 characters. */
export function generateName(base: string): string {
  const kept = base.length > maxNameLength - suffixLength ? base.slice(0, maxNameLength - suffixLength) : base;
  let suffix = '';
  for (let i = 0; i < suffixLength; i++) suffix += alphabet[randomInt(alphabet.length)];
  return kept + suffix;
}

/** A new object UID (a random RFC 4122 version 4 UUID, like upstream). */
export function newUid(): string {
  return randomUUID();
}
