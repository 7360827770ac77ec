/**
 * The `pod-template-hash` of a pod template: a short, stable name for one
 * version of a template, used in ReplicaSet and ControllerRevision names and
 * labels. FNV-1a over the template's canonical JSON (keys sorted), plus the
 * collision count, spelled with upstream's alphabet of characters that
 * cannot form words (no vowels, no easily confused characters).
 */

const alphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted, so equal templates hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(text, 'utf8');
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * Spells a number as upstream does: its decimal digits, each mapped through
 * the safe alphabet by character code — which is why real hashes such as
 * `7d4b9c8f5d` only ever use the characters 4–9, b, c, d and f.
 */
export function safeEncode(value: number): string {
  return [...String(value >>> 0)].map((digit) => alphabet[digit.charCodeAt(0) % alphabet.length]).join('');
}

export function templateHash(template: unknown, collisionCount = 0): string {
  const text = canonicalJson(template) + (collisionCount ? `#${collisionCount}` : '');
  return safeEncode(fnv1a32(text));
}
