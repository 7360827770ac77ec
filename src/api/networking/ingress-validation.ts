/** Ingress and IngressClass validation, after upstream's pkg/apis/networking/validation. */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import {
  validateDomainPrefixedPath,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isPathSegmentName,
  validateImmutable,
  validateObjectMeta,
} from '../../machinery/validation.js';
import { ipMessage, parseIP } from '../common/net.js';
import { isValidPortName, isValidPortNum } from '../common/ports.js';
import type { HTTPIngressPath, Ingress, IngressBackend, IngressClass, IngressClassParametersReference, IngressSpec, TypedLocalObjectReference } from './ingress-schema.js';

export const pathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'];
const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F'];
const invalidPathSuffixes = ['/..', '/.'];
const ingressClassAnnotation = 'kubernetes.io/ingress.class';
const maxControllerLength = 250;

const wildcardFmt = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const wildcardRe = new RegExp(`^${wildcardFmt}$`);

/** Upstream's IsWildcardDNS1123Subdomain: `*.example.com`. */
export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!wildcardRe.test(value)) {
    errs.push(
      `a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '${wildcardFmt}')`,
    );
  }
  return errs;
}

function hostErrors(host: string): string[] {
  return host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
}

export function validateTypedLocalReference(ref: TypedLocalObjectReference | undefined, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (!ref) return errs;
  if (ref.apiGroup !== undefined) for (const msg of isDNS1123Subdomain(ref.apiGroup)) errs.push(field.invalid(`${path}.apiGroup`, ref.apiGroup, msg));
  for (const key of ['kind', 'name'] as const) {
    if (!ref[key]) errs.push(field.required(`${path}.${key}`, `${key} is required`));
    else for (const msg of isPathSegmentName(ref[key])) errs.push(field.invalid(`${path}.${key}`, ref[key], msg));
  }
  return errs;
}

function validateBackend(backend: IngressBackend | undefined, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const service = backend?.service;
  if (backend?.resource && service) return [field.invalid(path, '', 'cannot set both resource and service backends')];
  if (backend?.resource) return validateTypedLocalReference(backend.resource, `${path}.resource`);
  if (!service) return [field.invalid(path, '', 'resource or service backend is required')];
  if (!service.name) errs.push(field.required(`${path}.service.name`));
  else for (const msg of isDNS1035Label(service.name)) errs.push(field.invalid(`${path}.service.name`, service.name, msg));
  const portName = service.port?.name ?? '';
  const portNumber = service.port?.number ?? 0;
  if (portName && portNumber) errs.push(field.invalid(path, '', 'cannot set both port name & port number'));
  else if (portName) for (const msg of isValidPortName(portName)) errs.push(field.invalid(`${path}.service.port.name`, portName, msg));
  else if (portNumber) for (const msg of isValidPortNum(portNumber)) errs.push(field.invalid(`${path}.service.port.number`, portNumber, msg));
  else errs.push(field.required(path, 'port name or number is required'));
  return errs;
}

function validatePath(p: HTTPIngressPath, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  // v1 has no default pathType (v1beta1 had one), so a missing one is the commonest mistake.
  if (!p.pathType) return [field.required(`${path}.pathType`, 'pathType must be specified')];
  const value = p.path ?? '';
  switch (p.pathType) {
    case 'Exact':
    case 'Prefix':
      if (!value.startsWith('/')) errs.push(field.invalid(`${path}.path`, value, 'must be an absolute path'));
      for (const seq of invalidPathSequences) if (value.includes(seq)) errs.push(field.invalid(`${path}.path`, value, `must not contain '${seq}'`));
      for (const suffix of invalidPathSuffixes) if (value.endsWith(suffix)) errs.push(field.invalid(`${path}.path`, value, `cannot end with '${suffix}'`));
      break;
    case 'ImplementationSpecific':
      if (value && !value.startsWith('/')) errs.push(field.invalid(`${path}.path`, value, 'must be an absolute path'));
      break;
    default:
      errs.push(field.notSupported(`${path}.pathType`, p.pathType, pathTypes));
  }
  errs.push(...validateBackend(p.backend, `${path}.backend`));
  return errs;
}

export function validateIngressSpec(spec: IngressSpec, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const rules = spec.rules ?? [];
  if (rules.length === 0 && !spec.defaultBackend) errs.push(field.invalid(path, spec.rules, 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend) errs.push(...validateBackend(spec.defaultBackend, `${path}.defaultBackend`));
  rules.forEach((rule, i) => {
    const p = `${path}.rules[${i}]`;
    if (rule.host) {
      if (parseIP(rule.host)) errs.push(field.invalid(`${p}.host`, rule.host, 'must be a DNS name, not an IP address'));
      for (const msg of hostErrors(rule.host)) errs.push(field.invalid(`${p}.host`, rule.host, msg));
    }
    if (rule.http) {
      const paths = rule.http.paths ?? [];
      if (paths.length === 0) errs.push(field.required(`${p}.http.paths`));
      paths.forEach((hp, j) => errs.push(...validatePath(hp, `${p}.http.paths[${j}]`)));
    }
  });
  (spec.tls ?? []).forEach((tls, i) => {
    (tls.hosts ?? []).forEach((host, j) => {
      for (const msg of hostErrors(host)) errs.push(field.invalid(`${path}.tls[${i}].hosts[${j}]`, host, msg));
    });
    if (tls.secretName) for (const msg of isDNS1123Subdomain(tls.secretName)) errs.push(field.invalid(`${path}.tls[${i}].secretName`, tls.secretName, msg));
  });
  if (spec.ingressClassName !== undefined) {
    for (const msg of isDNS1123Subdomain(spec.ingressClassName)) errs.push(field.invalid(`${path}.ingressClassName`, spec.ingressClassName, msg));
  }
  return errs;
}

export function validateIngressStatus(ingress: Ingress): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  (ingress.status?.loadBalancer?.ingress ?? []).forEach((lb, i) => {
    const p = `status.loadBalancer.ingress[${i}]`;
    if (lb.ip && !parseIP(lb.ip)) errs.push(field.invalid(`${p}.ip`, lb.ip, ipMessage));
    if (lb.hostname) {
      for (const msg of isDNS1123Subdomain(lb.hostname)) errs.push(field.invalid(`${p}.hostname`, lb.hostname, msg));
      if (parseIP(lb.hostname)) errs.push(field.invalid(`${p}.hostname`, lb.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

export function validateIngress(ingress: Ingress, operation: 'create' | 'update'): FieldErrorLike[] {
  const errs = validateObjectMeta(ingress.metadata, { namespaced: true });
  errs.push(...validateIngressSpec(ingress.spec ?? {}, 'spec'));
  // The legacy annotation and the field name the class twice; upstream refuses both on create.
  const annotation = ingress.metadata.annotations?.[ingressClassAnnotation];
  if (operation === 'create' && ingress.spec?.ingressClassName !== undefined && annotation !== undefined) {
    errs.push(field.invalid(`annotations.${ingressClassAnnotation}`, annotation, 'can not be set when the class field is also set'));
  }
  return errs;
}

const parameterScopes = ['Cluster', 'Namespace'];

function validateParameters(params: IngressClassParametersReference | undefined, path: string): FieldErrorLike[] {
  if (!params) return [];
  const errs = validateTypedLocalReference(params, path);
  if (params.scope === undefined) return [...errs, field.required(`${path}.scope`)];
  if (!parameterScopes.includes(params.scope)) return [...errs, field.notSupported(`${path}.scope`, params.scope, parameterScopes)];
  if (params.scope === 'Namespace') {
    if (params.namespace === undefined) errs.push(field.required(`${path}.namespace`, "`parameters.scope` is set to 'Namespace'"));
    else for (const msg of isDNS1123Label(params.namespace)) errs.push(field.invalid(`${path}.namespace`, params.namespace, msg));
  } else if (params.namespace !== undefined) {
    errs.push(field.forbidden(`${path}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  }
  return errs;
}

export function validateIngressClass(ingressClass: IngressClass): FieldErrorLike[] {
  const errs = validateObjectMeta(ingressClass.metadata, { namespaced: false });
  const controller = ingressClass.spec?.controller ?? '';
  if (controller.length > maxControllerLength) errs.push(field.tooLong('spec.controller', controller, maxControllerLength));
  errs.push(...validateDomainPrefixedPath(controller, 'spec.controller'));
  errs.push(...validateParameters(ingressClass.spec?.parameters, 'spec.parameters'));
  return errs;
}

export function validateIngressClassUpdate(ingressClass: IngressClass, old: IngressClass): FieldErrorLike[] {
  return validateImmutable(ingressClass.spec?.controller, old.spec?.controller, 'spec.controller');
}
