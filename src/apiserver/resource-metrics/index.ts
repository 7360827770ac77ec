/**
 * The resource metrics an apiserver serves as metrics.k8s.io: one
 * ResourceMetricsService per server, made on the first read with the
 * server's `resourceMetrics` options, unless `serveResourceMetrics`
 * configured it first. The handlers import this module on that first read,
 * so a server that nobody asks for metrics never loads the scraper.
 */
import type { ComputedContext } from '../../api/resource.js';
import type { ServerContext } from '../context.js';
import { clusterViewOf } from './cluster-view.js';
import { httpsFetcher } from './scrape.js';
import { ResourceMetricsService, type ResourceMetricsOptions } from './service.js';

export { ResourceMetricsService, realScheduler, type ResourceMetricsOptions, type Scheduler } from './service.js';
export { decodeResourceMetrics, type MetricsPoint, type NodeBatch } from './decode.js';
export { ResourceMetricsStore, usageBetween, type Usage, type PodUsage } from './store.js';
export { httpsFetcher, scrapeTargetOf, resourceMetricsPathAnnotation, type FetchResourceMetrics, type ScrapeTarget } from './scrape.js';
export { clusterViewOf, type ClusterView, type MetricsNode, type MetricsPod } from './cluster-view.js';

const services = new WeakMap<ServerContext, ResourceMetricsService>();

/**
 * Sets how `server` scrapes its node agents (call it before the first read;
 * a later call replaces the service and forgets what it kept). Without a
 * `fetch`, agents are reached with the server's node-client certificate.
 */
export function serveResourceMetrics(server: ServerContext, options: ResourceMetricsOptions = {}): ResourceMetricsService {
  services.get(server)?.stop();
  const fetch = options.fetch ?? (server.nodeClient ? httpsFetcher(server.nodeClient, options.maxBodyBytes) : undefined);
  const service = new ResourceMetricsService(clusterViewOf(server), { ...options, fetch }, (event) => server.log?.({ component: 'resource-metrics', ...event }));
  services.set(server, service);
  server.onShutdown?.(() => service.stop());
  return service;
}

/** What computed kinds read from on `server` (handlers/read.ts). */
export function computedContextFor(server: ServerContext): ComputedContext {
  return { resourceMetrics: services.get(server) ?? serveResourceMetrics(server, server.resourceMetrics) };
}
