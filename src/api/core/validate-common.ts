/**
 * Validation pieces shared across core kinds: ports, quantities, resource
 * lists, label selectors, IPs. Messages follow upstream's wording.
 */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isObj as isPlainObject } from './util.js';
import { isDNS1123Subdomain, isQualifiedName, isValidLabelValue, validateLabels } from '../../machinery/validation.js';
import { isValidQuantity, quantityValue, QUANTITY_FORMAT_MESSAGE } from './quantity.js';

export type Errs = FieldErrorLike[];

export const PORT_RANGE_MESSAGE = 'must be between 1 and 65535, inclusive';

export function isValidPortNum(port: unknown): boolean {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Upstream's IsValidPortName (IANA_SVC_NAME). */
export function isValidPortName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens (--)');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen (-)');
  return errs;
}

/** An int-or-string port: a number in range or a port name. */
export function validatePortNumOrName(port: unknown, path: string): Errs {
  if (typeof port === 'number') return isValidPortNum(port) ? [] : [field.invalid(path, port, PORT_RANGE_MESSAGE)];
  if (typeof port === 'string') {
    if (port === '') return [field.required(path, '')];
    return isValidPortName(port).map((msg) => field.invalid(path, port, msg));
  }
  return [field.required(path, '')];
}

export function validateQuantity(value: unknown, path: string): Errs {
  if (!isValidQuantity(value)) return [field.invalid(path, value, QUANTITY_FORMAT_MESSAGE)];
  if ((quantityValue(value) ?? 0) < 0) return [field.invalid(path, value, 'must be greater than or equal to 0')];
  return [];
}

/** Resource names: standard (no slash) or a fully qualified extended name. */
export function validateResourceName(name: string, path: string): Errs {
  const errs = isQualifiedName(name).map((msg) => field.invalid(path, name, msg));
  if (errs.length === 0 && !name.includes('/') && !isStandardResourceName(name)) {
    errs.push(field.invalid(path, name, 'must be a standard resource type or fully qualified'));
  }
  return errs;
}

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

export function isStandardContainerResource(name: string): boolean {
  return standardContainerResources.has(name) || name.startsWith('hugepages-');
}

const standardQuotaResources = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers', 'requests.cpu', 'requests.memory', 'requests.storage',
  'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'cpu', 'memory', 'storage',
  'ephemeral-storage',
]);

export function isStandardResourceName(name: string): boolean {
  return standardQuotaResources.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.hugepages-') || name.startsWith('count/');
}

/** A map of resource name → quantity. */
export function validateResourceList(list: unknown, path: string, nameCheck = validateResourceName): Errs {
  if (list === undefined || list === null) return [];
  if (!isPlainObject(list)) return [field.invalid(path, list, 'must be a map of resource names to quantities')];
  const errs: Errs = [];
  for (const [name, q] of Object.entries(list)) {
    errs.push(...nameCheck(name, `${path}[${name}]`));
    errs.push(...validateQuantity(q, `${path}[${name}]`));
  }
  return errs;
}

const selectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * A metav1.LabelSelector. TODO use machinery/labels validateLabelSelector once it lands.
 */
export function validateLabelSelector(selector: unknown, path: string): Errs {
  if (selector === undefined || selector === null) return [];
  if (!isPlainObject(selector)) return [field.invalid(path, selector, 'must be a label selector')];
  const errs: Errs = validateLabels(selector.matchLabels as Record<string, string> | undefined, `${path}.matchLabels`);
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  expressions.forEach((req: any, i: number) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values = Array.isArray(req?.values) ? req.values : [];
    if (!selectorOperators.includes(req?.operator)) {
      errs.push(field.invalid(`${p}.operator`, req?.operator, 'not a valid selector operator'));
    } else if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) {
      errs.push(field.required(`${p}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
    } else if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) {
      errs.push(field.forbidden(`${p}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    }
    for (const msg of isQualifiedName(String(req?.key ?? ''))) errs.push(field.invalid(`${p}.key`, req?.key, msg));
    values.forEach((v: string, j: number) => {
      for (const msg of isValidLabelValue(String(v))) errs.push(field.invalid(`${p}.values[${j}]`, v, msg));
    });
  });
  return errs;
}

/** Whether a map selector (`spec.selector` of a Service or RC) matches a label set. */
export function mapSelectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

const ipv4Re = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(value: string): boolean {
  return ipv4Re.test(value);
}

export function isIPv6(value: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(value) || !value.includes(':')) return false;
  const doubleColons = value.split('::').length - 1;
  if (doubleColons > 1) return false;
  let groups = value.split(':').filter((g) => g !== '');
  const last = groups[groups.length - 1];
  let count = groups.length;
  if (last && last.includes('.')) {
    if (!isIPv4(last)) return false;
    groups = groups.slice(0, -1);
    count += 1;
  }
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return doubleColons === 1 ? count < 8 : count === 8;
}

export function isIP(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

export function validateIP(value: unknown, path: string): Errs {
  if (typeof value === 'string' && isIP(value)) return [];
  return [field.invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

export function validateDNS1123Subdomain(value: unknown, path: string): Errs {
  return isDNS1123Subdomain(String(value ?? '')).map((msg) => field.invalid(path, value, msg));
}

/** Non-negative integer fields, with upstream's message. */
export function nonNegative(value: unknown, path: string): Errs {
  return typeof value === 'number' && value < 0 ? [field.invalid(path, value, 'must be greater than or equal to 0')] : [];
}

export function arr(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}
