/**
 * A local stand-in for resource quantities while machinery/quantity.ts is
 * being written: syntax check, numeric value and comparison.
 * TODO use machinery/quantity (parse/format/isValidQuantity) once it lands.
 */

const quantityRe = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

const suffixFactor: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** Upstream's wording when a string is not a quantity. */
export const QUANTITY_FORMAT_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export function isValidQuantity(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && quantityRe.test(value.trim());
}

/** The numeric value of a quantity (cores, bytes, …), or undefined when malformed. */
export function quantityValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = quantityRe.exec(value.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * suffixFactor[m[3] ?? ''];
}

/** -1, 0 or 1, with a relative tolerance for the float rounding of decimal suffixes. */
export function compareQuantities(a: unknown, b: unknown): number {
  const x = quantityValue(a) ?? 0;
  const y = quantityValue(b) ?? 0;
  const tolerance = Math.max(Math.abs(x), Math.abs(y)) * 1e-12;
  if (Math.abs(x - y) <= tolerance) return 0;
  return x < y ? -1 : 1;
}

export function quantityString(value: unknown): string {
  return typeof value === 'number' ? String(value) : String(value ?? '');
}
