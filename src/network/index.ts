/** Service networking: cluster DNS, the service proxy, the Ingress controller and NetworkPolicy. */
export { ClusterDNS, resolvConfNameservers, type ClusterDnsOptions } from './dns/server.js';
export { lookup, defaultZone, type DnsSnapshot, type ServiceInfo, type EndpointInfo } from './dns/records.js';
export { ServiceProxy, serviceProxyAvailable, type ServiceProxyOptions } from './proxy/proxier.js';
export { renderRuleset, type ProxyService } from './proxy/rules.js';
export { kubeDnsService, kubeDnsServiceIP, publishNodeDNS } from './dns/kube-dns.js';
export { IngressController, type IngressControllerOptions } from './ingress/controller.js';
export { skiffIngressClass, ingressControllerName, defaultIngressClassName } from './ingress/ingress-class.js';
export { route, tlsSecretFor } from './ingress/routes.js';
export { ServiceLoadBalancer } from './proxy/service-lb.js';
export { PolicyEnforcer, type PolicyEnforcerOptions } from './policy/enforcer.js';
export { renderPolicyRuleset, renderPolicyChains, type PolicyInput, type PolicyPod } from './policy/rules.js';
export { PodRoutes, type IpCommand } from './routes.js';
export { NodeEndpoints, type NodeEndpoint } from './node-endpoints.js';
export { UserspaceProxy, loopbackTwin, type UserspaceProxyOptions } from './proxy/userspace.js';
export { ServiceInterface, defaultServiceInterface, hostAddresses } from './proxy/service-interface.js';
export { chooseProxyMode, describeProxyMode, proxyModeFacts, proxyModeFlags, type ProxyModeFlag, type ProxyModeChoice } from './proxy/mode.js';
export { startApiserverRelay } from './apiserver-relay.js';
export { NetworkMetrics, type NetworkMetricsOptions } from './metrics/index.js';
