/**
 * The manager runs a set of controllers in one process: it owns the shared
 * informers, hands every controller the same context, starts the informers
 * and the controllers together, and — when asked — only while it holds a
 * leader-election Lease, so that of several managers exactly one acts.
 */
import { setMaxListeners } from 'node:events';
import type { Client } from './client.js';
import { Controller, type ControllerContext, type ControllerSpec } from './controller.js';
import { EventRecorder } from './events.js';
import { InformerFactory } from './informer-factory.js';
import { LeaderElector } from './leader-election.js';

/** Something the manager runs until its signal aborts. */
export interface Runnable {
  run(signal: AbortSignal): Promise<void>;
}

export interface ManagerOptions {
  /** Re-announce every cached object this often, so nothing is missed forever (default 10 min; 0: never). */
  resyncMs?: number;
  now?: () => Date;
  log?: (event: Record<string, unknown>) => void;
  /** Run only while holding this Lease (in kube-system). */
  leaderElection?: { name: string; identity?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
}

export class Manager {
  readonly informers: InformerFactory;
  readonly context: ControllerContext;
  private readonly builders: ((context: ControllerContext) => ControllerSpec)[] = [];
  private readonly runnableBuilders: ((context: ControllerContext) => Runnable)[] = [];
  readonly controllers: Controller[] = [];
  private readonly recorders = new Map<string, EventRecorder>();

  constructor(
    readonly client: Client,
    private readonly options: ManagerOptions = {},
  ) {
    const log = options.log ?? (() => {});
    this.informers = new InformerFactory(client, {
      resyncMs: options.resyncMs ?? 10 * 60_000,
      onError: (err) => log({ msg: 'informer error', error: (err as Error).message }),
    });
    const now = options.now ?? (() => new Date());
    this.context = {
      client,
      informers: this.informers,
      now,
      log,
      recorder: (component) => {
        let recorder = this.recorders.get(component);
        if (!recorder) this.recorders.set(component, (recorder = new EventRecorder(client, component, now)));
        return recorder;
      },
    };
  }

  /** Adds a controller, built from the shared context when the manager starts. */
  add(build: (context: ControllerContext) => ControllerSpec): this {
    this.builders.push(build);
    return this;
  }

  /**
   * Adds a component that does not fit the one-kind controller shape (the
   * garbage collector watches every kind): it gets the same context and runs
   * with the controllers.
   */
  addRunnable(build: (context: ControllerContext) => Runnable): this {
    this.runnableBuilders.push(build);
    return this;
  }

  /** Runs until the signal aborts: with leader election, only while leading. */
  async run(signal: AbortSignal): Promise<void> {
    const election = this.options.leaderElection;
    if (!election) return this.runControllers(signal);
    // The controllers of each term as leader; run() returns only once they have stopped.
    const terms: Promise<void>[] = [];
    const elector = new LeaderElector(this.client, {
      ...election,
      onStartedLeading: (leading) => {
        this.options.log?.({ msg: 'became leader', identity: elector.identity, lease: election.name });
        terms.push(
          this.runControllers(leading).catch((err) => this.options.log?.({ msg: 'controllers stopped with an error', error: (err as Error).message })),
        );
      },
      onStoppedLeading: () => this.options.log?.({ msg: 'stopped leading', identity: elector.identity }),
    });
    await elector.run(signal);
    await Promise.all(terms);
  }

  private async runControllers(signal: AbortSignal): Promise<void> {
    // Every controller and informer listens for the stop: more than Node's default warning threshold of 10.
    setMaxListeners(0, signal);
    const controllers = this.builders.map((build) => new Controller(build(this.context), this.context));
    this.controllers.splice(0, this.controllers.length, ...controllers);
    const runnables = this.runnableBuilders.map((build) => build(this.context));
    this.informers.start(signal);
    await Promise.all([...controllers.map((controller) => controller.run(signal)), ...runnables.map((runnable) => runnable.run(signal))]);
    // Events recorded by the last reconciles still go out before the client closes (for two seconds at most).
    await Promise.race([this.flush().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  /** Waits until every informer has its first list (for tests and benchmarks). */
  waitForSync(): Promise<void> {
    return this.informers.waitForSync();
  }

  /** Writes out pending events. */
  async flush(): Promise<void> {
    await Promise.all([...this.recorders.values()].map((recorder) => recorder.flush()));
  }
}
