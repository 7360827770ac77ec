/** Schemas and types of networking.k8s.io/v1 Ingress and IngressClass. */
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import { TypedLocalObjectReferenceSchema } from '../common/core-types.js';

const V1 = 'io.k8s.api.networking.v1';

export interface TypedLocalObjectReference {
  apiGroup?: string;
  kind: string;
  name: string;
}

export interface IngressBackend {
  service?: { name: string; port?: { name?: string; number?: number } };
  resource?: TypedLocalObjectReference;
}

export interface HTTPIngressPath {
  path?: string;
  pathType?: string;
  backend: IngressBackend;
}

export interface IngressRule {
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}

export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: { hosts?: string[]; secretName?: string }[];
  rules?: IngressRule[];
}

export interface IngressLoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ports?: { port: number; protocol: string; error?: string }[];
}

export interface Ingress extends KubeObject {
  spec?: IngressSpec;
  status?: { loadBalancer?: { ingress?: IngressLoadBalancerIngress[] } };
}

export interface IngressClassParametersReference extends TypedLocalObjectReference {
  scope?: string;
  namespace?: string;
}

export interface IngressClass extends KubeObject {
  spec?: { controller?: string; parameters?: IngressClassParametersReference };
}

export const ServiceBackendPortSchema = s.object(
  `${V1}.ServiceBackendPort`,
  'A port of a service, by name or by number.',
  {
    name: s.string('Name of the service port. Exclusive with number.'),
    number: s.int32('Number of the service port. Exclusive with name.'),
  },
  { mapType: 'atomic' },
);

export const IngressServiceBackendSchema = s.object(
  `${V1}.IngressServiceBackend`,
  'A service in the ingress namespace, as a backend.',
  {
    name: s.string('Name of the service.'),
    port: s.field(ServiceBackendPortSchema, 'Port of the service to send traffic to.'),
  },
  { required: ['name'] },
);

export const IngressBackendSchema = s.object(`${V1}.IngressBackend`, 'Where matching traffic goes: a service or another resource.', {
  resource: s.field(TypedLocalObjectReferenceSchema, 'Another resource in the ingress namespace. Exclusive with service.'),
  service: s.field(IngressServiceBackendSchema, 'A service. Exclusive with resource.'),
});

export const HTTPIngressPathSchema = s.object(
  `${V1}.HTTPIngressPath`,
  'A path and the backend its requests go to.',
  {
    backend: s.field(IngressBackendSchema, 'Backend for requests matching the path.'),
    path: s.string('Path to match; must start with / for Exact and Prefix.'),
    pathType: s.string('How path is matched: Exact, Prefix or ImplementationSpecific. Required.'),
  },
  { required: ['pathType', 'backend'] },
);

export const HTTPIngressRuleValueSchema = s.object(
  `${V1}.HTTPIngressRuleValue`,
  'HTTP paths of a rule.',
  { paths: s.array(HTTPIngressPathSchema, 'Paths mapped to backends.', { listType: 'atomic' }) },
  { required: ['paths'] },
);

export const IngressRuleSchema = s.object(`${V1}.IngressRule`, 'Routing for one host (or every host).', {
  host: s.string('Fully qualified domain name, optionally with a leading *. wildcard; empty matches every host.'),
  http: s.field(HTTPIngressRuleValueSchema, 'HTTP routing for the host.'),
});

export const IngressTLSSchema = s.object(`${V1}.IngressTLS`, 'TLS settings for a set of hosts.', {
  hosts: s.array(s.string(), 'Hosts the certificate covers; defaults to the wildcard host.', { listType: 'atomic' }),
  secretName: s.string('Secret holding the certificate and key. Optional for SNI-only setups.'),
});

export const IngressSpecSchema = s.object(`${V1}.IngressSpec`, 'How an ingress routes external traffic.', {
  defaultBackend: s.field(IngressBackendSchema, 'Backend for requests no rule matches.'),
  ingressClassName: s.string('Name of the IngressClass of the controller that implements this ingress.'),
  rules: s.array(IngressRuleSchema, 'Host rules; without any, all traffic goes to defaultBackend.', { listType: 'atomic' }),
  tls: s.array(IngressTLSSchema, 'TLS configuration.', { listType: 'atomic' }),
});

export const IngressPortStatusSchema = s.object(
  `${V1}.IngressPortStatus`,
  'State of one port of a load balancer.',
  {
    error: s.string('Problem with the port, as a CamelCase reason or a domain-prefixed name.'),
    port: s.int32('Port number.'),
    protocol: s.string('TCP, UDP or SCTP.'),
  },
  { required: ['port', 'protocol'] },
);

export const IngressLoadBalancerIngressSchema = s.object(`${V1}.IngressLoadBalancerIngress`, 'An ingress point of a load balancer.', {
  hostname: s.string('DNS name of the ingress point.'),
  ip: s.string('IP address of the ingress point.'),
  ports: s.array(IngressPortStatusSchema, 'State of the ports.', { listType: 'atomic' }),
});

export const IngressLoadBalancerStatusSchema = s.object(`${V1}.IngressLoadBalancerStatus`, 'State of the load balancer of an ingress.', {
  ingress: s.array(IngressLoadBalancerIngressSchema, 'Ingress points of the load balancer.', { listType: 'atomic' }),
});

export const IngressStatusSchema = s.object(`${V1}.IngressStatus`, 'Observed state of an ingress.', {
  loadBalancer: s.field(IngressLoadBalancerStatusSchema, 'The load balancer in front of the ingress.'),
});

export const IngressSchema = kindSchema({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  definitionName: `${V1}.Ingress`,
  description: 'Rules routing external HTTP(S) traffic to services, implemented by an ingress controller.',
  fields: {
    spec: s.field(IngressSpecSchema, 'Desired routing.'),
    status: s.field(IngressStatusSchema, 'Observed state, set by the controller.'),
  },
});

export const IngressClassParametersReferenceSchema = s.object(
  `${V1}.IngressClassParametersReference`,
  'A reference to controller-specific configuration.',
  {
    apiGroup: s.string('API group of the referent; empty for the core group.'),
    kind: s.string('Kind of the referent.'),
    name: s.string('Name of the referent.'),
    namespace: s.string('Namespace of the referent; required with scope Namespace, forbidden with Cluster.'),
    scope: s.string('Cluster (default) or Namespace.'),
  },
  { required: ['kind', 'name'] },
);

export const IngressClassSpecSchema = s.object(`${V1}.IngressClassSpec`, 'Which controller implements the class.', {
  controller: s.string('Domain-prefixed name of the controller, e.g. example.com/ingress-controller. Immutable.'),
  parameters: s.field(IngressClassParametersReferenceSchema, 'Extra configuration for the controller.'),
});

export const IngressClassSchema = kindSchema({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  definitionName: `${V1}.IngressClass`,
  description: 'A class of ingresses and the controller that implements it.',
  fields: { spec: s.field(IngressClassSpecSchema, 'The controller and its parameters.') },
});
