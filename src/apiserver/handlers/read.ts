/**
 * get and list. Reads come from the watch cache (synced with storage first,
 * so a client always reads its own writes); paginated lists read storage at
 * one revision so every page shows the same snapshot, as upstream does.
 */
import { errors } from '../../machinery/status.js';
import type { KubeObject } from '../../machinery/object.js';
import type { ComputedContext } from '../../api/resource.js';
import type { RequestContext } from '../context.js';
import { query, queryInt } from '../context.js';
import { filterFor } from './filter.js';
import { apiVersionOfType, includeObjectOf, listKind, outputOf, sendList, sendObject } from './respond.js';
import { sendJson, sendYaml } from '../http.js';
import { tableFor } from './table.js';
import { partialMetadata } from './partial-metadata.js';
import { parseFieldSelector } from '../../machinery/fields.js';

export async function handleGet(ctx: RequestContext): Promise<void> {
  const { object } = await ctx.storage.get(ctx.info.namespace, ctx.info.name!);
  sendObject(ctx, 200, object);
}

interface ContinueToken {
  v: 'meta.k8s.io/v1';
  rv: number;
  start: string;
}

function encodeContinue(revision: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: lastKey })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') throw new Error();
    return parsed;
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function parseRevision(text: string | undefined, what = 'resourceVersion'): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw errors.badRequest(`invalid ${what}: ${text}`);
  return Number(text);
}

/**
 * The numeric list options, read for lists and watches alike as upstream
 * decodes one ListOptions for both: an unparsable number is a 400 whichever
 * of the two the request turns out to be. A negative limit means no limit.
 */
export function numericListOptions(ctx: RequestContext): { limit: number; timeoutSeconds?: number } {
  const limit = queryInt(ctx, 'limit') ?? 0;
  return { limit: limit > 0 ? limit : 0, timeoutSeconds: queryInt(ctx, 'timeoutSeconds') };
}

export async function handleList(ctx: RequestContext): Promise<void> {
  const { limit } = numericListOptions(ctx);
  const filter = filterFor(ctx);
  const continueText = query(ctx, 'continue');
  const resourceVersion = query(ctx, 'resourceVersion');
  const match = query(ctx, 'resourceVersionMatch');
  const namespace = ctx.info.namespace;

  if (continueText && resourceVersion) {
    throw errors.badRequest('specifying resource version is not allowed when using continue');
  }
  if (match && match !== 'Exact' && match !== 'NotOlderThan') {
    throw errors.badRequest(`unsupported resourceVersionMatch "${match}"`);
  }

  // Paginated or exact-revision reads go to storage: one snapshot across pages.
  const exact = match === 'Exact' ? parseRevision(resourceVersion) : undefined;
  if (continueText || exact !== undefined || (limit > 0 && resourceVersion !== '0')) {
    let revision = exact;
    let startAfter: string | undefined;
    if (continueText) {
      const token = decodeContinue(continueText);
      revision = token.rv;
      startAfter = ctx.storage.keyPrefixFor(namespace) + token.start;
    }
    const items: KubeObject[] = [];
    let lastKey = '';
    let more = false;
    let remaining = 0;
    let listRevision = revision ?? 0;
    // Keep reading until the page is full of matching objects, as upstream's etcd3 store does.
    for (;;) {
      const page = await ctx.storage.listPage(namespace, { revision, startAfter, limit: limit > 0 ? limit - items.length : 0 });
      listRevision = page.revision;
      revision = page.revision;
      const matching = page.items.filter((entry) => {
        lastKey = entry.key;
        return filter(ctx.storage.view(entry));
      });
      await ctx.storage.prepare(matching);
      for (const entry of matching) items.push(ctx.storage.view(entry));
      more = page.more;
      remaining = page.remaining;
      if (!more || limit === 0 || items.length >= limit || page.items.length === 0) break;
      startAfter = lastKey;
    }
    const meta = { resourceVersion: String(listRevision) } as { resourceVersion: string; continue?: string; remainingItemCount?: number };
    if (more) {
      meta.continue = encodeContinue(listRevision, lastKey.slice(ctx.storage.keyPrefixFor(namespace).length));
      if (filter.matchesEverything) meta.remainingItemCount = remaining;
    }
    sendList(ctx, items, undefined, meta);
    return;
  }

  const cache = await ctx.storage.cache();
  const minimum = parseRevision(resourceVersion);
  if (resourceVersion === undefined || resourceVersion === '') await cache.sync();
  else if (minimum !== undefined && minimum > 0) await cache.waitForRevision(minimum);
  const entries = cache.list(ctx.storage.keyPrefixFor(namespace));
  const matching = filter.matchesEverything ? entries : entries.filter((entry) => filter(ctx.storage.view(entry)));
  // A conversion webhook converts the whole answer in one review.
  await ctx.storage.prepare(matching);
  const items = matching.map((entry) => ctx.storage.view(entry));
  const jsons = matching.map((entry) => ctx.storage.viewJson(entry));
  sendList(ctx, items, jsons, { resourceVersion: String(cache.revision) });
}

/** get of a computed kind (metrics.k8s.io): its answer, or the kind's own 404. */
export async function handleComputedGet(ctx: RequestContext): Promise<void> {
  const name = ctx.info.name!;
  const object = await ctx.type.computed!.get(ctx.info.namespace, name, await computedContext(ctx));
  if (!object) throw errors.notFound(ctx.type.group, ctx.type.resource, name);
  sendObject(ctx, 200, object);
}

/**
 * list of a computed kind: everything it computes, through the request's
 * selectors. As an aggregated server (metrics-server) answers: no
 * resourceVersion, no pages, and field selectors limited to the object's
 * metadata, refused in apimachinery's words (its default field-label conversion).
 */
export async function handleComputedList(ctx: RequestContext): Promise<void> {
  const fieldText = query(ctx, 'fieldSelector') ?? '';
  if (fieldText.trim()) {
    for (const { field } of parseFieldSelector(fieldText).requirements) {
      if (field !== 'metadata.name' && field !== 'metadata.namespace') {
        throw errors.badRequest(`${JSON.stringify(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
      }
    }
  }
  const filter = filterFor(ctx);
  const items = (await ctx.type.computed!.list(ctx.info.namespace, await computedContext(ctx))).filter((item) => filter(item));
  const output = outputOf(ctx);
  const head = { kind: listKind(ctx.type), apiVersion: apiVersionOfType(ctx.type), metadata: {} };
  switch (output.format) {
    case 'json':
      return sendJson(ctx.res, 200, { ...head, items });
    case 'yaml':
      return sendYaml(ctx.res, 200, { ...head, items });
    case 'table':
      return sendJson(ctx.res, 200, tableFor(ctx.type, items, output.version, includeObjectOf(ctx), ctx.server.clock.now(), {}));
    case 'metadata':
      return sendJson(ctx.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${output.version}`, metadata: {}, items: items.map((item) => partialMetadata(item, output.version)) });
  }
}

/** What computed kinds read from; the metrics scraper behind it is loaded on the first such read. */
async function computedContext(ctx: RequestContext): Promise<ComputedContext> {
  const { computedContextFor } = await import('../resource-metrics/index.js');
  return computedContextFor(ctx.server);
}
