/**
 * Quantity helpers in the shape core's validation uses: lenient (a malformed
 * value yields undefined instead of throwing, since validation reports it
 * separately). The arithmetic lives in machinery/quantity.
 */
import { compareQuantities as compareExact, isValidQuantity, quantityFormatError, quantityValue as valueOf, tryParseQuantity } from '../../machinery/quantity.js';

export { isValidQuantity };

/** Upstream's wording when a string is not a quantity. */
export const QUANTITY_FORMAT_MESSAGE = quantityFormatError;

/** The numeric value of a quantity (cores, bytes, …), or undefined when malformed. */
export function quantityValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const parsed = tryParseQuantity(value);
  return parsed ? valueOf(parsed) : undefined;
}

/** -1, 0 or 1; a malformed value counts as zero. */
export function compareQuantities(a: unknown, b: unknown): number {
  const parse = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(String(v)) : undefined) ?? { nanos: 0n, format: 'DecimalSI' as const };
  return compareExact(parse(a), parse(b));
}

export function quantityString(value: unknown): string {
  return typeof value === 'number' ? String(value) : String(value ?? '');
}
