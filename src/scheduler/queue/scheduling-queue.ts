/**
 * The scheduling queue, after upstream's PriorityQueue:
 *   - activeQ: pods ready to be tried, ordered by the profile's QueueSort
 *     (priority, then age);
 *   - backoffQ: pods that failed, each waiting out its backoff (1 s doubling
 *     per attempt, at most 10 s by default) before going back to activeQ;
 *   - unschedulable: pods no node fits, parked until a cluster event that
 *     could help one of the plugins that rejected them (a node added or
 *     changed, a pod deleted, …) — or for five minutes at most;
 *   - gated: pods a PreEnqueue plugin holds back (scheduling gates).
 * `pop()` waits for a pod; `close()` wakes every waiter with undefined.
 */
import type { ClusterEvent, QueuedPodInfo } from '../framework/interface.js';
import type { Pod } from '../types.js';
import { KeyedHeap } from './heap.js';

export interface QueueOptions {
  less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  /** Whether PreEnqueue lets the pod in (false: it is gated). */
  preEnqueue: (pod: Pod) => boolean;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Longest stay in the unschedulable set before a retry anyway. */
  maxUnschedulableMs?: number;
  now?: () => number;
  /** Which events can help a pod rejected by a plugin (undefined: any event). */
  eventsFor?: (plugin: string) => Set<ClusterEvent> | undefined;
}

export const podKey = (pod: Pod): string => `${pod.metadata.namespace}/${pod.metadata.name}`;
const infoKey = (info: QueuedPodInfo): string => podKey(info.pod);

export class SchedulingQueue {
  private readonly active: KeyedHeap<QueuedPodInfo>;
  private readonly backoff: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly gated = new Map<string, QueuedPodInfo>();
  /** Pods popped and being scheduled: an update meanwhile is kept for their return. */
  private readonly inFlight = new Set<string>();
  private readonly waiters: ((info: QueuedPodInfo | undefined) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  /** Bumped by every move event; a pod that failed during a move goes to backoff, not unschedulable. */
  private moveRequestCycle = 0;
  private schedulingCycle = 0;

  constructor(private readonly options: QueueOptions) {
    this.now = options.now ?? Date.now;
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = options.maxUnschedulableMs ?? 5 * 60_000;
    this.active = new KeyedHeap(infoKey, options.less);
    this.backoff = new KeyedHeap(infoKey, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  get sizes(): { active: number; backoff: number; unschedulable: number; gated: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, gated: this.gated.size };
  }

  private backoffExpiry(info: QueuedPodInfo): number {
    const duration = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, info.attempts - 1));
    return info.timestamp + duration;
  }

  /** A new pending pod (or one seen again after a relist). */
  add(pod: Pod): void {
    const key = podKey(pod);
    if (this.has(key)) return this.update(pod);
    const info: QueuedPodInfo = { pod, timestamp: this.now(), attempts: 0, unschedulablePlugins: new Set() };
    this.toActiveOrGated(info);
  }

  private has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key) || this.gated.has(key);
  }

  private toActiveOrGated(info: QueuedPodInfo): void {
    const key = infoKey(info);
    if (!this.options.preEnqueue(info.pod)) {
      info.gated = true;
      this.gated.set(key, info);
      return;
    }
    info.gated = false;
    this.gated.delete(key);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.inFlight.add(key);
      info.attempts++;
      waiter(info);
      return;
    }
    this.active.push(info);
  }

  /** The pod changed: keep its place, with the new object; an ungated or changed unschedulable pod gets another try. */
  update(pod: Pod): void {
    const key = podKey(pod);
    for (const heap of [this.active, this.backoff]) {
      const info = heap.get(key);
      if (info) {
        heap.push({ ...info, pod });
        return;
      }
    }
    const parked = this.unschedulable.get(key) ?? this.gated.get(key);
    if (parked) {
      this.unschedulable.delete(key);
      this.gated.delete(key);
      const info = { ...parked, pod };
      if (!parked.gated && this.backoffExpiry(info) > this.now()) this.pushBackoff(info);
      else this.toActiveOrGated(info);
      return;
    }
    if (!this.inFlight.has(key)) this.add(pod);
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.gated.delete(key);
  }

  /** Waits for the next pod to schedule; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    this.schedulingCycle++;
    const info = this.active.pop();
    if (info) {
      this.inFlight.add(infoKey(info));
      info.attempts++;
      return Promise.resolve(info);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends a pod's turn: scheduled (or gone) pods leave, others are requeued with `requeue`. */
  done(pod: Pod): void {
    this.inFlight.delete(podKey(pod));
  }

  /**
   * Returns a pod that could not be scheduled. If a cluster event happened
   * while it was being tried, it goes to backoff (the event may have
   * helped); otherwise it waits in the unschedulable set for one.
   */
  requeueUnschedulable(info: QueuedPodInfo, rejectedBy: Set<string>, cycleAtPop: number): void {
    const key = infoKey(info);
    this.inFlight.delete(key);
    if (this.closed || this.has(key)) return;
    info.unschedulablePlugins = rejectedBy;
    info.timestamp = this.now();
    if (this.moveRequestCycle >= cycleAtPop) this.pushBackoff(info);
    else this.unschedulable.set(key, info);
  }

  /** Returns a pod whose attempt failed with an error: it retries after its backoff. */
  requeueAfterError(info: QueuedPodInfo): void {
    const key = infoKey(info);
    this.inFlight.delete(key);
    if (this.closed || this.has(key)) return;
    info.timestamp = this.now();
    this.pushBackoff(info);
  }

  /** The cycle number a pod is popped in (to compare with later move events). */
  get currentCycle(): number {
    return this.schedulingCycle;
  }

  private pushBackoff(info: QueuedPodInfo): void {
    this.backoff.push(info);
    this.armTimer();
  }

  /** A cluster event: unschedulable pods that one of their rejecting plugins cares about move on. */
  moveOnEvent(event: ClusterEvent): void {
    this.moveRequestCycle = this.schedulingCycle;
    const now = this.now();
    for (const [key, info] of this.unschedulable) {
      if (!this.eventHelps(info, event)) continue;
      this.unschedulable.delete(key);
      if (this.backoffExpiry(info) > now) this.pushBackoff(info);
      else this.toActiveOrGated(info);
    }
  }

  private eventHelps(info: QueuedPodInfo, event: ClusterEvent): boolean {
    if (!this.options.eventsFor || info.unschedulablePlugins.size === 0) return true;
    for (const plugin of info.unschedulablePlugins) {
      const events = this.options.eventsFor(plugin);
      if (!events || events.has(event)) return true;
    }
    return false;
  }

  /** Moves expired backoffs to active and old unschedulable pods back (called on a timer). */
  flush(): void {
    const now = this.now();
    for (let top = this.backoff.peek(); top && this.backoffExpiry(top) <= now; top = this.backoff.peek()) {
      this.backoff.pop();
      this.toActiveOrGated(top);
    }
    for (const [key, info] of this.unschedulable) {
      if (now - info.timestamp >= this.maxUnschedulableMs) {
        this.unschedulable.delete(key);
        this.toActiveOrGated(info);
      }
    }
    this.armTimer();
  }

  private armTimer(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    const top = this.backoff.peek();
    // The next backoff expiry, or a periodic look at long-unschedulable pods.
    const delay = top ? Math.max(0, this.backoffExpiry(top) - this.now()) : this.unschedulable.size ? 30_000 : undefined;
    if (delay === undefined) {
      this.timer = undefined;
      return;
    }
    this.timer = setTimeout(() => this.flush(), Math.min(delay, 30_000) + 1);
    this.timer.unref();
  }

  /** Pods the queue holds (for tests and metrics). */
  pendingPods(): Pod[] {
    return [...this.active.values(), ...this.backoff.values(), ...this.unschedulable.values(), ...this.gated.values()].map((i) => i.pod);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}
