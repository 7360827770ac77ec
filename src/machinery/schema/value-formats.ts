/**
 * The string formats a CustomResourceDefinition's schema may name and the
 * apiextensions-apiserver checks (kube-openapi's format registry). Any
 * other format — `int32`, `int64`, `double`, a made-up one — is dropped
 * from the schema before validation and never checked, as upstream does.
 * Names are compared without dashes (`date-time` is `datetime`).
 */
import { isIPv4, isIPv6 } from 'node:net';

const uuidPattern = (version: string) => new RegExp(`^[0-9a-f]{8}-?[0-9a-f]{4}-?${version}[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$`, 'i');
const anyUuid = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** RFC 1123 host names: labels of letters, digits and dashes, 255 bytes in all. */
const hostnamePattern = /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
/** RFC 3339 date-times, and the forms Go's strfmt also takes (a space for T, no seconds fraction, no zone). */
const dateTimePattern = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$/;
/** go-openapi durations: numbers with units, optionally spaced (`1h`, `3 days`, `1h30m`). */
const durationPattern = /^(\s*[-+]?\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?)\s*)+$/i;
const emailPattern = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const macPattern = /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$|^([0-9a-fA-F]{2}[:-]){7}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{2}[:-]){19}[0-9a-fA-F]{2}$/;

function validDate(text: string): boolean {
  const match = datePattern.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function validCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const address = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  if (isIPv4(address)) return Number(bits) <= 32;
  return isIPv6(address) && Number(bits) <= 128;
}

function validUri(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** Luhn's check digit, over the digits of a card number (spaces and dashes between them allowed). */
function validCreditCard(text: string): boolean {
  if (!/^\d[\d -]{11,22}\d$/.test(text)) return false;
  const digits = text.replace(/[ -]/g, '');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

function validIsbn10(text: string): boolean {
  const chars = text.replace(/[ -]/g, '');
  if (!/^\d{9}[\dX]$/.test(chars)) return false;
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += (chars[i] === 'X' ? 10 : Number(chars[i])) * (10 - i);
  return sum % 11 === 0;
}

function validIsbn13(text: string): boolean {
  const digits = text.replace(/[ -]/g, '');
  if (!/^\d{13}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(digits[i]) * (i % 2 === 0 ? 1 : 3);
  return sum % 10 === 0;
}

const checkers: Record<string, (text: string) => boolean> = {
  bsonobjectid: (text) => /^[0-9a-fA-F]{24}$/.test(text),
  uri: validUri,
  email: (text) => emailPattern.test(text),
  hostname: (text) => text.length <= 255 && hostnamePattern.test(text),
  ipv4: (text) => isIPv4(text),
  ipv6: (text) => isIPv6(text),
  cidr: validCidr,
  mac: (text) => macPattern.test(text),
  uuid: (text) => anyUuid.test(text),
  uuid3: (text) => uuidPattern('3').test(text),
  uuid4: (text) => uuidPattern('4').test(text),
  uuid5: (text) => uuidPattern('5').test(text),
  isbn: (text) => validIsbn10(text) || validIsbn13(text),
  isbn10: validIsbn10,
  isbn13: validIsbn13,
  creditcard: validCreditCard,
  ssn: (text) => /^\d{3}[- ]?\d{2}[- ]?\d{4}$/.test(text),
  hexcolor: (text) => /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(text),
  rgbcolor: (text) => /^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$/.test(text),
  byte: (text) => base64Pattern.test(text),
  password: () => true,
  date: validDate,
  duration: (text) => durationPattern.test(text),
  datetime: (text) => dateTimePattern.test(text) && validDate(text.slice(0, 10)),
};

/** The checker of a format a CRD schema names, or undefined for one upstream drops (never checked). */
export function formatChecker(format: string): ((text: string) => boolean) | undefined {
  return checkers[format.replace(/-/g, '').toLowerCase()];
}
