/**
 * The agent's own `/metrics`: upstream's kubelet_* metrics (names, help
 * texts with their stability level, labels, buckets as pkg/kubelet/metrics)
 * in a Registry of this agent's, with the process's process_* and nodejs_*
 * (client/metrics' registerProcessMetrics). The pod worker and the agent
 * report through the recorder methods; running pods and containers are
 * counted from the runtime at each scrape, as the kubelet's relist counts them.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from '../../client/metrics/index.js';
import type { ContainerState, Runtime } from '../runtime/runtime.js';

/** Upstream's podStartupDurationBuckets. */
const podStartupDurationBuckets = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];
/** Prometheus' DefBuckets. */
const defaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Start, start×factor, … count of them (the Go client's ExponentialBuckets, multiplied the same way). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const buckets: number[] = [];
  for (let i = 0, value = start; i < count; i++, value *= factor) buckets.push(value);
  return buckets;
}

/** kubelet_started_containers_total's container_type. */
export type ContainerType = 'container' | 'init_container' | 'ephemeral_container';

/** kubelet_pod_worker_duration_seconds' operation_type (upstream's SyncPodType). */
export type PodWorkerOperation = 'create' | 'update' | 'sync' | 'kill';

/** What is running in the runtime now: pods with a ready sandbox, containers by state. */
export interface RuntimeState {
  runningPods: number;
  containers: Partial<Record<ContainerState, number>>;
}

/** Counts a runtime's sandboxes and containers (one list per sandbox, as the kubelet's relist). */
export async function runtimeStateOf(runtime: Pick<Runtime, 'listPodSandboxes' | 'listContainers'>): Promise<RuntimeState> {
  const state: RuntimeState = { runningPods: 0, containers: {} };
  for (const sandbox of await runtime.listPodSandboxes()) {
    if (sandbox.state === 'ready') state.runningPods++;
    for (const container of await runtime.listContainers(sandbox.id)) state.containers[container.state] = (state.containers[container.state] ?? 0) + 1;
  }
  return state;
}

export interface KubeletMetricsOptions {
  nodeName: string;
  /** Where kubelet_running_pods and kubelet_running_containers come from (runtimeStateOf(runtime)); left out without it. */
  runtimeState?: () => Promise<RuntimeState>;
  /** Add process_* and nodejs_* (default true; simulated nodes, many to a process, may leave them out). */
  processMetrics?: boolean;
}

export class KubeletMetrics {
  readonly registry = new Registry();
  /** The runtime's state for the scrape under way. */
  private runtimeRead: Promise<RuntimeState | undefined> | undefined;
  private readonly podStartDuration = new Histogram({
    name: 'kubelet_pod_start_duration_seconds',
    help: '[ALPHA] Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run',
    buckets: podStartupDurationBuckets,
    registers: [this.registry],
  });
  private readonly podWorkerDurationSeconds = new Histogram({
    name: 'kubelet_pod_worker_duration_seconds',
    help: '[ALPHA] Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync',
    labelNames: ['operation_type'],
    buckets: defaultBuckets,
    registers: [this.registry],
  });
  private readonly startedPods = new Counter({ name: 'kubelet_started_pods_total', help: '[ALPHA] Cumulative number of pods started', registers: [this.registry] });
  private readonly startedPodsErrors = new Counter({ name: 'kubelet_started_pods_errors_total', help: '[ALPHA] Cumulative number of errors when starting pods', registers: [this.registry] });
  private readonly startedContainers = new Counter({
    name: 'kubelet_started_containers_total',
    help: '[ALPHA] Cumulative number of containers started',
    labelNames: ['container_type'],
    registers: [this.registry],
  });
  private readonly startedContainersErrors = new Counter({
    name: 'kubelet_started_containers_errors_total',
    help: '[ALPHA] Cumulative number of errors when starting containers',
    labelNames: ['container_type', 'code'],
    registers: [this.registry],
  });
  private readonly runtimeOperations = new Counter({
    name: 'kubelet_runtime_operations_total',
    help: '[ALPHA] Cumulative number of runtime operations by operation type.',
    labelNames: ['operation_type'],
    registers: [this.registry],
  });
  private readonly runtimeOperationsDuration = new Histogram({
    name: 'kubelet_runtime_operations_duration_seconds',
    help: '[ALPHA] Duration in seconds of runtime operations. Broken down by operation type.',
    labelNames: ['operation_type'],
    buckets: exponentialBuckets(0.005, 2.5, 14),
    registers: [this.registry],
  });
  private readonly runtimeOperationsErrors = new Counter({
    name: 'kubelet_runtime_operations_errors_total',
    help: '[ALPHA] Cumulative number of runtime operation errors by operation type.',
    labelNames: ['operation_type'],
    registers: [this.registry],
  });
  private readonly evictions = new Counter({
    name: 'kubelet_evictions',
    help: '[ALPHA] Cumulative number of pod evictions by eviction signal',
    labelNames: ['eviction_signal'],
    registers: [this.registry],
  });

  constructor(options: KubeletMetricsOptions) {
    if (options.processMetrics ?? true) registerProcessMetrics(this.registry);
    new Gauge({ name: 'kubelet_node_name', help: "[ALPHA] The node's name. The count is always 1.", labelNames: ['node'], registers: [this.registry] }).set({ node: options.nodeName }, 1);
    const { runtimeState } = options;
    if (!runtimeState) return;
    // One read of the runtime serves both gauges of a scrape (text() starts each scrape afresh).
    const read = () => (this.runtimeRead ??= runtimeState().catch(() => undefined));
    const statesSeen = new Set<string>();
    new Gauge({
      name: 'kubelet_running_pods',
      help: '[ALPHA] Number of pods that have a running pod sandbox',
      registers: [this.registry],
      async collect() {
        const state = await read();
        if (state) this.set(state.runningPods);
      },
    });
    new Gauge({
      name: 'kubelet_running_containers',
      help: '[ALPHA] Number of containers currently running',
      labelNames: ['container_state'],
      registers: [this.registry],
      async collect() {
        const state = await read();
        if (!state) return;
        // A state seen once stays, at 0 when no container is in it now, rather than keep a stale count.
        for (const name of Object.keys(state.containers)) statesSeen.add(name);
        for (const name of statesSeen) this.set({ container_state: name }, state.containers[name as ContainerState] ?? 0);
      },
    });
  }

  /** The pod ran for the first time, this long after the agent first saw it. */
  podStarted(durationSeconds: number): void {
    this.podStartDuration.observe(durationSeconds);
  }

  /** One sync of a pod's worker took this long. */
  podWorkerDuration(operation: PodWorkerOperation, durationSeconds: number): void {
    this.podWorkerDurationSeconds.observe({ operation_type: operation }, durationSeconds);
  }

  /** A pod sandbox is about to be made (counted before the attempt, as upstream). */
  startedPod(): void {
    this.startedPods.inc();
  }

  /** Making it failed. */
  startedPodFailed(): void {
    this.startedPodsErrors.inc();
  }

  /** A container is about to be started (counted before the attempt, as upstream). */
  startedContainer(type: ContainerType): void {
    this.startedContainers.inc({ container_type: type });
  }

  /** Starting it failed: code is upstream's reason (CreateContainerConfigError, ErrImagePull, CreateContainerError, RunContainerError, PostStartHookError). */
  startedContainerFailed(type: ContainerType, code: string): void {
    this.startedContainersErrors.inc({ container_type: type, code });
  }

  /** A runtime operation (run_podsandbox, create_container …) took this long, and perhaps failed. */
  runtimeOperation(operation: string, durationSeconds: number, failed = false): void {
    this.runtimeOperations.inc({ operation_type: operation });
    this.runtimeOperationsDuration.observe({ operation_type: operation }, durationSeconds);
    if (failed) this.runtimeOperationsErrors.inc({ operation_type: operation });
  }

  /** The agent evicted a pod for this signal (memory.available, nodefs.available, emptydirfs.limit …). */
  evicted(signal: string): void {
    this.evictions.inc({ eviction_signal: signal });
  }

  /** The exposition (a scrape reads the runtime afresh). */
  async text(): Promise<string> {
    this.runtimeRead = undefined;
    return this.registry.metrics();
  }
}

/** The recorder the pod worker and the agent call (a KubeletMetrics is one); tests give their own. */
export type KubeletMetricsRecorder = Pick<
  KubeletMetrics,
  'podStarted' | 'podWorkerDuration' | 'startedPod' | 'startedPodFailed' | 'startedContainer' | 'startedContainerFailed' | 'runtimeOperation' | 'evicted'
>;
