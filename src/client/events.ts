/**
 * The event recorder: controllers say what they did (`Created pod web-x`,
 * `ScalingReplicaSet`) as core/v1 Events about an object, which
 * `kubectl describe` and `kubectl get events` show.
 *
 * Like upstream, repeats of the same event (same object, type, reason,
 * message and source) do not create new objects: the first Event's `count`
 * and `lastTimestamp` move instead. Writes happen in the background; a
 * failed write is dropped (events are best effort by design).
 */
import { hostname } from 'node:os';
import { timestamp } from './time.js';
import type { KubeObject } from '../machinery/object.js';
import { isStatusError } from '../machinery/status.js';
import type { Client } from './client.js';
import type { ResourceClient } from './resource-client.js';

export type EventType = 'Normal' | 'Warning';

interface CoreEvent extends KubeObject {
  count?: number;
  lastTimestamp?: string;
}

const eventsResource = { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true };

/** How many distinct events are remembered for aggregation. */
const cacheSize = 4096;


export class EventRecorder {
  private readonly events: ResourceClient<CoreEvent>;
  private readonly host: string;
  /** aggregation key → the Event written for it */
  private readonly seen = new Map<string, { namespace: string; name: string; count: number }>();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    client: Client,
    readonly component: string,
    private readonly now: () => Date = () => new Date(),
    /** The host the events say they come from (default: this machine; a node agent says its node). */
    host?: string,
  ) {
    this.events = client.resource<CoreEvent>(eventsResource);
    this.host = host ?? hostname();
  }

  /** Records an event about `object`; returns at once. */
  event(object: KubeObject, type: EventType, reason: string, message: string): void {
    this.pending = this.pending.then(() => this.write(object, type, reason, message)).catch(() => {});
  }

  eventf(object: KubeObject, type: EventType, reason: string, format: string, ...args: unknown[]): void {
    let i = 0;
    this.event(object, type, reason, format.replace(/%[sdv]/g, () => String(args[i++])));
  }

  /** Resolves when every event recorded so far has been written (for tests and shutdown). */
  flush(): Promise<void> {
    return this.pending;
  }

  private async write(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = object.metadata.namespace || 'default';
    const involvedObject = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
    };
    const key = JSON.stringify([object.metadata.uid ?? `${namespace}/${object.metadata.name}`, object.kind, type, reason, message, this.component]);
    const now = timestamp(this.now());
    const previous = this.seen.get(key);
    if (previous) {
      try {
        previous.count++;
        await this.events.patch(previous.namespace, previous.name, { count: previous.count, lastTimestamp: now }, 'merge');
        return;
      } catch (err) {
        if (!isStatusError(err, 'NotFound')) throw err;
        this.seen.delete(key);
      }
    }
    // Upstream names events `<object>.<unix nanoseconds in hex>`.
    const name = `${object.metadata.name}.${(BigInt(this.now().getTime()) * 1_000_000n + BigInt(this.seen.size)).toString(16)}`;
    await this.events.create({
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      source: { component: this.component, host: this.host },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      reportingComponent: this.component,
      reportingInstance: this.host,
    } as CoreEvent);
    if (this.seen.size >= cacheSize) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { namespace, name, count: 1 });
  }
}
