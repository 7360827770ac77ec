/** Service networking: cluster DNS (and, next, the service proxy, ingress and network policy). */
export { ClusterDNS, resolvConfNameservers, type ClusterDnsOptions } from './dns/server.js';
export { lookup, defaultZone, type DnsSnapshot, type ServiceInfo, type EndpointInfo } from './dns/records.js';
