/**
 * How metrics-server writes usage and windows: CPU as a DecimalSI quantity
 * of nanocores, memory as a BinarySI quantity of bytes (both canonical, so
 * `1500000n` prints as `1500u`), and windows as Go's time.Duration prints.
 */
import { addQuantities, formatQuantity, tryParseQuantity, type Quantity, type QuantityFormat } from '../../machinery/quantity.js';

/** Whole nanocores (cores × 10⁹), as metrics-server's NewScaledQuantity(n, -9) prints them. */
export function cpuQuantity(nanocores: number): string {
  return formatQuantity({ nanos: BigInt(Math.max(0, Math.trunc(nanocores))), format: 'DecimalSI' });
}

/** Whole bytes as a BinarySI quantity (`12345Ki`, `1Mi`, `1023`). */
export function memoryQuantity(bytes: number): string {
  return formatQuantity({ nanos: BigInt(Math.max(0, Math.trunc(bytes))) * 1_000_000_000n, format: 'BinarySI' });
}

/** The sum of quantities, in the format of the first (a zero Quantity takes its addend's format in Go). */
export function sumQuantities(texts: string[], emptyFormat: QuantityFormat): string {
  let total: Quantity | undefined;
  for (const text of texts) {
    const parsed = tryParseQuantity(text);
    if (!parsed) continue;
    total = total ? addQuantities(total, parsed) : parsed;
  }
  return formatQuantity(total ?? { nanos: 0n, format: emptyFormat });
}

const unitsBelowSecond: [string, number][] = [
  ['ms', 1_000_000],
  ['µs', 1_000],
  ['ns', 1],
];

/** Go's `time.Duration.String()` of a duration in milliseconds (kept to the nanosecond): `0s`, `500ms`, `15.012s`, `1m0s`, `1h2m3.5s`. */
export function formatGoDuration(ms: number): string {
  let ns = Math.round(ms * 1_000_000);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  ns = Math.abs(ns);
  if (ns < 1_000_000_000) {
    const [unit, size] = unitsBelowSecond.find(([, size]) => ns >= size)!;
    return `${sign}${decimal(ns, size)}${unit}`;
  }
  const hours = Math.floor(ns / 3_600_000_000_000);
  const minutes = Math.floor((ns % 3_600_000_000_000) / 60_000_000_000);
  const seconds = decimal(ns % 60_000_000_000, 1_000_000_000);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** `value / size` in decimal with no trailing zeros (`15012000000 / 1e9` → `15.012`). */
function decimal(value: number, size: number): string {
  const whole = Math.floor(value / size);
  const fraction = value % size;
  if (fraction === 0) return String(whole);
  const digits = String(size).length - 1;
  return `${whole}.${String(fraction).padStart(digits, '0').replace(/0+$/, '')}`;
}
