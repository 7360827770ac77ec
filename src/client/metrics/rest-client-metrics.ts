/**
 * The client's request metrics with client-go's names, labels and buckets
 * (k8s.io/component-base/metrics/prometheus/restclient): every attempt
 * counted by its answer's code (`<error>` when none came back), and every
 * request timed from its first attempt to its final answer, retries included.
 * Label values stay few: methods, the server's host:port, and status codes.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** What the REST client reports (the hook it calls; see the module comment). */
export interface RestClientMetricsRecorder {
  /** One attempt's outcome: the HTTP status code, or `<error>` for a network failure. */
  requestResult(code: string, method: string, host: string): void;
  /** One request, first attempt to final answer. */
  requestLatency(verb: string, host: string, seconds: number): void;
}

export const restClientLatencyBuckets = [0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0];

export class RestClientMetrics implements RestClientMetricsRecorder {
  private readonly results: Counter<'code' | 'method' | 'host'>;
  private readonly latency: Histogram<'verb' | 'host'>;

  constructor(registry: Registry) {
    this.results = new Counter({
      name: 'rest_client_requests_total',
      help: '[ALPHA] Number of HTTP requests, partitioned by status code, method, and host.',
      labelNames: ['code', 'method', 'host'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'rest_client_request_duration_seconds',
      help: '[ALPHA] Request latency in seconds. Broken down by verb, and host.',
      labelNames: ['verb', 'host'],
      buckets: restClientLatencyBuckets,
      registers: [registry],
    });
  }

  requestResult(code: string, method: string, host: string): void {
    // An unexpected code is still a number (or client-go's `<error>`): nothing else becomes a label.
    const label = /^\d{3}$/.test(code) ? code : '<error>';
    this.results.inc({ code: label, method: method.toUpperCase(), host });
  }

  requestLatency(verb: string, host: string, seconds: number): void {
    this.latency.observe({ verb: verb.toUpperCase(), host }, seconds);
  }
}
