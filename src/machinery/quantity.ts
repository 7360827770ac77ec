/**
 * Resource quantities (`500m`, `1.5Gi`, `2e3`): how Kubernetes writes CPU,
 * memory and storage amounts. A quantity is kept exactly, as a whole number
 * of nano-units in a bigint (upstream keeps at most nine decimal places too,
 * rounding anything finer up), together with the suffix family it was
 * written in so that it prints back the way upstream prints it:
 *
 * - BinarySI (`Ki`, `Mi`, … powers of 1024): `1.5Gi` prints as `1536Mi`;
 * - DecimalSI (`m`, `k`, `M`, … powers of 1000): `1000m` prints as `1`;
 * - DecimalExponent (`1e3`): prints as `1e3`.
 *
 * The apiserver stores the canonical form, so `kubectl get -o yaml` shows it.
 */

export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export interface Quantity {
  /** The amount in nano-units (value × 10⁹), rounded up to a whole number. */
  nanos: bigint;
  format: QuantityFormat;
}

const NANO = 1_000_000_000n;

const binarySuffixes: [string, number][] = [
  ['Ki', 10],
  ['Mi', 20],
  ['Gi', 30],
  ['Ti', 40],
  ['Pi', 50],
  ['Ei', 60],
];
const decimalSuffixes: [string, number][] = [
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
];

const quantityRe = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Upstream's message for text that is not a quantity. */
export const quantityFormatError = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  const q = numerator / denominator;
  // bigint division truncates toward zero; round toward +infinity.
  return numerator % denominator !== 0n && numerator > 0n ? q + 1n : q;
}

/** Parses a quantity; undefined when the text is not one. */
/** Bounds of what a quantity may be (well beyond any real amount; see tryParseQuantity). */
const maxQuantityDigits = 1000;
const maxQuantityExponent = 1000;

export function tryParseQuantity(text: string): Quantity | undefined {
  const match = quantityRe.exec(text.trim());
  if (!match) return undefined;
  const [, sign, number, suffix = ''] = match;
  const [whole, fraction = ''] = number.split('.');
  // Hostile input: a thousand digits or a power of ten past ±1000 is no real quantity, and computing
  // it exactly (10^999999999) would take the server minutes. Such text is refused as malformed.
  if (whole.length + fraction.length > maxQuantityDigits) return undefined;
  // The digits as an integer and the power of ten to apply to them.
  let digits = BigInt((whole || '0') + fraction);
  let exponent = -fraction.length;
  let binaryShift = 0;
  let format: QuantityFormat = 'DecimalSI';
  const binary = binarySuffixes.find(([s]) => s === suffix);
  if (binary) {
    binaryShift = binary[1];
    format = 'BinarySI';
  } else if (/^[eE]/.test(suffix)) {
    exponent += Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else {
    exponent += decimalSuffixes.find(([s]) => s === suffix)![1];
  }
  if (sign === '-') digits = -digits;
  if (!Number.isFinite(exponent) || Math.abs(exponent) > maxQuantityExponent) return undefined;
  // nanos = digits × 10^exponent × 2^binaryShift × 10^9
  let numerator = digits << BigInt(binaryShift);
  let denominator = 1n;
  const power = exponent + 9;
  if (power >= 0) numerator *= 10n ** BigInt(power);
  else denominator = 10n ** BigInt(-power);
  return { nanos: ceilDiv(numerator, denominator), format };
}

export function isValidQuantity(text: unknown): boolean {
  return typeof text === 'number' ? Number.isFinite(text) : typeof text === 'string' && tryParseQuantity(text) !== undefined;
}

/** Parses a quantity (a string, or a bare number as JSON allows); throws with upstream's message otherwise. */
export function parseQuantity(text: string | number): Quantity {
  const parsed = tryParseQuantity(String(text));
  if (!parsed) throw new Error(quantityFormatError);
  return parsed;
}

function formatDecimal(nanos: bigint): string {
  if (nanos === 0n) return '0';
  const negative = nanos < 0n;
  let mantissa = negative ? -nanos : nanos;
  // Largest exponent (a multiple of three) that keeps the mantissa whole.
  let exponent = -9;
  while (exponent < 18 && mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exponent += 3;
  }
  const suffix = decimalSuffixes.find(([, e]) => e === exponent)![0];
  return `${negative ? '-' : ''}${mantissa}${suffix}`;
}

function formatExponent(nanos: bigint): string {
  if (nanos === 0n) return '0';
  const negative = nanos < 0n;
  let mantissa = negative ? -nanos : nanos;
  let exponent = -9;
  while (mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exponent += 3;
  }
  // Sub-unit amounts fall back to decimal suffixes, as upstream does.
  if (exponent < 0) return formatDecimal(nanos);
  return `${negative ? '-' : ''}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
}

function formatBinary(nanos: bigint): string {
  // Only whole amounts can carry a binary suffix; anything else prints decimal.
  if (nanos % NANO !== 0n) return formatDecimal(nanos);
  const units = nanos / NANO;
  const negative = units < 0n;
  let mantissa = negative ? -units : units;
  if (mantissa < 1024n) return formatDecimal(nanos);
  let suffix = '';
  for (const [name] of binarySuffixes) {
    if (mantissa % 1024n !== 0n) break;
    mantissa /= 1024n;
    suffix = name;
  }
  return `${negative ? '-' : ''}${mantissa}${suffix}`;
}

/** The canonical text of a quantity, as upstream serializes it. */
export function formatQuantity(quantity: Quantity): string {
  switch (quantity.format) {
    case 'BinarySI':
      return formatBinary(quantity.nanos);
    case 'DecimalExponent':
      return formatExponent(quantity.nanos);
    default:
      return formatDecimal(quantity.nanos);
  }
}

/** `text` in canonical form (`1000m` → `1`); the input unchanged when it is not a quantity. */
export function canonicalQuantity(text: string | number): string {
  const parsed = tryParseQuantity(String(text));
  return parsed ? formatQuantity(parsed) : String(text);
}

/** The amount as a floating-point number of units (for display and ratios). */
export function quantityValue(quantity: Quantity | string | number): number {
  const q = typeof quantity === 'object' ? quantity : parseQuantity(quantity);
  return Number(q.nanos) / 1e9;
}

/** The amount in thousandths, rounded up (CPU millicores). */
export function milliValue(quantity: Quantity | string | number): bigint {
  const q = typeof quantity === 'object' ? quantity : parseQuantity(quantity);
  return ceilDiv(q.nanos, 1_000_000n);
}

/** Negative, zero or positive as `a` is less than, equal to or greater than `b`. */
export function compareQuantities(a: Quantity | string | number, b: Quantity | string | number): number {
  const x = typeof a === 'object' ? a : parseQuantity(a);
  const y = typeof b === 'object' ? b : parseQuantity(b);
  return x.nanos < y.nanos ? -1 : x.nanos > y.nanos ? 1 : 0;
}

export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.format };
}
