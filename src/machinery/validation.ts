/**
 * Validation primitives shared by every kind: name formats, label and
 * annotation syntax, and ObjectMeta. Messages follow upstream's
 * k8s.io/apimachinery/pkg/util/validation wording, since users and tests read them.
 */
import { field, type FieldErrorLike } from './status.js';
import type { ObjectMeta } from './object.js';

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueFmt = '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?';

const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);
const labelValueRe = new RegExp(`^${labelValueFmt}$`);

/** Each returns a list of problems (empty when valid), like upstream's IsDNS1123Label and friends. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!dns1123LabelRe.test(value)) {
    errs.push(
      `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${dns1123LabelFmt}')`,
    );
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!dns1123SubdomainRe.test(value)) {
    errs.push(
      `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${dns1123SubdomainFmt}')`,
    );
  }
  return errs;
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!dns1035LabelRe.test(value)) {
    errs.push(
      `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '${dns1035LabelFmt}')`,
    );
  }
  return errs;
}

/** Names that are used as a path segment only (RBAC roles, …): anything but `.`, `..`, `/` and `%`. */
export function isPathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errs: string[] = [];
  if (value.includes('/')) errs.push("may not contain '/'");
  if (value.includes('%')) errs.push("may not contain '%'");
  return errs;
}

/** `prefix/name` or `name`: label keys, annotation keys, finalizers. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const msg of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      `a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${qualifiedNameFmt}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !qualifiedNameRe.test(name)) {
    errs.push(
      `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${qualifiedNameFmt}')`,
    );
  }
  return errs;
}

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!labelValueRe.test(value)) {
    errs.push(
      `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '${labelValueFmt}')`,
    );
  }
  return errs;
}

export type NameValidator = (name: string) => string[];

export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(key)) errs.push(field.invalid(path, key, msg));
    if (typeof value !== 'string') errs.push(field.invalid(`${path}[${key}]`, value, 'must be a string'));
    else for (const msg of isValidLabelValue(value)) errs.push(field.invalid(path, value, msg));
  }
  return errs;
}

const totalAnnotationSizeLimit = 256 * 1024;

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  let total = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.push(field.invalid(path, key, msg));
    total += key.length + (typeof value === 'string' ? value.length : 0);
  }
  if (total > totalAnnotationSizeLimit) errs.push(field.tooLong(path, '', totalAnnotationSizeLimit));
  return errs;
}

export interface ObjectMetaValidationOptions {
  namespaced: boolean;
  /** How names of this kind are checked; DNS-1123 subdomain by default. */
  nameValidator?: NameValidator;
}

/** Upstream's ValidateObjectMeta: name, namespace, labels, annotations, owners, finalizers. */
export function validateObjectMeta(meta: ObjectMeta | undefined, options: ObjectMetaValidationOptions, path = 'metadata'): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (!meta) return [field.required(path, '')];
  const validateName = options.nameValidator ?? isDNS1123Subdomain;
  if (!meta.name) {
    if (!meta.generateName) errs.push(field.required(`${path}.name`, 'name or generateName is required'));
  } else {
    for (const msg of validateName(meta.name)) errs.push(field.invalid(`${path}.name`, meta.name, msg));
  }
  if (options.namespaced) {
    if (!meta.namespace) errs.push(field.required(`${path}.namespace`, ''));
    else for (const msg of isDNS1123Label(meta.namespace)) errs.push(field.invalid(`${path}.namespace`, meta.namespace, msg));
  } else if (meta.namespace) {
    errs.push(field.forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  if (meta.generation !== undefined && meta.generation < 0) {
    errs.push(field.invalid(`${path}.generation`, meta.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(meta.labels, `${path}.labels`));
  errs.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  let controllers = 0;
  (meta.ownerReferences ?? []).forEach((ref, i) => {
    const refPath = `${path}.ownerReferences[${i}]`;
    if (!ref.apiVersion) errs.push(field.invalid(`${refPath}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(field.invalid(`${refPath}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(field.invalid(`${refPath}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(field.invalid(`${refPath}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) controllers++;
  });
  if (controllers > 1) {
    errs.push(field.invalid(`${path}.ownerReferences`, meta.ownerReferences, 'Only one reference can have Controller set to true'));
  }
  (meta.finalizers ?? []).forEach((finalizer, i) => {
    for (const msg of isQualifiedName(finalizer)) errs.push(field.invalid(`${path}.finalizers[${i}]`, finalizer, msg));
  });
  return errs;
}

/** Helpers for numeric range checks with upstream's messages. */
export function validateNonNegative(value: number | undefined, path: string): FieldErrorLike[] {
  return value !== undefined && value < 0 ? [field.invalid(path, value, 'must be greater than or equal to 0')] : [];
}

export function validatePositive(value: number | undefined, path: string): FieldErrorLike[] {
  return value !== undefined && value <= 0 ? [field.invalid(path, value, 'must be greater than 0')] : [];
}

/** `field is immutable` for a field that changed on update. */
export function validateImmutable(value: unknown, old: unknown, path: string): FieldErrorLike[] {
  return JSON.stringify(value) === JSON.stringify(old) ? [] : [field.invalid(path, value, 'field is immutable')];
}

const httpPathFmt = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const httpPathRe = new RegExp(`^${httpPathFmt}$`);

/** Upstream's IsDomainPrefixedPath: `example.org/some-path` (IngressClass controllers, JWT extra keys). */
export function validateDomainPrefixedPath(value: string, path: string): FieldErrorLike[] {
  if (!value) return [field.required(path)];
  const slash = value.indexOf('/');
  const host = value.slice(0, slash);
  const rest = value.slice(slash + 1);
  if (slash <= 0 || !rest) return [field.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errs = isDNS1123Subdomain(host).map((msg) => field.invalid(path, host, msg));
  if (!httpPathRe.test(rest)) errs.push(field.invalid(path, rest, `Invalid path (regex used for validation is '${httpPathFmt}')`));
  return errs;
}
