/**
 * metrics.k8s.io/v1beta1: NodeMetrics (`nodes`) and PodMetrics (`pods`), read-only
 * and computed on each read from the apiserver's resource-metrics store, as
 * metrics-server serves them (`kubectl top`, the HPA controller).
 */
import { errors } from '../../machinery/status.js';
import type { ComputedContext, ResourceType } from '../resource.js';
import { NodeMetricsSchema, PodMetricsSchema } from './schema.js';
import { nodeMetricsTable, podMetricsTable } from './table.js';
import { METRICS_API_VERSION, METRICS_GROUP, METRICS_VERSION, type NodeMetrics, type PodMetrics, type ResourceMetricsReader } from './types.js';

export * from './types.js';
export * from './schema.js';
export { cpuQuantity, memoryQuantity, formatGoDuration, sumQuantities } from './format.js';

/** The aggregator's answer when the metrics APIService has no backend. */
function readerOf(context: ComputedContext): ResourceMetricsReader {
  if (!context.resourceMetrics) throw errors.serviceUnavailable('the server is currently unable to handle the request');
  return context.resourceMetrics;
}

/**
 * metrics-server's field selectors are the object's metadata fields; a node's
 * has no namespace, so `metadata.namespace=x` matches none and `!=x` all.
 */
const namespaceField = (metrics: { metadata: { namespace?: string } }) => ({ 'metadata.namespace': metrics.metadata.namespace ?? '' });

export const nodemetrics: ResourceType<NodeMetrics> = {
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  kind: 'NodeMetrics',
  resource: 'nodes',
  // metrics-server names no singular; clients guess `nodemetrics` from the kind.
  singular: '',
  namespaced: false,
  verbs: ['get', 'list'],
  schema: NodeMetricsSchema,
  table: nodeMetricsTable,
  selectableFields: namespaceField,
  computed: {
    async get(_namespace, name, context) {
      const found = await readerOf(context).nodeMetrics(name);
      // Upstream names the resource `nodemetrics` in this error, not `nodes`.
      if (!found) throw errors.notFound(METRICS_GROUP, 'nodemetrics', name);
      return { kind: 'NodeMetrics', apiVersion: METRICS_API_VERSION, ...found };
    },
    list: async (_namespace, context) => readerOf(context).listNodeMetrics(),
  },
};

export const podmetrics: ResourceType<PodMetrics> = {
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  kind: 'PodMetrics',
  resource: 'pods',
  singular: '',
  namespaced: true,
  verbs: ['get', 'list'],
  schema: PodMetricsSchema,
  table: podMetricsTable,
  selectableFields: namespaceField,
  computed: {
    async get(namespace, name, context) {
      const found = await readerOf(context).podMetrics(namespace ?? '', name);
      // metrics-server's message names the pod as namespace/name.
      if (!found) throw errors.notFound(METRICS_GROUP, 'podmetrics', `${namespace}/${name}`);
      return { kind: 'PodMetrics', apiVersion: METRICS_API_VERSION, ...found };
    },
    list: async (namespace, context) => readerOf(context).listPodMetrics(namespace),
  },
};

// metrics-server's discovery order.
export const resources: ResourceType[] = [nodemetrics, podmetrics] as ResourceType[];
