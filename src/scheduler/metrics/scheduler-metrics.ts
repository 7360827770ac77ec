/**
 * kube-scheduler's metrics with upstream v1.32's names, types, labels, help
 * texts (with their stability level, as component-base prints them) and
 * buckets (k8s.io/kubernetes/pkg/scheduler/metrics), in a registry of the
 * scheduler's own, with its leader election and the process.
 *
 * The Scheduler records attempts and scheduled pods; the instrumented queue
 * (instrumented-queue.ts) what enters which queue; the instrumented
 * framework (instrumented-framework.ts) extension points, plugins and
 * preemption. Pending pods are read from the queue at each scrape.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LeaderElectionMetrics } from '../../client/metrics/leader-election-metrics.js';
import { registerProcessMetrics } from '../../client/metrics/process-metrics.js';
import { RestClientMetrics } from '../../client/metrics/rest-client-metrics.js';
import { PreemptionMetrics } from './preemption.js';

/** Prometheus's ExponentialBuckets(start, factor, count). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number((start * factor ** i).toPrecision(12)));
}

export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';
export type QueueName = 'active' | 'backoff' | 'unschedulable' | 'gated';
export type QueueSizes = Record<QueueName, number>;

export interface SchedulerMetricsOptions {
  /** process_* and nodejs_* families (default true; false when another registry of the process has them). */
  processMetrics?: boolean;
  /**
   * Percentage of scheduling cycles whose plugins are timed one by one
   * (upstream samples 10 %: a plugin runs once per node in Filter and Score).
   */
  pluginMetricsSamplePercent?: number;
  /** Random numbers in [0, 1) for the sampling (tests make it deterministic). */
  random?: () => number;
}

/** Upstream caps the attempts label so its values stay few. */
export function attemptsLabel(attempts: number): string {
  return attempts >= 15 ? '15+' : String(attempts);
}

type PluginSeries = { observe(value: number): void };

export class SchedulerMetrics {
  readonly registry = new Registry();
  /** Give to the scheduler's ManagerOptions.metrics: leader_election_master_status of kube-scheduler. */
  readonly leaderElection: LeaderElectionMetrics;
  /** For the REST client's metrics hook. */
  readonly restClient: RestClientMetrics;
  /** Attempts and victims of preemption; its recorder goes to the plugins' handle. */
  readonly preemption: PreemptionMetrics;
  readonly pluginMetricsSamplePercent: number;
  readonly random: () => number;
  private readonly attempts: Counter<'result' | 'profile'>;
  private readonly attemptDuration: Histogram<'result' | 'profile'>;
  private readonly podAttempts: Histogram;
  private readonly podSchedulingSLI: Histogram<'attempts'>;
  private readonly extensionPointDuration: Histogram<'extension_point' | 'status' | 'profile'>;
  private readonly pluginDuration: Histogram<'plugin' | 'extension_point' | 'status'>;
  /** Children of the plugin histogram by plugin, extension point and status: Filter runs once per node. */
  private readonly pluginSeries = new Map<string, PluginSeries>();
  private readonly incoming: Counter<'queue' | 'event'>;
  private readonly preemptionAttempts: Counter;
  private readonly victims: Histogram;
  /** The queue of the scheduler running now (one per leadership term). */
  private queue: { readonly sizes: QueueSizes } | undefined;

  constructor(options: SchedulerMetricsOptions = {}) {
    this.pluginMetricsSamplePercent = options.pluginMetricsSamplePercent ?? 10;
    this.random = options.random ?? Math.random;
    const registers = [this.registry];
    this.attempts = new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: "[STABLE] Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.",
      labelNames: ['result', 'profile'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: '[STABLE] Scheduling attempt latency in seconds (scheduling algorithm + binding)',
      labelNames: ['result', 'profile'],
      buckets: exponentialBuckets(0.001, 2, 15),
      registers,
    });
    const queueSizes = () => this.queue?.sizes;
    new Gauge({
      name: 'scheduler_pending_pods',
      help: "[STABLE] Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.",
      labelNames: ['queue'],
      registers,
      collect() {
        const sizes = queueSizes();
        for (const queue of ['active', 'backoff', 'unschedulable', 'gated'] as const) this.set({ queue }, sizes?.[queue] ?? 0);
      },
    });
    this.podAttempts = new Histogram({
      name: 'scheduler_pod_scheduling_attempts',
      help: '[STABLE] Number of attempts to successfully schedule a pod.',
      buckets: exponentialBuckets(1, 2, 5),
      registers,
    });
    this.podSchedulingSLI = new Histogram({
      name: 'scheduler_pod_scheduling_sli_duration_seconds',
      help: '[BETA] E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue and might involve multiple scheduling attempts.',
      labelNames: ['attempts'],
      buckets: exponentialBuckets(0.01, 2, 20),
      registers,
    });
    this.extensionPointDuration = new Histogram({
      name: 'scheduler_framework_extension_point_duration_seconds',
      help: '[STABLE] Latency for running all plugins of a specific extension point.',
      labelNames: ['extension_point', 'status', 'profile'],
      buckets: exponentialBuckets(0.0001, 2, 12),
      registers,
    });
    this.pluginDuration = new Histogram({
      name: 'scheduler_plugin_execution_duration_seconds',
      help: '[ALPHA] Duration for running a plugin at a specific extension point.',
      labelNames: ['plugin', 'extension_point', 'status'],
      buckets: exponentialBuckets(0.00001, 1.5, 20),
      registers,
    });
    this.incoming = new Counter({
      name: 'scheduler_queue_incoming_pods_total',
      help: '[STABLE] Number of pods added to scheduling queues by event and queue type.',
      labelNames: ['queue', 'event'],
      registers,
    });
    this.preemptionAttempts = new Counter({
      name: 'scheduler_preemption_attempts_total',
      help: '[STABLE] Total preemption attempts in the cluster till now',
      registers,
    });
    this.victims = new Histogram({
      name: 'scheduler_preemption_victims',
      help: '[STABLE] Number of selected preemption victims',
      buckets: exponentialBuckets(1, 2, 7),
      registers,
    });
    this.preemption = new PreemptionMetrics(this);
    this.leaderElection = new LeaderElectionMetrics(this.registry);
    this.restClient = new RestClientMetrics(this.registry);
    if (options.processMetrics ?? true) registerProcessMetrics(this.registry);
  }

  /** One scheduling attempt ended: bound, unschedulable, or failed. */
  attempt(result: AttemptResult, profile: string, seconds: number): void {
    this.attempts.inc({ result, profile });
    this.attemptDuration.observe({ result, profile }, seconds);
  }

  /** A pod was bound after `attempts` attempts, `sinceFirstAttemptSeconds` after it entered the queue (if known). */
  podScheduled(attempts: number, sinceFirstAttemptSeconds: number | undefined): void {
    this.podAttempts.observe(attempts);
    if (sinceFirstAttemptSeconds !== undefined) this.podSchedulingSLI.observe({ attempts: attemptsLabel(attempts) }, sinceFirstAttemptSeconds);
  }

  extensionPoint(extensionPoint: string, status: string, profile: string, seconds: number): void {
    this.extensionPointDuration.observe({ extension_point: extensionPoint, status, profile }, seconds);
  }

  plugin(plugin: string, extensionPoint: string, status: string, seconds: number): void {
    const key = `${plugin}\u0000${extensionPoint}\u0000${status}`;
    let series = this.pluginSeries.get(key);
    if (!series) this.pluginSeries.set(key, (series = this.pluginDuration.labels(plugin, extensionPoint, status)));
    series.observe(seconds);
  }

  /** Pods that entered a queue because of an event (upstream's event labels: NodeAdd, ScheduleAttemptFailure, …). */
  incomingPods(queue: Exclude<QueueName, 'gated'>, event: string, count = 1): void {
    if (count > 0) this.incoming.inc({ queue, event }, count);
  }

  preemptionAttempt(): void {
    this.preemptionAttempts.inc();
  }

  preemptionVictims(count: number): void {
    this.victims.observe(count);
  }

  /** The queue whose sizes scheduler_pending_pods reports (the current term's). */
  watchQueue(queue: { readonly sizes: QueueSizes }): void {
    this.queue = queue;
  }

  /** A queue closed: if it was the one watched, no pods are pending any more. */
  releaseQueue(queue: { readonly sizes: QueueSizes }): void {
    if (this.queue === queue) this.queue = undefined;
  }
}
