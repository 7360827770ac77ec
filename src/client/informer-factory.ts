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
      if (this.signal) informer.start(this.signal);
    }
    return informer as unknown as SharedInformer<T>;
  }

  /** Starts every informer, and those asked for later, until the signal aborts. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    if (signal.aborted) this.ended.abort();
    else signal.addEventListener('abort', () => this.ended.abort(), { once: true });
    for (const informer of this.informers.values()) informer.start(signal);
  }

  /** Resolves when every informer created so far has its first list (or, given a signal, when it aborts). */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((informer) => informer.waitForSync(signal)));
  }
}
