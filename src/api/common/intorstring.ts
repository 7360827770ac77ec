/**
 * Validation of IntOrString fields that hold a count or a percentage
 * (`maxSurge: 1`, `maxUnavailable: "25%"`, `minAvailable: "50%"`), with
 * upstream's wording.
 */
import { field, type FieldErrorLike } from '../../machinery/status.js';

const percentRe = /^[0-9]+%$/;
const percentMessage =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** A non-negative integer, or a percentage string. */
export function validatePositiveIntOrPercent(value: number | string | undefined, path: string): FieldErrorLike[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return percentRe.test(value) ? [] : [field.invalid(path, value, percentMessage)];
  return value < 0 ? [field.invalid(path, value, 'must be greater than or equal to 0')] : [];
}

/** A percentage may not exceed 100%. */
export function validateNotMoreThan100Percent(value: number | string | undefined, path: string): FieldErrorLike[] {
  if (typeof value !== 'string' || !percentRe.test(value)) return [];
  return Number.parseInt(value, 10) > 100 ? [field.invalid(path, value, 'must not be greater than 100%')] : [];
}

/** Whether the value is zero: `0` or `"0%"`. */
export function isZeroIntOrPercent(value: number | string | undefined): boolean {
  return value === 0 || value === '0%';
}
