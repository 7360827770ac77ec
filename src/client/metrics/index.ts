/** Metrics of the client's parts (work queues, leader election, REST client) and the controller manager's registry. */
export { ControllerManagerMetrics, upstreamQueueNames, type ControllerManagerMetricsOptions } from './controller-manager-metrics.js';
export { WorkQueueMetrics, workQueueBuckets, type WorkQueueMetricsOptions } from './workqueue-metrics.js';
export { LeaderElectionMetrics } from './leader-election-metrics.js';
export { RestClientMetrics, restClientLatencyBuckets, type RestClientMetricsRecorder } from './rest-client-metrics.js';
export { registerProcessMetrics } from './process-metrics.js';
