/**
 * The process_* families (CPU, memory, file descriptors, start time) and
 * Node's runtime families — what Go components expose as process_* and go_* —
 * in a component's own registry. Components sharing a process each get their
 * own copy, so each /metrics stands alone as upstream's do.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's gauges that end in `_total`, which Prometheus reserves for
 * counters (promtool rejects them); their per-type twins without the suffix stay.
 */
const misnamedGauges = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of misnamedGauges) registry.removeSingleMetric(name);
}
