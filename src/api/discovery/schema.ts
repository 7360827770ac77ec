/** Schemas and types of discovery.k8s.io/v1 EndpointSlice. */
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import { ObjectReferenceSchema } from '../common/core-types.js';

const V1 = 'io.k8s.api.discovery.v1';

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: Record<string, unknown>;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: { name: string }[] };
  deprecatedTopology?: Record<string, string>;
}

export interface EndpointPort {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType: string;
  endpoints: Endpoint[];
  ports?: EndpointPort[];
}

export const EndpointConditionsSchema = s.object(`${V1}.EndpointConditions`, 'The current state of an endpoint.', {
  ready: s.boolean('The endpoint is ready for traffic; unset means unknown and is treated as ready.'),
  serving: s.boolean('The endpoint is ready, regardless of whether it is terminating.'),
  terminating: s.boolean('The endpoint is terminating.'),
});

export const ForZoneSchema = s.object(`${V1}.ForZone`, 'A zone that should consume an endpoint.', { name: s.string('Name of the zone.') }, { required: ['name'] });

export const EndpointHintsSchema = s.object(`${V1}.EndpointHints`, 'Hints on how an endpoint should be consumed.', {
  forZones: s.array(ForZoneSchema, 'Zones that should consume this endpoint, for topology aware routing.', { listType: 'atomic' }),
});

export const EndpointSchema = s.object(
  `${V1}.Endpoint`,
  'One logical backend of a service.',
  {
    addresses: s.array(s.string(), 'Addresses of the endpoint, as addressType says; consumers use the first.', { listType: 'set' }),
    conditions: s.field(EndpointConditionsSchema, 'Current state of the endpoint.'),
    deprecatedTopology: s.map(s.string(), 'Deprecated topology labels; use zone and nodeName.'),
    hints: s.field(EndpointHintsSchema, 'Hints on how the endpoint should be consumed.'),
    hostname: s.string('Hostname of the endpoint, a DNS label.'),
    nodeName: s.string('Node hosting the endpoint.'),
    targetRef: s.field(ObjectReferenceSchema, 'The object (usually a pod) backing the endpoint.'),
    zone: s.string('Zone the endpoint is in.'),
  },
  { required: ['addresses'] },
);

export const EndpointPortSchema = s.object(
  `${V1}.EndpointPort`,
  'A port the endpoints of a slice serve.',
  {
    appProtocol: s.string('Application protocol of the port, e.g. http or kubernetes.io/h2c.'),
    name: s.string('Name of the port; must match a service port name. Empty when the service has one unnamed port.'),
    port: s.int32('Port number; unset means all ports.'),
    protocol: s.string('TCP, UDP or SCTP. Defaults to TCP.'),
  },
  { mapType: 'atomic' },
);

export const EndpointSliceSchema = kindSchema({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  definitionName: `${V1}.EndpointSlice`,
  description: 'A subset of the endpoints of a service, of one address type.',
  fields: {
    addressType: s.string('Type of the addresses in this slice: IPv4, IPv6 or FQDN. Immutable.'),
    endpoints: s.array(EndpointSchema, 'The endpoints; at most 1000.', { listType: 'atomic' }),
    ports: s.array(EndpointPortSchema, 'Ports every endpoint serves; at most 100.', { listType: 'atomic' }),
  },
  required: ['addressType', 'endpoints'],
});
