/** kube-scheduler's metrics: the registry, and the instrumented queue and framework the Scheduler uses when given it. */
export { SchedulerMetrics, attemptsLabel, exponentialBuckets, type SchedulerMetricsOptions, type AttemptResult, type QueueSizes } from './scheduler-metrics.js';
export { InstrumentedSchedulingQueue } from './instrumented-queue.js';
export { InstrumentedFramework } from './instrumented-framework.js';
export { PreemptionMetrics } from './preemption.js';
