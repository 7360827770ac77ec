/**
 * Preemption's metrics: an attempt each time DefaultPreemption's PostFilter
 * runs (as upstream counts it), and the number of victims it evicted. The
 * plugin tells the scheduler nothing of its victims but a `Preempted` event
 * for each, so the victims are the Preempted events recorded while its
 * PostFilter runs — scheduling cycles run one at a time, so no other
 * preemption can be under way meanwhile.
 */
import type { EventRecorder } from '../../client/index.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';

export class PreemptionMetrics {
  /** Victims seen so far in the PostFilter under way; undefined outside one. */
  private victims: number | undefined;

  constructor(private readonly metrics: SchedulerMetrics) {}

  /** The recorder plugins get: the same recorder, which also counts the victims of the preemption under way. */
  recorderFor(recorder: EventRecorder): EventRecorder {
    const event: EventRecorder['event'] = (object, type, reason, message) => {
      if (reason === 'Preempted' && this.victims !== undefined) this.victims++;
      recorder.event(object, type, reason, message);
    };
    return new Proxy(recorder, {
      get(target, name) {
        if (name === 'event') return event;
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Runs one preemption PostFilter: counted as an attempt, its victims observed if it evicted any. */
  async during<T>(postFilter: () => Promise<T>): Promise<T> {
    this.metrics.preemptionAttempt();
    this.victims = 0;
    try {
      return await postFilter();
    } finally {
      if (this.victims) this.metrics.preemptionVictims(this.victims);
      this.victims = undefined;
    }
  }
}
