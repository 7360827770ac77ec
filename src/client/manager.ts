/**
 * The manager runs a set of controllers in one process: it builds the shared
 * informers, hands every controller the same context, starts the informers
 * and the controllers together, and — when asked — only while it holds a
 * leader-election Lease, so that of several managers exactly one acts.
 *
 * It runs in *terms*. A term is one stretch of leading (without leader
 * election: the whole run). Each term builds everything afresh — an informer
 * factory, the controllers with their work queues, the runnables — and its
 * AbortSignal tears all of it down. A manager that loses its Lease and wins
 * it back therefore starts from a fresh list of every resource, never from
 * caches that stopped at the end of its last term (kube-controller-manager
 * gets the same by exiting and being restarted).
 */
import { setMaxListeners } from 'node:events';
import type { Client } from './client.js';
import { Controller, type ControllerContext, type ControllerSpec } from './controller.js';
import { EventRecorder } from './events.js';
import { InformerFactory } from './informer-factory.js';
import { LeaderElector, type LeaderElectionMetricsRecorder } from './leader-election.js';
import type { WorkQueueMetricsProvider } from './workqueue.js';

/** Where a manager's parts report (a component's metrics, e.g. ControllerManagerMetrics in src/client/metrics/). */
export interface ManagerMetrics {
  /** Each controller's work queue, named after the controller. */
  workQueues?: WorkQueueMetricsProvider;
  /** leader_election_master_status of the manager's Lease. */
  leaderElection?: LeaderElectionMetricsRecorder;
}

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
  /**
   * The client a controller added with an identity writes through (its own
   * service account's, as `--use-service-account-credentials`). Without it, or
   * for controllers added without one, the manager's client.
   */
  clientFor?: (identity: string) => Client;
  /** Metrics of the work queues and the leader election; none: nothing is recorded. */
  metrics?: ManagerMetrics;
}

/** How a controller or runnable is added: its builder, and who it acts as. */
interface Addition<T> {
  build: (context: ControllerContext) => T;
  identity?: string;
}

/** One term: what it built, and the signal that ends it. */
interface Term {
  context: ControllerContext;
  signal: AbortSignal;
}

export class Manager {
  private readonly builders: Addition<ControllerSpec>[] = [];
  private readonly runnableBuilders: Addition<Runnable>[] = [];
  /** The controllers of the current (or last) term. */
  readonly controllers: Controller[] = [];
  private readonly recorders = new Map<string, EventRecorder>();
  private readonly log: (event: Record<string, unknown>) => void;
  private readonly now: () => Date;
  private term: Term | undefined;
  /** Told of the next term to start (for waitForSync before the first one). */
  private termWaiters: ((term: Term) => void)[] = [];

  constructor(
    readonly client: Client,
    private readonly options: ManagerOptions = {},
  ) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => new Date());
  }

  /** The informers of the current term (undefined before the first term starts). */
  get informers(): InformerFactory | undefined {
    return this.term?.context.informers;
  }

  /** Adds a controller, built afresh from the term's context whenever a term starts. */
  add(build: (context: ControllerContext) => ControllerSpec, options: { identity?: string } = {}): this {
    this.builders.push({ build, identity: options.identity });
    return this;
  }

  /**
   * Adds a component that does not fit the one-kind controller shape (the
   * garbage collector watches every kind; the scheduler): it is built from
   * the same context each term and runs with the controllers.
   */
  addRunnable(build: (context: ControllerContext) => Runnable, options: { identity?: string } = {}): this {
    this.runnableBuilders.push({ build, identity: options.identity });
    return this;
  }

  /** Runs until the signal aborts: with leader election, one term per stretch of leading. */
  async run(signal: AbortSignal): Promise<void> {
    const election = this.options.leaderElection;
    if (!election) return this.runTerm(signal);
    const elector = new LeaderElector(this.client, {
      ...election,
      metrics: this.options.metrics?.leaderElection,
      onStartedLeading: (leading) => {
        this.log({ msg: 'became leader', identity: elector.identity, lease: election.name });
        // The elector waits for this before it campaigns again: terms never overlap.
        return this.runTerm(leading).catch((err) => this.log({ msg: 'controllers stopped with an error', error: (err as Error).message }));
      },
      onStoppedLeading: () => this.log({ msg: 'stopped leading', identity: elector.identity }),
    });
    await elector.run(signal);
  }

  /** One term: fresh informers, controllers and runnables, all stopped by `signal`. */
  private async runTerm(signal: AbortSignal): Promise<void> {
    // Every controller and informer listens for the stop: more than Node's default warning threshold of 10.
    setMaxListeners(0, signal);
    const informers = new InformerFactory(this.client, {
      resyncMs: this.options.resyncMs ?? 10 * 60_000,
      onError: (err) => this.log({ msg: 'informer error', error: (err as Error).message }),
    });
    const context: ControllerContext = {
      // Requests of this term's controllers end with the term: a reconcile in flight cannot hold the next term back.
      client: this.client.withSignal(signal),
      informers,
      signal,
      now: this.now,
      log: this.log,
      recorder: (component) => this.recorder(component),
      workQueueMetrics: this.options.metrics?.workQueues,
    };
    // A controller with an identity reads from the shared informers and writes as itself.
    const contextFor = (identity: string | undefined): ControllerContext =>
      identity && this.options.clientFor ? { ...context, client: this.options.clientFor(identity).withSignal(signal) } : context;
    const controllers = this.builders.map(({ build, identity }) => {
      const own = contextFor(identity);
      return new Controller(build(own), own);
    });
    this.controllers.splice(0, this.controllers.length, ...controllers);
    const runnables = this.runnableBuilders.map(({ build, identity }) => build(contextFor(identity)));
    const term: Term = { context, signal };
    this.term = term;
    for (const tell of this.termWaiters.splice(0)) tell(term);
    informers.start(signal);
    await Promise.all([...controllers.map((controller) => controller.run(signal)), ...runnables.map((runnable) => runnable.run(signal))]);
    // Events recorded by the last reconciles still go out before the client closes (for two seconds at most).
    await Promise.race([this.flush().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  /** Event recorders outlive terms: what they aggregate is about events already written, not cluster state. */
  private recorder(component: string): EventRecorder {
    let recorder = this.recorders.get(component);
    if (!recorder) this.recorders.set(component, (recorder = new EventRecorder(this.client, component, this.now)));
    return recorder;
  }

  /**
   * Waits until a term runs and its informers have their first list (for
   * tests and benchmarks). Before the first term (a candidate still
   * campaigning) it waits for one to start.
   */
  async waitForSync(): Promise<void> {
    const term = this.term && !this.term.signal.aborted ? this.term : await new Promise<Term>((resolve) => this.termWaiters.push(resolve));
    await term.context.informers.waitForSync(term.signal);
  }

  /** Writes out pending events. */
  async flush(): Promise<void> {
    await Promise.all([...this.recorders.values()].map((recorder) => recorder.flush()));
  }
}
