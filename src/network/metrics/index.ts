/** The node's network metrics: the service proxy's (kube-proxy's names) and the cluster DNS server's (CoreDNS's names). */
export { NetworkMetrics, type NetworkMetricsOptions } from './network-metrics.js';
export { ProxyChangeTracker, ProxyMetrics, lastChangeTriggerTimeAnnotation, networkProgrammingBuckets, syncDurationBuckets, type ProxySync } from './proxy-metrics.js';
export { DnsMetrics, dnsDurationBuckets, dnsSizeBuckets, queryTypeLabel, rcodeLabel, type DnsQueryRecord } from './dns-metrics.js';
