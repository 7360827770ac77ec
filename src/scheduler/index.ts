/**
 * The scheduler component: what `skiff up` and `skiff server` start, and
 * `skiff scheduler` runs alone — under the `kube-scheduler` Lease, so
 * several can run and one schedules.
 */
import { Client, Manager, type ClientConfig, type ManagerOptions } from '../client/index.js';
import type { SchedulerConfiguration } from './config.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

export { Scheduler, numFeasibleNodesToFind, type SchedulerOptions, type SchedulerStats } from './scheduler.js';
export { loadSchedulerConfiguration, buildFramework, defaultSchedulerName, type SchedulerConfiguration, type ProfileConfig } from './config.js';
export { fitErrorMessage } from './messages.js';
export type * from './framework/interface.js';
export { Status } from './framework/status.js';
export { CycleState, StateKey } from './framework/cycle-state.js';

export interface RunSchedulerOptions extends ManagerOptions {
  config?: SchedulerConfiguration;
  random?: SchedulerOptions['random'];
  registry?: SchedulerOptions['registry'];
  /** kube-scheduler's metrics (scheduler/metrics): recorded when given. */
  metrics?: SchedulerOptions['metrics'];
  /** Called with each term's scheduler once it is built (tests and benchmarks read its stats). */
  onStart?: (scheduler: Scheduler) => void;
}

/**
 * A manager running one scheduler (no leader election unless asked). Each
 * term — each stretch of holding the Lease — builds a new Scheduler on the
 * term's fresh informers: its cache and queue start from a new list, never
 * from what the last term knew.
 */
export function schedulerManager(client: Client, options: RunSchedulerOptions = {}): Manager {
  return new Manager(client, options).addRunnable((context) => {
    const scheduler = new Scheduler(client, context.informers, context.recorder('default-scheduler'), {
      config: options.config,
      now: context.now,
      log: context.log,
      random: options.random,
      registry: options.registry,
      metrics: options.metrics,
    });
    options.onStart?.(scheduler);
    return scheduler;
  });
}

/** Runs the scheduler against an apiserver until the signal aborts, under leader election. */
export async function runScheduler(config: ClientConfig, signal: AbortSignal, options: RunSchedulerOptions = {}): Promise<void> {
  const client = new Client({ ...config, userAgent: 'skiff-scheduler' });
  const manager = schedulerManager(client, { leaderElection: { name: 'kube-scheduler' }, ...options });
  try {
    await manager.run(signal);
  } finally {
    client.close();
  }
}
