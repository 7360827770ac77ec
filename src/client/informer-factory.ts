/**
 * One informer per resource per process: every controller asking for pods
 * gets the same informer, so the process lists and watches pods once.
 *
 * A factory runs once: its informers stop for good when the signal given to
 * `start` aborts. A manager that leads again builds a new factory, so its
 * next term starts from a fresh list instead of a cache frozen at the end
 * of the last one.
 */
import type { KubeObject } from '../machinery/object.js';
import type { Client } from './client.js';
import { SharedInformer, type InformerOptions } from './informer.js';
import type { ResourceRef } from './resource-client.js';

export class InformerFactory {
  private readonly informers = new Map<string, SharedInformer>();
  /** Each informer's own stop, so one whose kind is no longer served can end alone (see `forget`). */
  private readonly stops = new Map<string, AbortController>();
  private signal: AbortSignal | undefined;
  private readonly ended = new AbortController();
  /** Aborts when the factory's informers stop (the signal given to `start` aborted): a term's end for what runs on them. */
  readonly lifetime: AbortSignal = this.ended.signal;

  constructor(
    readonly client: Client,
    private readonly defaults: Pick<InformerOptions<KubeObject>, 'resyncMs' | 'onError'> = {},
  ) {}

  /** The shared informer of a resource (created on first use; started if the factory runs). */
  informerFor<T extends KubeObject = KubeObject>(ref: ResourceRef): SharedInformer<T> {
    const id = `${ref.group}/${ref.version}/${ref.resource}`;
    let informer = this.informers.get(id);
    if (!informer) {
      informer = new SharedInformer(this.client.resource(ref), { ...this.defaults });
      this.informers.set(id, informer);
      if (this.signal) this.startOne(id, informer, this.signal);
    }
    return informer as unknown as SharedInformer<T>;
  }

  /** Stops and drops the informer of a resource that is no longer served (a deleted CRD's kind). */
  forget(ref: ResourceRef): void {
    const id = `${ref.group}/${ref.version}/${ref.resource}`;
    this.stops.get(id)?.abort();
    this.stops.delete(id);
    this.informers.delete(id);
  }

  private startOne(id: string, informer: SharedInformer, signal: AbortSignal): void {
    const stop = new AbortController();
    this.stops.set(id, stop);
    informer.start(AbortSignal.any([signal, stop.signal]));
  }

  /** Starts every informer, and those asked for later, until the signal aborts. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    if (signal.aborted) this.ended.abort();
    else signal.addEventListener('abort', () => this.ended.abort(), { once: true });
    for (const [id, informer] of this.informers) this.startOne(id, informer, signal);
  }

  /** Resolves when every informer created so far has its first list (or, given a signal, when it aborts). */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((informer) => informer.waitForSync(signal)));
  }
}
