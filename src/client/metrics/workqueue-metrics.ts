/**
 * Work queue metrics with client-go's names, labels, help texts and buckets
 * (k8s.io/component-base/metrics/prometheus/workqueue): every named queue
 * reports adds, depth, how long keys wait and how long workers take, work
 * still in progress, and retries — one series per queue name.
 *
 *   WorkQueue.add ─► adds_total, depth +1, key's add time
 *   WorkQueue.get ─► depth −1, queue_duration_seconds, key's start time
 *   WorkQueue.done ─► work_duration_seconds
 *   scrape ─► unfinished_work_seconds, longest_running_processor_seconds (from the start times)
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { WorkQueueMetricsProvider, WorkQueueMetricsRecorder } from '../workqueue.js';

/** client-go's buckets: 10 ns to 10 s, ten of them (ExponentialBuckets(10e-9, 10, 10)). */
export const workQueueBuckets = Array.from({ length: 10 }, (_, i) => Number((1e-8 * 10 ** i).toPrecision(1)));

export interface WorkQueueMetricsOptions {
  /** Milliseconds now (tests move it). */
  now?: () => number;
  /** Names to report instead of the given ones (kube-controller-manager's queue names). */
  rename?: Record<string, string>;
}

export class WorkQueueMetrics implements WorkQueueMetricsProvider {
  private readonly adds: Counter<'name'>;
  private readonly depth: Gauge<'name'>;
  private readonly queueDuration: Histogram<'name'>;
  private readonly workDuration: Histogram<'name'>;
  private readonly retries: Counter<'name'>;
  private readonly now: () => number;
  /** Queues running now: what unfinished work is computed from at each scrape. */
  private readonly live = new Set<QueueRecorder<unknown>>();
  /** Every name seen, so a queue that stopped reports 0 rather than vanishing. */
  private readonly names = new Set<string>();

  constructor(
    registry: Registry,
    private readonly options: WorkQueueMetricsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    const registers = [registry];
    this.depth = new Gauge({ name: 'workqueue_depth', help: '[ALPHA] Current depth of workqueue', labelNames: ['name'], registers });
    this.adds = new Counter({ name: 'workqueue_adds_total', help: '[ALPHA] Total number of adds handled by workqueue', labelNames: ['name'], registers });
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: '[ALPHA] How long in seconds an item stays in workqueue before being requested.',
      labelNames: ['name'],
      buckets: workQueueBuckets,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: '[ALPHA] How long in seconds processing an item from workqueue takes.',
      labelNames: ['name'],
      buckets: workQueueBuckets,
      registers,
    });
    const unfinished = (longest: boolean) => () => this.unfinishedWork(longest);
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: "[ALPHA] How many seconds of work has done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames: ['name'],
      registers,
      collect() {
        for (const [name, seconds] of unfinished(false)()) this.set({ name }, seconds);
      },
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: '[ALPHA] How many seconds has the longest running processor for workqueue been running.',
      labelNames: ['name'],
      registers,
      collect() {
        for (const [name, seconds] of unfinished(true)()) this.set({ name }, seconds);
      },
    });
    this.retries = new Counter({ name: 'workqueue_retries_total', help: '[ALPHA] Total number of retries handled by workqueue', labelNames: ['name'], registers });
  }

  forQueue<K>(given: string): WorkQueueMetricsRecorder<K> {
    const name = this.options.rename?.[given] ?? given;
    this.names.add(name);
    const recorder: QueueRecorder<K> = new QueueRecorder<K>(
      {
        depth: this.depth.labels(name),
        adds: this.adds.labels(name),
        queueDuration: this.queueDuration.labels(name),
        workDuration: this.workDuration.labels(name),
        retries: this.retries.labels(name),
      },
      name,
      this.now,
      () => this.live.delete(recorder as QueueRecorder<unknown>),
    );
    this.live.add(recorder as QueueRecorder<unknown>);
    return recorder;
  }

  /** Per name: the sum of the ages of keys in progress, or the oldest one (client-go's updateUnfinishedWork). */
  private unfinishedWork(longest: boolean): Map<string, number> {
    const now = this.now();
    const result = new Map<string, number>([...this.names].map((name) => [name, 0]));
    for (const recorder of this.live) {
      for (const started of recorder.processingStarts.values()) {
        const age = Math.max(0, now - started) / 1000;
        const current = result.get(recorder.name) ?? 0;
        result.set(recorder.name, longest ? Math.max(current, age) : current + age);
      }
    }
    return result;
  }
}

interface QueueSeries {
  depth: { inc(value?: number): void; dec(value?: number): void };
  adds: { inc(): void };
  queueDuration: { observe(value: number): void };
  workDuration: { observe(value: number): void };
  retries: { inc(): void };
}

/** One queue's bookkeeping: when each key was added and when its processing began. */
class QueueRecorder<K> implements WorkQueueMetricsRecorder<K> {
  private readonly addTimes = new Map<K, number>();
  readonly processingStarts = new Map<K, number>();
  /** This queue's share of the depth gauge (the name's series may outlive it: a new term's queue). */
  private depth = 0;

  constructor(
    private readonly series: QueueSeries,
    readonly name: string,
    private readonly now: () => number,
    private readonly stopped: () => void,
  ) {}

  add(key: K): void {
    this.series.adds.inc();
    this.series.depth.inc();
    this.depth++;
    if (!this.addTimes.has(key)) this.addTimes.set(key, this.now());
  }

  get(key: K): void {
    this.series.depth.dec();
    this.depth--;
    const now = this.now();
    this.processingStarts.set(key, now);
    const added = this.addTimes.get(key);
    if (added !== undefined) {
      this.series.queueDuration.observe(Math.max(0, now - added) / 1000);
      this.addTimes.delete(key);
    }
  }

  done(key: K): void {
    const started = this.processingStarts.get(key);
    if (started === undefined) return;
    this.series.workDuration.observe(Math.max(0, this.now() - started) / 1000);
    this.processingStarts.delete(key);
  }

  retry(): void {
    this.series.retries.inc();
  }

  /** Keys still queued are dropped with the queue: its share of the depth goes too. */
  shutDown(): void {
    if (this.depth) this.series.depth.dec(this.depth);
    this.depth = 0;
    this.addTimes.clear();
    this.processingStarts.clear();
    this.stopped();
  }
}
