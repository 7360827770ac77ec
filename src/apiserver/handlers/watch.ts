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
import type { CacheEvent } from '../watch-cache.js';
import { filterFor } from './filter.js';
import { includeObjectOf, outputOf } from './respond.js';
import { partialMetadata } from './partial-metadata.js';
import { tableFor } from './table.js';

/** Upstream's --min-request-timeout: watches end after 30–60 minutes unless asked otherwise. */
const defaultTimeoutSeconds = 1800;

export async function handleWatch(ctx: RequestContext): Promise<void> {
  const { res, type, storage } = ctx;
  const filter = filterFor(ctx, ctx.info.name ? `metadata.name=${ctx.info.name}` : undefined);
  const output = outputOf(ctx);
  if (output.format === 'yaml') throw errors.notAcceptable('watch streams are only served as JSON');
  const resourceVersion = query(ctx, 'resourceVersion') ?? '';
  const allowBookmarks = queryBool(ctx, 'allowWatchBookmarks');
  const sendInitialEventsParam = query(ctx, 'sendInitialEvents');
  const timeoutParam = numericListOptions(ctx).timeoutSeconds ?? 0;
  const timeoutSeconds = timeoutParam > 0 ? timeoutParam : defaultTimeoutSeconds * (1 + Math.random());
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
  const sendInitialEvents = sendInitialEventsParam !== undefined ? sendInitialEventsParam === 'true' : resourceVersion === '' || resourceVersion === '0';
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
    return `{"type":"${eventType}","object":${JSON.stringify(payload)}}\n`;
  };
  const renderCached = (eventType: string, object: KubeObject, json: string): string =>
    output.format === 'json' ? `{"type":"${eventType}","object":${json}}\n` : render(eventType, object);

  let pending: string[] = [];
  let closed = false;
  // Declared before subscribing: subscribe replays history synchronously into schedule().
  let scheduled = false;
  const queue: CacheEvent[] = [];
  let unsubscribe: (() => void) | undefined;
  try {
    unsubscribe = cache.subscribe(startRevision, (event) => {
      if (closed) return;
      queue.push(event);
      schedule();
    });
  } catch (err) {
    // Upstream answers a too-old revision with 200 and a single ERROR event.
    if (err instanceof StatusError) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.end(`{"type":"ERROR","object":${JSON.stringify(err.status)}}\n`);
      return;
    }
    throw err;
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.socket?.setNoDelay(true);
  res.flushHeaders();

  if (sendInitialEvents) {
    for (const entry of cache.list(namespacePrefix)) {
      if (entry.revision > startRevision) continue;
      const object = storage.view(entry);
      if (filter(object)) pending.push(renderCached('ADDED', object, storage.viewJson(entry)));
    }
    if (sendInitialEventsParam === 'true' && allowBookmarks) {
      pending.push(bookmark(ctx, String(startRevision), true));
    }
    flush();
  }

  function deliver(event: CacheEvent): void {
    if (!event.current.key.startsWith(namespacePrefix)) return;
    const current = storage.view(event.current);
    const matchesNow = event.type !== 'DELETED' && filter(current);
    const matchedBefore = event.previous ? filter(storage.view(event.previous)) : false;
    if (event.type === 'ADDED') {
      if (matchesNow) pending.push(renderCached('ADDED', current, storage.viewJson(event.current)));
    } else if (event.type === 'MODIFIED') {
      if (matchesNow && matchedBefore) pending.push(renderCached('MODIFIED', current, storage.viewJson(event.current)));
      else if (matchesNow) pending.push(renderCached('ADDED', current, storage.viewJson(event.current)));
      else if (matchedBefore) pending.push(renderCached('DELETED', current, storage.viewJson(event.current)));
    } else if (filter(current) || matchedBefore) {
      pending.push(renderCached('DELETED', current, storage.viewJson(event.current)));
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // Batch the events of one tick into one write.
    queueMicrotask(() => {
      scheduled = false;
      for (const event of queue.splice(0)) deliver(event);
      flush();
    });
  }

  function flush(): void {
    if (closed || pending.length === 0) return;
    res.write(pending.join(''));
    pending = [];
  }

  const bookmarkTimer = allowBookmarks
    ? setInterval(() => {
        if (!closed) res.write(bookmark(ctx, String(cache.revision), false));
      }, ctx.server.bookmarkIntervalMs)
    : undefined;
  const timeoutTimer = setTimeout(() => finish(), timeoutSeconds * 1000);

  function finish(): void {
    if (closed) return;
    closed = true;
    unregisterShutdown?.();
    unsubscribe?.();
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    if (!res.writableEnded) res.end();
  }
  ctx.req.on('close', finish);
  res.on('close', finish);
  const unregisterShutdown = ctx.server.onShutdown?.(finish);
}

function bookmark(ctx: RequestContext, resourceVersion: string, initialEventsEnd: boolean): string {
  const apiVersion = ctx.type.group ? `${ctx.type.group}/${ctx.type.version}` : ctx.type.version;
  const metadata: Record<string, unknown> = { resourceVersion };
  if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return `{"type":"BOOKMARK","object":${JSON.stringify({ kind: ctx.type.kind, apiVersion, metadata })}}\n`;
}
