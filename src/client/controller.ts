/**
 * The controller framework, after controller-runtime. A controller is
 * declared — which kind it is `for`, which kinds it `owns`, which others it
 * `watches` and how they map to its keys — and implements one function:
 *
 *   reconcile(key, { signal }) → done | { requeueAfterMs } | throws
 *
 * The framework turns informer events into keys (`namespace/name` of the
 * primary object; a child's change names its controlling owner), queues
 * them, and runs the reconciler with this discipline:
 *   - a key is never reconciled by two workers at once;
 *   - an error re-queues the key with exponential backoff;
 *   - `requeueAfterMs` forgets the failures and re-queues after that delay;
 *   - success forgets the failures.
 * Reconcilers read from listers (the informer caches) and write through the
 * client; they must be safe to run again at any time (level-triggered).
 *
 * A controller lives for one *term*: the time its manager leads (or, without
 * leader election, the manager's whole run). `signal` aborts when the term
 * ends; a reconcile that waits (requests, long computations) hands it on, so
 * a manager that lost its Lease stops acting at once.
 */
import type { KubeObject } from '../machinery/object.js';
import type { Client } from './client.js';
import { EventRecorder } from './events.js';
import type { InformerFactory } from './informer-factory.js';
import type { SharedInformer } from './informer.js';
import type { ResourceRef } from './resource-client.js';
import { keyOf } from './store.js';
import { WorkQueue, type WorkQueueMetricsProvider } from './workqueue.js';
import { whenAborted } from '../machinery/abort.js';

export type ReconcileResult = void | { requeueAfterMs?: number };

/** What a reconcile is told besides its key. */
export interface ReconcileOptions {
  /** Aborts when the term this controller runs in ends (leadership lost, or the manager stopping). */
  signal: AbortSignal;
}

export interface Watch {
  resource: ResourceRef;
  /** The keys of this controller to reconcile when `object` changes. */
  map(object: KubeObject): string[];
}

export interface ControllerSpec {
  name: string;
  /** The primary kind: its objects' keys are reconciled. */
  for: ResourceRef;
  /** Kinds whose objects name a primary object as their controlling owner. */
  owns?: ResourceRef[];
  /** Other kinds, with a mapping to primary keys. */
  watches?: Watch[];
  /** Parallel workers (default 1). */
  workers?: number;
  reconcile(key: string, options: ReconcileOptions): Promise<ReconcileResult>;
}

/**
 * What a controller gets to build itself, fresh for every term: the term's
 * shared informers, the client, an event recorder, and the term's signal.
 */
export interface ControllerContext {
  client: Client;
  /** This term's informers: started with the term, stopped when it ends. */
  informers: InformerFactory;
  /** Aborts when the term ends; whatever a controller starts by itself should stop with it. */
  signal: AbortSignal;
  recorder(component: string): EventRecorder;
  /** The clock controllers use (tests make it jump). */
  now(): Date;
  log(event: Record<string, unknown>): void;
  /** Where the controllers' work queues report (named after the controller); none: they do not. */
  workQueueMetrics?: WorkQueueMetricsProvider;
}

/**
 * The context of a controller that runs on its own rather than in a manager's
 * terms (a node's network controllers): its term is the life of its informers.
 */
export function standaloneControllerContext(informers: InformerFactory, log?: (event: Record<string, unknown>) => void): ControllerContext {
  return {
    client: informers.client,
    informers,
    signal: informers.lifetime,
    recorder: (component) => new EventRecorder(informers.client, component),
    now: () => new Date(),
    log: (event) => log?.(event),
  };
}

export interface ControllerStats {
  reconciles: number;
  errors: number;
}

/** The keys of the controlling owner of `object` when it is of `kind`. */
export function ownerKeys(object: KubeObject, owner: ResourceRef): string[] {
  const ref = object.metadata.ownerReferences?.find((r) => r.controller);
  if (!ref || ref.kind !== owner.kind) return [];
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  if (group !== owner.group) return [];
  return [owner.namespaced && object.metadata.namespace ? `${object.metadata.namespace}/${ref.name}` : ref.name];
}

export class Controller {
  readonly queue: WorkQueue<string>;
  readonly stats: ControllerStats = { reconciles: 0, errors: 0 };
  readonly primary: SharedInformer;
  private readonly informers: SharedInformer[] = [];

  constructor(
    readonly spec: ControllerSpec,
    private readonly context: ControllerContext,
  ) {
    this.queue = new WorkQueue<string>({ name: spec.name, metrics: context.workQueueMetrics });
    this.primary = context.informers.informerFor(spec.for);
    this.informers.push(this.primary);
    const enqueue = (object: KubeObject) => this.queue.add(keyOf(object));
    this.primary.addEventHandler({ add: enqueue, update: (_old, object) => enqueue(object), delete: enqueue });
    for (const owned of spec.owns ?? []) {
      const informer = context.informers.informerFor(owned);
      this.informers.push(informer);
      const enqueueOwner = (object: KubeObject) => {
        for (const key of ownerKeys(object, spec.for)) this.queue.add(key);
      };
      informer.addEventHandler({
        add: enqueueOwner,
        update: (previous, object) => {
          // A child that changed owners tells both the old and the new one.
          enqueueOwner(previous);
          enqueueOwner(object);
        },
        delete: enqueueOwner,
      });
    }
    for (const watch of spec.watches ?? []) {
      const informer = context.informers.informerFor(watch.resource);
      this.informers.push(informer);
      const enqueueMapped = (object: KubeObject) => {
        for (const key of watch.map(object)) this.queue.add(key);
      };
      informer.addEventHandler({
        add: enqueueMapped,
        // Both sides: a pod whose labels changed concerns the services it left and the ones it joined.
        update: (previous, object) => {
          enqueueMapped(previous);
          enqueueMapped(object);
        },
        delete: enqueueMapped,
      });
    }
  }

  /** Waits for the caches, then runs the workers until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    whenAborted(signal, () => this.queue.shutDown());
    await Promise.all(this.informers.map((informer) => informer.waitForSync(signal)));
    if (signal.aborted) return;
    const workers = Array.from({ length: this.spec.workers ?? 1 }, () => this.worker(signal));
    await Promise.all(workers);
  }

  private async worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        this.stats.reconciles++;
        const result = await this.spec.reconcile(key, { signal });
        this.queue.forget(key);
        if (result && result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        // A reconcile cut short by the end of its term is no failure: the next term starts over.
        if (signal.aborted) continue;
        this.stats.errors++;
        this.context.log({ controller: this.spec.name, key, msg: 'reconcile failed', error: (err as Error).message });
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }
}
