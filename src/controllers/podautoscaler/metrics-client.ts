/**
 * Metrics for the autoscaler, read through the apiserver as upstream's REST
 * metrics client does:
 *
 *   resource metrics  GET /apis/metrics.k8s.io/v1beta1/namespaces/<ns>/pods?labelSelector=…           (PodMetricsList)
 *   pods metrics      GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/<ns>/pods/<*>/<metric>?labelSelector=…&metricLabelSelector=…
 *   object metrics    GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/<ns>/<resource.group>/<name>/<metric>?metricLabelSelector=…
 *                     (a Namespace: …/namespaces/<ns>/metrics/<metric>)
 *   external metrics  GET /apis/external.metrics.k8s.io/v1beta1/namespaces/<ns>/<metric>?labelSelector=…
 *
 * Values become milli-units. Errors carry upstream's wording, so the
 * conditions and events that quote them read as upstream's.
 */
import { isStatusError } from '../../machinery/status.js';
import { milliValue, tryParseQuantity } from '../../machinery/quantity.js';
import { parseGoDuration } from '../../machinery/duration.js';
import type { RequestOptions } from '../../client/index.js';
import type { CrossVersionObjectReference } from '../../api/autoscaling/index.js';
import type { PodMetricsInfo } from './replica-calculator.js';
import { parseGroupVersion, type RestMapper } from './rest-mapper.js';

/** What the autoscaler asks of metrics; selectors are label selector text ('' for everything). */
export interface MetricsClient {
  getResourceMetric(resource: string, namespace: string, selector: string, container: string, signal?: AbortSignal): Promise<{ metrics: PodMetricsInfo; timestamp: number }>;
  getRawMetric(metricName: string, namespace: string, selector: string, metricSelector: string, signal?: AbortSignal): Promise<{ metrics: PodMetricsInfo; timestamp: number }>;
  getObjectMetric(metricName: string, namespace: string, objectRef: CrossVersionObjectReference, metricSelector: string, signal?: AbortSignal): Promise<{ value: number; timestamp: number }>;
  getExternalMetric(metricName: string, namespace: string, selector: string, signal?: AbortSignal): Promise<{ values: number[]; timestamp: number }>;
}

/** The part of the REST client used: a request to any path (RestClient has it). */
export interface RestRequester {
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
}

/** The window assumed when a custom metric does not say (upstream's metricServerDefaultMetricWindow). */
const defaultMetricWindowMs = 60_000;

export interface PodMetricsList {
  items?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }; timestamp?: string; window?: string; containers?: { name?: string; usage?: Record<string, string | number> }[] }[];
}

interface MetricValueList {
  items?: { describedObject?: { name?: string }; timestamp?: string; windowSeconds?: number; value?: string | number }[];
}

interface ExternalMetricValueList {
  items?: { timestamp?: string; value?: string | number }[];
}

/** A quantity in milli-units, bounded to what a double holds exactly; undefined when not a quantity. */
function milli(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const parsed = tryParseQuantity(String(value));
  if (!parsed) return undefined;
  const result = Number(milliValue(parsed));
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, result));
}

function timeOf(text: string | undefined): number {
  const parsed = text ? Date.parse(text) : NaN;
  return Number.isNaN(parsed) ? 0 : parsed;
}

function windowOf(text: string | undefined): number {
  try {
    return text ? parseGoDuration(text) : 0;
  } catch {
    return 0;
  }
}

function itemsOf<T>(list: { items?: T[] } | undefined): T[] {
  return Array.isArray(list?.items) ? list.items : [];
}

/** Each pod's usage of a resource summed over its containers; a pod missing it in any container is left out. */
export function podResourceMetrics(list: PodMetricsList, resource: string): PodMetricsInfo {
  const metrics: PodMetricsInfo = new Map();
  for (const item of itemsOf(list)) {
    const containers = Array.isArray(item.containers) ? item.containers : [];
    let sum = 0;
    let missing = containers.length === 0;
    for (const container of containers) {
      const value = milli(container?.usage?.[resource]);
      if (value === undefined) {
        missing = true;
        break;
      }
      sum += value;
    }
    if (!missing) metrics.set(item.metadata?.name ?? '', { value: sum, timestamp: timeOf(item.timestamp), window: windowOf(item.window) });
  }
  return metrics;
}

/** One container's usage of a resource per pod; pods without that container (or that resource) are left out. */
export function containerResourceMetrics(list: PodMetricsList, resource: string, container: string): PodMetricsInfo {
  const metrics: PodMetricsInfo = new Map();
  for (const item of itemsOf(list)) {
    const found = (Array.isArray(item.containers) ? item.containers : []).find((c) => c?.name === container);
    const value = milli(found?.usage?.[resource]);
    if (value !== undefined) metrics.set(item.metadata?.name ?? '', { value, timestamp: timeOf(item.timestamp), window: windowOf(item.window) });
  }
  return metrics;
}

/** The group-qualified resource (`deployments.apps`, `pods`) as the custom metrics API paths name it. */
function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** Upstream's message for a group the apiserver does not serve (its 404 without a Status of its own). */
function describeNotFound(err: unknown, resource: string): unknown {
  if (isStatusError(err, 'NotFound') && err.message === 'the server could not find the requested resource') {
    return new Error(`${err.message} (get ${resource})`);
  }
  return err;
}

const segment = (text: string) => encodeURIComponent(text);

export class RestMetricsClient implements MetricsClient {
  constructor(
    private readonly rest: RestRequester,
    private readonly mapper: RestMapper,
  ) {}

  async getResourceMetric(resource: string, namespace: string, selector: string, container: string, signal?: AbortSignal): Promise<{ metrics: PodMetricsInfo; timestamp: number }> {
    let list: PodMetricsList;
    try {
      list = await this.rest.request<PodMetricsList>('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${segment(namespace)}/pods`, { query: { labelSelector: selector }, signal });
    } catch (err) {
      throw new Error(`unable to fetch metrics from resource metrics API: ${(describeNotFound(err, 'pods.metrics.k8s.io') as Error).message}`);
    }
    const items = itemsOf(list);
    if (items.length === 0) throw new Error('no metrics returned from resource metrics API');
    const metrics = container ? containerResourceMetrics(list, resource, container) : podResourceMetrics(list, resource);
    return { metrics, timestamp: timeOf(items[0].timestamp) };
  }

  /** custom.metrics.k8s.io, or upstream's error when no such API is registered. */
  private async custom<T>(path: string, query: Record<string, string>, signal?: AbortSignal): Promise<T> {
    if (!(await this.mapper.servesGroup('custom.metrics.k8s.io', signal))) throw new Error('no custom metrics API (custom.metrics.k8s.io) registered');
    return this.rest.request<T>('GET', `/apis/custom.metrics.k8s.io/v1beta2${path}`, { query, signal });
  }

  async getRawMetric(metricName: string, namespace: string, selector: string, metricSelector: string, signal?: AbortSignal): Promise<{ metrics: PodMetricsInfo; timestamp: number }> {
    let list: MetricValueList;
    try {
      list = await this.custom<MetricValueList>(`/namespaces/${segment(namespace)}/pods/*/${segment(metricName)}`, { labelSelector: selector, metricLabelSelector: metricSelector }, signal);
    } catch (err) {
      throw new Error(`unable to fetch metrics from custom metrics API: ${(err as Error).message}`);
    }
    const items = itemsOf(list);
    if (items.length === 0) throw new Error('no metrics returned from custom metrics API');
    const metrics: PodMetricsInfo = new Map();
    for (const item of items) {
      const value = milli(item.value);
      if (value === undefined) continue;
      const window = typeof item.windowSeconds === 'number' ? item.windowSeconds * 1000 : defaultMetricWindowMs;
      metrics.set(item.describedObject?.name ?? '', { value, timestamp: timeOf(item.timestamp), window });
    }
    return { metrics, timestamp: timeOf(items[0].timestamp) };
  }

  async getObjectMetric(metricName: string, namespace: string, objectRef: CrossVersionObjectReference, metricSelector: string, signal?: AbortSignal): Promise<{ value: number; timestamp: number }> {
    let list: MetricValueList;
    try {
      const { group } = parseGroupVersion(objectRef.apiVersion);
      const kind = objectRef.kind ?? '';
      let path: string;
      if (kind === 'Namespace' && group === '') {
        // The object's namespace is the HPA's: a reference cannot reach out of it.
        path = `/namespaces/${segment(namespace)}/metrics/${segment(metricName)}`;
      } else {
        let resource: string;
        try {
          resource = (await this.mapper.mappings(group, kind, signal))[0].resource;
        } catch (err) {
          throw new Error(`unable to map kind ${group ? `${kind}.${group}` : kind} to resource: ${(err as Error).message}`);
        }
        path = `/namespaces/${segment(namespace)}/${segment(qualifiedResource(group, resource))}/${segment(objectRef.name ?? '')}/${segment(metricName)}`;
      }
      list = await this.custom<MetricValueList>(path, { metricLabelSelector: metricSelector }, signal);
      const count = itemsOf(list).length;
      if (count !== 1) throw new Error(`the custom metrics API server returned ${count} results when we asked for exactly one`);
    } catch (err) {
      throw new Error(`unable to fetch metrics from custom metrics API: ${(err as Error).message}`);
    }
    const item = itemsOf(list)[0];
    return { value: milli(item.value) ?? 0, timestamp: timeOf(item.timestamp) };
  }

  async getExternalMetric(metricName: string, namespace: string, selector: string, signal?: AbortSignal): Promise<{ values: number[]; timestamp: number }> {
    let list: ExternalMetricValueList;
    try {
      list = await this.rest.request<ExternalMetricValueList>('GET', `/apis/external.metrics.k8s.io/v1beta1/namespaces/${segment(namespace)}/${segment(metricName)}`, {
        query: { labelSelector: selector },
        signal,
      });
    } catch (err) {
      throw new Error(`unable to fetch metrics from external metrics API: ${(describeNotFound(err, `${metricName}.external.metrics.k8s.io`) as Error).message}`);
    }
    const items = itemsOf(list);
    if (items.length === 0) throw new Error('no metrics returned from external metrics API');
    const values = items.map((item) => milli(item.value)).filter((value): value is number => value !== undefined);
    return { values, timestamp: timeOf(items[0].timestamp) };
  }
}
