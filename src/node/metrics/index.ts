/** The node agent's metrics: what the agent wires in (README.md says how). */
export { nodeMetricsHandler, type NodeMetricsSources } from './handler.js';
export { NodeStatsProvider, type StatsPod, type StatsProviderOptions, type StatsRuntime, type StatsSnapshot } from './stats.js';
export { KubeletMetrics, runtimeStateOf, type ContainerType, type KubeletMetricsOptions, type KubeletMetricsRecorder, type PodWorkerOperation } from './kubelet-metrics.js';
export { instrumentRuntime, runtimeOperationNames } from './instrumented-runtime.js';
export { renderResourceMetrics } from './resource-metrics.js';
export { renderCadvisorMetrics } from './cadvisor-metrics.js';
