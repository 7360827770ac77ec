/** EndpointSlice validation, after upstream's pkg/apis/discovery/validation. */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  validateImmutable,
  validateLabels,
  validateObjectMeta,
} from '../../machinery/validation.js';
import { parseIP } from '../common/net.js';
import { portProtocols } from '../common/ports.js';
import type { Endpoint, EndpointPort, EndpointSlice } from './schema.js';

export const addressTypes = ['FQDN', 'IPv4', 'IPv6'];
const maxEndpoints = 1000;
const maxAddresses = 100;
const maxPorts = 20000;
const maxTopologyLabels = 16;
const maxHints = 8;

/** Unspecified, loopback and link-local addresses never make sense as endpoints. */
function specialIPErrors(address: string, path: string): FieldErrorLike[] {
  const ip = parseIP(address)!;
  const v = ip.value;
  const inRange = (net: bigint, bits: number) => {
    const shift = BigInt((ip.family === 4 ? 32 : 128) - bits);
    return v >> shift === net >> shift;
  };
  const four = ip.family === 4;
  const problem =
    v === 0n ? `may not be unspecified (${four ? '0.0.0.0' : '::'})`
    : (four ? inRange(0x7f000000n, 8) : v === 1n) ? 'may not be in the loopback range (127.0.0.0/8, ::1/128)'
    : (four ? inRange(0xa9fe0000n, 16) : inRange(0xfe80n << 112n, 10)) ? 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'
    : (four ? inRange(0xe0000000n, 24) : inRange(0xff02n << 112n, 16)) ? 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'
    : undefined;
  return problem ? [field.invalid(path, address, problem)] : [];
}

/** Upstream's IsFullyQualifiedDomainName. */
function fqdnErrors(name: string, path: string): FieldErrorLike[] {
  if (!name) return [field.required(path)];
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const subdomain = isDNS1123Subdomain(trimmed);
  if (subdomain.length) return [field.invalid(path, trimmed, subdomain.join(','))];
  const labels = trimmed.split('.');
  if (labels.length < 2) return [field.invalid(path, trimmed, 'should be a domain with at least two segments separated by dots')];
  for (const label of labels) {
    const errs = isDNS1123Label(label);
    if (errs.length) return [field.invalid(path, label, errs.join(','))];
  }
  return [];
}

function validateAddress(address: string, addressType: string, path: string): FieldErrorLike[] {
  switch (addressType) {
    case 'IPv4':
    case 'IPv6': {
      const family = addressType === 'IPv4' ? 4 : 6;
      const ip = parseIP(address);
      if (!ip || ip.family !== family) return [field.invalid(path, address, `must be a valid ${addressType} address`)];
      return specialIPErrors(address, path);
    }
    case 'FQDN':
      return fqdnErrors(address, path);
    default:
      // Unknown types are reported once on addressType, not per address.
      return [];
  }
}

function validateEndpoint(endpoint: Endpoint, addressType: string, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const addresses = endpoint.addresses ?? [];
  if (addresses.length === 0) errs.push(field.required(`${path}.addresses`, 'must contain at least 1 address'));
  else if (addresses.length > maxAddresses) errs.push(field.tooMany(`${path}.addresses`, addresses.length, maxAddresses));
  addresses.forEach((a, i) => errs.push(...validateAddress(a, addressType, `${path}.addresses[${i}]`)));
  if (endpoint.nodeName !== undefined) {
    for (const msg of isDNS1123Subdomain(endpoint.nodeName)) errs.push(field.invalid(`${path}.nodeName`, endpoint.nodeName, msg));
  }
  const topology = endpoint.deprecatedTopology ?? {};
  if (Object.keys(topology).length > maxTopologyLabels) {
    errs.push(field.tooMany(`${path}.deprecatedTopology`, Object.keys(topology).length, maxTopologyLabels));
  }
  errs.push(...validateLabels(topology, `${path}.deprecatedTopology`));
  if (endpoint.hostname !== undefined) {
    for (const msg of isDNS1123Label(endpoint.hostname)) errs.push(field.invalid(`${path}.hostname`, endpoint.hostname, msg));
  }
  const zones = endpoint.hints?.forZones ?? [];
  if (zones.length > maxHints) errs.push(field.tooMany(`${path}.hints.forZones`, zones.length, maxHints));
  const seenZones = new Set<string>();
  zones.forEach((zone, i) => {
    const p = `${path}.hints.forZones[${i}].name`;
    if (seenZones.has(zone.name)) errs.push(field.duplicate(p, zone.name));
    seenZones.add(zone.name);
    for (const msg of isValidLabelValue(zone.name ?? '')) errs.push(field.invalid(p, zone.name, msg));
  });
  return errs;
}

function validatePorts(ports: EndpointPort[], path: string): FieldErrorLike[] {
  if (ports.length > maxPorts) return [field.tooMany(path, ports.length, maxPorts)];
  const errs: FieldErrorLike[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `${path}[${i}]`;
    const name = port.name ?? '';
    if (name) for (const msg of isDNS1123Label(name)) errs.push(field.invalid(`${p}.name`, name, msg));
    if (names.has(name)) errs.push(field.duplicate(`${p}.name`, name));
    names.add(name);
    if (port.protocol === undefined) errs.push(field.required(`${p}.protocol`));
    else if (!portProtocols.includes(port.protocol)) errs.push(field.notSupported(`${p}.protocol`, port.protocol, portProtocols));
    if (port.appProtocol !== undefined) {
      for (const msg of isQualifiedName(port.appProtocol)) errs.push(field.invalid(`${p}.appProtocol`, port.appProtocol, msg));
    }
  });
  return errs;
}

export function validateEndpointSlice(slice: EndpointSlice): FieldErrorLike[] {
  const errs = validateObjectMeta(slice.metadata, { namespaced: true });
  if (!slice.addressType) errs.push(field.required('addressType'));
  else if (!addressTypes.includes(slice.addressType)) errs.push(field.notSupported('addressType', slice.addressType, addressTypes));
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > maxEndpoints) errs.push(field.tooMany('endpoints', endpoints.length, maxEndpoints));
  else endpoints.forEach((e, i) => errs.push(...validateEndpoint(e, slice.addressType, `endpoints[${i}]`)));
  errs.push(...validatePorts(slice.ports ?? [], 'ports'));
  return errs;
}

export function validateEndpointSliceUpdate(slice: EndpointSlice, old: EndpointSlice): FieldErrorLike[] {
  return validateImmutable(slice.addressType, old.addressType, 'addressType');
}
