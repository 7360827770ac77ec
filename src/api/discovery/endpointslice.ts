/** discovery.k8s.io/v1 EndpointSlice: the scalable form of a service's endpoints. */
import { ageOf } from '../../machinery/duration.js';
import type { ResourceType } from '../resource.js';
import { ageColumn, listWithMore, nameColumn } from '../common/print.js';
import { EndpointSliceSchema, type EndpointSlice } from './schema.js';
import { validateEndpointSlice, validateEndpointSliceUpdate } from './validation.js';

export const endpointslices: ResourceType<EndpointSlice> = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  resource: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  schema: EndpointSliceSchema,
  // Upstream bumps the generation on every change outside metadata.
  hasGeneration: true,
  defaults(obj) {
    for (const port of obj.ports ?? []) {
      port.name ??= '';
      port.protocol ??= 'TCP';
    }
  },
  validate: (obj) => validateEndpointSlice(obj),
  validateUpdate: validateEndpointSliceUpdate,
  table: {
    columns: [
      nameColumn,
      { name: 'AddressType', type: 'string', description: 'Type of the addresses in the slice.' },
      { name: 'Ports', type: 'string', description: 'Ports the endpoints serve.' },
      { name: 'Endpoints', type: 'string', description: 'Addresses of the endpoints.' },
      ageColumn,
    ],
    cells(obj, now) {
      // A port without a number means "all ports"; upstream prints its name, else `*`.
      const ports = (obj.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : p.name !== undefined ? p.name : '*'));
      const addresses = (obj.endpoints ?? []).flatMap((e) => e.addresses ?? []);
      return [obj.metadata.name ?? '', obj.addressType ?? '', listWithMore(ports), listWithMore(addresses), ageOf(obj.metadata.creationTimestamp, now)];
    },
  },
};
