/**
 * The scheduling queue, counting what enters which of its queues and why
 * (scheduler_queue_incoming_pods_total) and reporting its sizes
 * (scheduler_pending_pods); it queues exactly as the plain one does.
 *
 *   into activeQ:     every pod PreEnqueue lets in — seen through the
 *                     preEnqueue callback, labelled with the event of the
 *                     operation under way (a waiting pop takes it at once)
 *   into backoffQ,    the growth of those queues over one operation
 *   unschedulable:    (add, update, a cluster event, a failed attempt)
 *   gated:            not counted, as upstream
 */
import type { ClusterEvent, QueuedPodInfo } from '../framework/interface.js';
import { SchedulingQueue, type QueueOptions } from '../queue/scheduling-queue.js';
import type { Pod } from '../types.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';

/** Upstream's labels of the events we move pods on (a ClusterEvent's resource, then its action). */
const eventLabels: Record<ClusterEvent, string> = {
  NodeAdd: 'NodeAdd',
  NodeUpdate: 'NodeUpdate',
  NodeDelete: 'NodeDelete',
  AssignedPodAdd: 'AssignedPodAdd',
  AssignedPodUpdate: 'AssignedPodUpdate',
  AssignedPodDelete: 'AssignedPodDelete',
  PvcAdd: 'PersistentVolumeClaimAdd',
  PvcUpdate: 'PersistentVolumeClaimUpdate',
  PvcDelete: 'PersistentVolumeClaimDelete',
  PvAdd: 'PersistentVolumeAdd',
  PvUpdate: 'PersistentVolumeUpdate',
  StorageClassAdd: 'storage.k8s.io/StorageClassAdd',
};

export const unscheduledPodAdd = 'UnschedulablePodAdd';
export const unscheduledPodUpdate = 'UnschedulablePodUpdate';
export const scheduleAttemptFailure = 'ScheduleAttemptFailure';
export const backoffComplete = 'BackoffComplete';
export const unschedulableTimeout = 'UnschedulableTimeout';

export class InstrumentedSchedulingQueue extends SchedulingQueue {
  private readonly metrics: SchedulerMetrics;
  /** The event of the operation under way (undefined: the queue's own timer is flushing). */
  private event: string | undefined;
  /** During a flush: the unschedulable count when it began (its second pass shrinks it). */
  private unschedulableAtFlush: number | undefined;

  constructor(options: QueueOptions, metrics: SchedulerMetrics) {
    const self: { queue?: InstrumentedSchedulingQueue } = {};
    super({
      ...options,
      preEnqueue: (pod: Pod) => {
        const admitted = options.preEnqueue(pod);
        if (admitted) self.queue?.enteredActive();
        return admitted;
      },
    });
    self.queue = this;
    this.metrics = metrics;
    metrics.watchQueue(this);
  }

  override add(pod: Pod): void {
    this.during(unscheduledPodAdd, () => super.add(pod));
  }

  override update(pod: Pod): void {
    this.during(unscheduledPodUpdate, () => super.update(pod));
  }

  override moveOnEvent(event: ClusterEvent): void {
    this.during(eventLabels[event] ?? event, () => super.moveOnEvent(event));
  }

  override requeueUnschedulable(info: QueuedPodInfo, rejectedBy: Set<string>, cycleAtPop: number): void {
    this.during(scheduleAttemptFailure, () => super.requeueUnschedulable(info, rejectedBy, cycleAtPop));
  }

  override requeueAfterError(info: QueuedPodInfo): void {
    this.during(scheduleAttemptFailure, () => super.requeueAfterError(info));
  }

  override flush(): void {
    this.unschedulableAtFlush = this.sizes.unschedulable;
    try {
      super.flush();
    } finally {
      this.unschedulableAtFlush = undefined;
    }
  }

  /** Marks a pod's first attempt: the start of scheduler_pod_scheduling_sli_duration_seconds is when it entered the queue. */
  override async pop(): Promise<QueuedPodInfo | undefined> {
    const info = await super.pop();
    if (info && info.initialAttemptTimestamp === undefined) info.initialAttemptTimestamp = info.timestamp;
    return info;
  }

  override close(): void {
    super.close();
    this.metrics.releaseQueue(this);
  }

  /** Runs one queue operation caused by `event`, counting the pods it put into backoff or unschedulable. */
  private during(event: string, operation: () => void): void {
    // An operation that calls another (update adding a pod it did not hold) keeps the outer event.
    if (this.event !== undefined) return operation();
    const before = this.sizes;
    this.event = event;
    try {
      operation();
    } finally {
      this.event = undefined;
      const after = this.sizes;
      this.metrics.incomingPods('backoff', event, after.backoff - before.backoff);
      this.metrics.incomingPods('unschedulable', event, after.unschedulable - before.unschedulable);
    }
  }

  private enteredActive(): void {
    this.metrics.incomingPods('active', this.event ?? this.flushEvent());
  }

  /** A flush moves expired backoffs first, then pods parked too long: the unschedulable count tells which pass is under way. */
  private flushEvent(): string {
    return this.unschedulableAtFlush !== undefined && this.sizes.unschedulable < this.unschedulableAtFlush ? unschedulableTimeout : backoffComplete;
  }
}
