/** Service and Endpoints. */
import { s, kindSchema, ConditionSchema } from '../../../machinery/schema/index.js';
import { V1, atomicStrings, ObjectReferenceSchema } from './common.js';

export const ServicePortSchema = s.object(`${V1}.ServicePort`, 'A port the service exposes.', {
  name: s.string('Port name, a DNS label; required when there are several ports.'),
  protocol: { ...s.enumString(['SCTP', 'TCP', 'UDP'], 'TCP, UDP or SCTP; defaults to TCP.'), default: 'TCP' },
  appProtocol: s.string('Application protocol, e.g. http or kubernetes.io/h2c.'),
  port: s.int32('Port the service listens on.'),
  targetPort: s.intOrString('Pod port number or name; defaults to port.'),
  nodePort: s.int32('Port on every node, for NodePort and LoadBalancer services.'),
}, { required: ['port'] });

const SessionAffinityConfigSchema = s.object(`${V1}.SessionAffinityConfig`, 'Session affinity settings.', {
  clientIP: s.object(`${V1}.ClientIPConfig`, 'ClientIP affinity settings.', {
    timeoutSeconds: s.int32('Affinity timeout; defaults to 10800.'),
  }),
});

export const ServiceSpecSchema = s.object(`${V1}.ServiceSpec`, 'How a service exposes pods.', {
  ports: s.array(ServicePortSchema, 'Ports of the service.', {
    listType: 'map', mapKeys: ['port', 'protocol'], mergeKey: 'port', patchStrategy: 'merge',
  }),
  selector: { ...s.map(s.string(), 'Labels of the pods traffic goes to.'), 'x-kubernetes-map-type': 'atomic' },
  clusterIP: s.string('Virtual IP of the service; None for headless. Allocated when empty.'),
  clusterIPs: atomicStrings('Virtual IPs, one per family; the first equals clusterIP.'),
  type: s.enumString(['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'], 'ClusterIP, NodePort, LoadBalancer or ExternalName.'),
  externalIPs: atomicStrings('Extra IPs that route to the service.'),
  sessionAffinity: s.enumString(['ClientIP', 'None'], 'None or ClientIP.'),
  loadBalancerIP: s.string('Deprecated requested load balancer IP.'),
  loadBalancerSourceRanges: atomicStrings('CIDRs allowed to reach the load balancer.'),
  externalName: s.string('DNS name the service aliases, for ExternalName.'),
  externalTrafficPolicy: s.enumString(['Cluster', 'Local'], 'Cluster or Local routing of external traffic.'),
  healthCheckNodePort: s.int32('Node port for load balancer health checks.'),
  publishNotReadyAddresses: s.boolean('Publish endpoints of pods that are not ready.'),
  sessionAffinityConfig: s.field(SessionAffinityConfigSchema, 'Session affinity settings.'),
  ipFamilies: s.array(s.enumString(['IPv4', 'IPv6']), 'IP families of the service.', { listType: 'atomic' }),
  ipFamilyPolicy: s.enumString(['PreferDualStack', 'RequireDualStack', 'SingleStack'], 'SingleStack, PreferDualStack or RequireDualStack.'),
  allocateLoadBalancerNodePorts: s.boolean('Whether node ports are allocated for a LoadBalancer.'),
  loadBalancerClass: s.string('Load balancer implementation.'),
  internalTrafficPolicy: s.enumString(['Cluster', 'Local'], 'Cluster or Local routing of in-cluster traffic.'),
  trafficDistribution: s.string('Traffic preference, e.g. PreferClose.'),
});

const PortStatusSchema = s.object(`${V1}.PortStatus`, 'State of a load balancer port.', {
  port: s.int32('Port number.'),
  protocol: s.string('TCP, UDP or SCTP.'),
  error: s.string('Problem with the port, CamelCase.'),
}, { required: ['port', 'protocol'] });

export const LoadBalancerStatusSchema = s.object(`${V1}.LoadBalancerStatus`, 'State of a load balancer.', {
  ingress: s.array(s.object(`${V1}.LoadBalancerIngress`, 'An ingress point.', {
    ip: s.string('IP of the load balancer.'),
    hostname: s.string('Host name of the load balancer.'),
    ipMode: s.string('VIP or Proxy.'),
    ports: s.array(PortStatusSchema, 'Port states.', { listType: 'atomic' }),
  }), 'Ingress points.', { listType: 'atomic' }),
});

export const ServiceSchema = kindSchema({
  group: '', version: 'v1', kind: 'Service',
  definitionName: `${V1}.Service`,
  description: 'A stable name and address for a set of pods.',
  fields: {
    spec: s.field(ServiceSpecSchema, 'Desired state.'),
    status: s.object(`${V1}.ServiceStatus`, 'Observed state.', {
      loadBalancer: s.field(LoadBalancerStatusSchema, 'Load balancer state.'),
      conditions: s.array(ConditionSchema, 'Current conditions.', {
        listType: 'map', mapKeys: ['type'], mergeKey: 'type', patchStrategy: 'merge',
      }),
    }),
  },
});

const EndpointAddressSchema = s.object(`${V1}.EndpointAddress`, 'An address of an endpoint.', {
  ip: s.string('IP of the endpoint.'),
  hostname: s.string('Host name of the endpoint.'),
  nodeName: s.string('Node hosting the endpoint.'),
  targetRef: s.field(ObjectReferenceSchema, 'Object backing the endpoint.'),
}, { required: ['ip'], mapType: 'atomic' });

const EndpointPortSchema = s.object(`${V1}.EndpointPort`, 'A port of an endpoint.', {
  name: s.string('Port name, matching the service port name.'),
  port: s.int32('Port number.'),
  protocol: s.enumString(['SCTP', 'TCP', 'UDP'], 'TCP, UDP or SCTP.'),
  appProtocol: s.string('Application protocol.'),
}, { required: ['port'], mapType: 'atomic' });

export const EndpointsSchema = kindSchema({
  group: '', version: 'v1', kind: 'Endpoints',
  definitionName: `${V1}.Endpoints`,
  description: 'The addresses backing a service.',
  fields: {
    subsets: s.array(s.object(`${V1}.EndpointSubset`, 'Addresses sharing a set of ports.', {
      addresses: s.array(EndpointAddressSchema, 'Ready addresses.', { listType: 'atomic' }),
      notReadyAddresses: s.array(EndpointAddressSchema, 'Addresses not ready yet.', { listType: 'atomic' }),
      ports: s.array(EndpointPortSchema, 'Ports of the addresses.', { listType: 'atomic' }),
    }), 'Groups of addresses and ports.', { listType: 'atomic' }),
  },
});
