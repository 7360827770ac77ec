/**
 * watch: a long-lived chunked response of `{"type":…,"object":…}` lines.
 * Events come from the watch cache, filtered per watcher; an object that
 * starts or stops matching the selectors arrives as ADDED or DELETED, as
 * upstream does. Bookmarks, timeoutSeconds and sendInitialEvents follow v1.32.
 */
import type { KubeObject } from '../../machinery/object.js';
import { errors, StatusError } from '../../machinery/status.js';
import type { RequestContext } from '../context.js';
import { query, queryBool } from '../context.js';
import { numericListOptions } from './read.js';
import type { CacheEvent, CachedObject, Subscription } from '../watch-cache.js';
import { filterFor } from './filter.js';
import { includeObjectOf, outputOf } from './respond.js';
import { partialMetadata } from './partial-metadata.js';
import { tableFor } from './table.js';

export async function handleWatch(ctx: RequestContext): Promise<void> {
  const { res, type, storage } = ctx;
  const filter = filterFor(ctx, ctx.info.name ? `metadata.name=${ctx.info.name}` : undefined);
  const output = outputOf(ctx);
  if (output.format === 'yaml') throw errors.notAcceptable('watch streams are only served as JSON');
  const resourceVersion = query(ctx, 'resourceVersion') ?? '';
  const allowBookmarks = queryBool(ctx, 'allowWatchBookmarks');
  const sendInitialEventsParam = query(ctx, 'sendInitialEvents');
  const timeoutParam = numericListOptions(ctx).timeoutSeconds ?? 0;
  // Without timeoutSeconds a watch ends after 1–2 × --min-request-timeout (30–60 minutes), so watchers spread over servers.
  const timeoutSeconds = timeoutParam > 0 ? timeoutParam : ctx.server.minRequestTimeoutSeconds * (1 + Math.random());
  if (resourceVersion !== '' && !/^\d+$/.test(resourceVersion)) throw errors.badRequest(`invalid resourceVersion: ${resourceVersion}`);
  if (sendInitialEventsParam !== undefined && query(ctx, 'resourceVersionMatch') !== 'NotOlderThan') {
    throw errors.invalid('meta.k8s.io', 'ListOptions', '', [
      { type: 'FieldValueForbidden', field: 'sendInitialEvents', detail: "sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to 'NotOlderThan'" },
    ]);
  }

  const cache = await storage.cache();
  const namespacePrefix = storage.keyPrefixFor(ctx.info.namespace);
  // "" and "0" start from the current state with synthetic ADDED events; an exact
  // revision streams what happened after it. sendInitialEvents makes that explicit.
  const sendInitialEvents = sendInitialEventsParam !== undefined ? queryBool(ctx, 'sendInitialEvents') : resourceVersion === '' || resourceVersion === '0';
  if (resourceVersion === '' ) await cache.sync();
  else if (Number(resourceVersion) > 0) await cache.waitForRevision(Number(resourceVersion));
  const startRevision = sendInitialEvents || resourceVersion === '' || resourceVersion === '0' ? cache.revision : Number(resourceVersion);

  let firstTable = true;
  const render = (eventType: string, object: KubeObject): string => {
    let payload: unknown = object;
    if (output.format === 'table') {
      payload = tableFor(type, [object], output.version, includeObjectOf(ctx), ctx.server.clock.now(), { resourceVersion: object.metadata.resourceVersion }, firstTable);
      firstTable = false;
    } else if (output.format === 'metadata') {
      payload = partialMetadata(object, output.version);
    }
    return eventLine(ctx, eventType, JSON.stringify(payload));
  };
  const renderCached = (eventType: string, entry: CachedObject, object = storage.view(entry)): string =>
    output.format === 'json' ? eventLine(ctx, eventType, storage.viewJson(entry)) : render(eventType, object);

  // What this watcher still has to send. Events wait here as references to the
  // cache's shared objects and are rendered only when the socket takes more,
  // so a slow client costs little; one that stops reading fills the queue past
  // its bounds and is closed (the client re-watches from the last
  // resourceVersion it got, as after any dropped watch).
  const { limits, counters } = ctx.server.watchers;
  // One queue, in revision order. The replay of the cache's window is what the
  // client asked for, not lag, and shares the cache's objects: it does not
  // count against the bounds. Live events do, and so do events read from the
  // store's history for this watcher alone (a watch from before the window).
  const queue = new EventQueue();
  let queuedEvents = 0;
  let queuedBytes = 0;
  let closed = false;
  let waitingForDrain = false;
  let scheduled = false;
  // The initial state is taken in the same synchronous step as the subscription, so nothing falls between.
  const initial = sendInitialEvents ? cache.list(namespacePrefix) : [];
  let initialIndex = 0;
  let initialEnd = queryBool(ctx, 'sendInitialEvents') && allowBookmarks;
  let subscription: Subscription | undefined;
  let started = false;
  let failure: StatusError | undefined;
  try {
    subscription = await cache.subscribe(
      startRevision,
      (event, fromStore) => {
        if (closed) return;
        // Only what this watcher will send waits in its queue (and counts against its bounds).
        const type = eventTypeFor(event);
        if (!type) return;
        const counted = fromStore || subscription?.live() === true;
        queue.push({ type, entry: event.current, counted });
        if (counted) {
          queuedEvents++;
          queuedBytes += event.current.json.length;
          if (queuedEvents > limits.queuedEvents || queuedBytes > limits.queuedBytes) return terminate();
        }
        schedule();
      },
      (err) => {
        failure = err;
        if (started) fail();
      },
    );
  } catch (err) {
    // Upstream answers a too-old revision with 200 and a single ERROR event.
    if (err instanceof StatusError) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.end(eventLine(ctx, 'ERROR', JSON.stringify(err.status)));
      return;
    }
    throw err;
  }
  counters.open++;

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.socket?.setNoDelay(true);
  res.flushHeaders();
  started = true;

  /** What an event is to this watcher: the selectors decide ADDED, MODIFIED or DELETED (or nothing). */
  function eventTypeFor(event: CacheEvent): WatchEventType | undefined {
    if (!event.current.key.startsWith(namespacePrefix)) return undefined;
    const current = storage.view(event.current);
    const matchesNow = event.type !== 'DELETED' && filter(current);
    const matchedBefore = event.previous ? filter(storage.view(event.previous)) : false;
    if (event.type === 'ADDED') return matchesNow ? 'ADDED' : undefined;
    if (event.type === 'MODIFIED') {
      if (matchesNow && matchedBefore) return 'MODIFIED';
      if (matchesNow) return 'ADDED';
      return matchedBefore ? 'DELETED' : undefined;
    }
    return filter(current) || matchedBefore ? 'DELETED' : undefined;
  }

  /** The next lines to write, up to about `chunkBytes` (and `maxEntries` entries): the initial state first, then queued events. */
  function nextChunk(chunkBytes: number, maxEntries = Infinity): string {
    let chunk = '';
    let entries = 0;
    while (chunk.length < chunkBytes && entries++ < maxEntries) {
      if (initialIndex < initial.length) {
        const entry = initial[initialIndex];
        initial[initialIndex++] = undefined!; // let the snapshot's objects go as they are sent
        const object = storage.view(entry);
        if (filter(object)) chunk += renderCached('ADDED', entry, object);
      } else if (initialEnd) {
        initialEnd = false;
        chunk += bookmark(ctx, String(startRevision), true);
      } else if (queue.length > 0) {
        const { type, entry, counted } = queue.shift()!;
        if (counted) {
          queuedEvents--;
          queuedBytes -= entry.json.length;
        }
        chunk += renderCached(type, entry);
      } else {
        break;
      }
    }
    return chunk;
  }

  /** The entries the next chunk will show, at most `count`: what a conversion webhook converts first. */
  function upcoming(count: number): CachedObject[] {
    const entries: CachedObject[] = [];
    for (let i = initialIndex; i < initial.length && entries.length < count; i++) entries.push(initial[i]);
    for (let i = 0; i < queue.length && entries.length < count; i++) entries.push(queue.at(i)!.entry);
    return entries;
  }

  let converting = false;
  /** pump for a kind whose versions a webhook converts: each chunk's entries are converted (one review) before it is written. */
  async function pumpConverting(): Promise<void> {
    if (converting) return;
    converting = true;
    try {
      while (started && !closed && !waitingForDrain) {
        const entries = upcoming(100);
        if (entries.length === 0 && !(initialEnd && initialIndex >= initial.length)) return;
        await storage.prepare(entries);
        if (closed) return;
        const chunk = nextChunk(Infinity, Math.max(entries.length, 1));
        if (chunk === '') return;
        send(chunk);
      }
    } catch (err) {
      failure = err instanceof StatusError ? err : errors.internal((err as Error).message);
      fail();
    } finally {
      converting = false;
    }
  }

  /** Writes while the socket takes it; when it is full, waits for 'drain' (Node's backpressure). */
  function pump(): void {
    if (storage.convertsAsynchronously) {
      void pumpConverting();
      return;
    }
    while (started && !closed && !waitingForDrain) {
      const chunk = nextChunk(64 * 1024);
      if (chunk === '') return;
      send(chunk);
    }
  }

  /** Writes a chunk; when the socket is full, pumping waits for 'drain' (Node's backpressure). */
  function send(chunk: string): void {
    if (res.write(chunk)) return;
    waitingForDrain = true;
    res.once('drain', () => {
      waitingForDrain = false;
      pump();
    });
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // The events of one tick go out in one write.
    queueMicrotask(() => {
      scheduled = false;
      pump();
    });
  }
  if (failure) fail();
  else pump();

  /** The store could not serve the rest (a compaction raced the read): an ERROR event ends the watch, as upstream. */
  function fail(): void {
    if (closed) return;
    res.write(eventLine(ctx, 'ERROR', JSON.stringify(failure!.status)));
    finish();
  }

  const bookmarkTimer = allowBookmarks
    ? setInterval(() => {
        // Only a watcher that has sent everything may say it is at the cache's revision.
        if (!closed && !waitingForDrain && queue.length === 0 && initialIndex >= initial.length && subscription!.live()) {
          res.write(bookmark(ctx, String(cache.revision), false));
        }
      }, ctx.server.bookmarkIntervalMs)
    : undefined;
  const timeoutTimer = setTimeout(() => finish(), timeoutSeconds * 1000);

  /** Closes a watcher that stopped taking its events (upstream: "Forcing watcher close due to unresponsiveness"). */
  function terminate(): void {
    counters.terminated++;
    storage.watchMetrics?.terminated();
    ctx.server.log?.({ msg: 'closing unresponsive watcher', v: 1, resource: ctx.info.resource, queuedEvents, queuedBytes, bufferedBytes: res.writableLength });
    // What is buffered would never reach a client that does not read: drop it with the connection.
    finish(true);
  }

  function finish(destroy = false): void {
    if (closed) return;
    closed = true;
    counters.open--;
    queue.clear();
    queuedEvents = 0;
    queuedBytes = 0;
    initial.length = 0;
    unregisterShutdown?.();
    subscription!.unsubscribe();
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    if (destroy) res.destroy();
    else if (!res.writableEnded) res.end();
  }
  ctx.req.on('close', () => finish());
  res.on('close', () => finish());
  const unregisterShutdown = ctx.server.onShutdown?.(() => finish());
  // The client may have gone while the subscription was being set up.
  if (res.destroyed) finish();
}

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** An event this watcher will send, waiting for its connection to take it. */
interface PendingEvent {
  type: WatchEventType;
  entry: CachedObject;
  /** Counts against the watcher's bounds (not a replay of the cache's shared window). */
  counted: boolean;
}

/** First in, first out, without Array.shift's cost on long queues. */
class EventQueue {
  private items: PendingEvent[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(event: PendingEvent): void {
    this.items.push(event);
  }

  /** The event `index` places from the front, without taking it. */
  at(index: number): PendingEvent | undefined {
    return this.items[this.head + index];
  }

  shift(): PendingEvent | undefined {
    if (this.head >= this.items.length) return undefined;
    const event = this.items[this.head];
    this.items[this.head++] = undefined!;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return event;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

function bookmark(ctx: RequestContext, resourceVersion: string, initialEventsEnd: boolean): string {
  const apiVersion = ctx.type.group ? `${ctx.type.group}/${ctx.type.version}` : ctx.type.version;
  const metadata: Record<string, unknown> = { resourceVersion };
  if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return eventLine(ctx, 'BOOKMARK', JSON.stringify({ kind: ctx.type.kind, apiVersion, metadata }));
}

/** Every line a watch writes is made here (bookmarks and errors too): counted with its object's size, where upstream's watch server counts. */
function eventLine(ctx: RequestContext, type: string, object: string): string {
  ctx.storage.watchMetrics?.eventSent(object);
  return `{"type":"${type}","object":${object}}\n`;
}
