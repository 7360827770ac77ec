/** Service networking: cluster DNS and the service proxy (and, next, ingress and network policy). */
export { ClusterDNS, resolvConfNameservers, type ClusterDnsOptions } from './dns/server.js';
export { lookup, defaultZone, type DnsSnapshot, type ServiceInfo, type EndpointInfo } from './dns/records.js';
export { ServiceProxy, serviceProxyAvailable, type ServiceProxyOptions } from './proxy/proxier.js';
export { renderRuleset, type ProxyService } from './proxy/rules.js';
export { kubeDnsService, kubeDnsServiceIP, publishNodeDNS } from './dns/kube-dns.js';
