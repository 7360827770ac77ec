/**
 * Rendering objects and lists in the negotiated format: JSON (joined from the
 * watch cache's JSON text when possible), YAML, a server-side Table, or
 * PartialObjectMetadata.
 */
import { logResponseObject } from '../audit/event-objects.js';
import type { KubeObject } from '../../machinery/object.js';
import type { ResourceType } from '../../api/resource.js';
import { negotiateOutput, sendJson, sendYaml, type OutputKind } from '../http.js';
import type { RequestContext } from '../context.js';
import { query } from '../context.js';
import { tableFor } from './table.js';
import { partialMetadata } from './partial-metadata.js';

export function outputOf(ctx: RequestContext): OutputKind {
  return negotiateOutput(ctx.req.headers.accept);
}

export function sendObject(ctx: RequestContext, code: number, object: KubeObject, output = outputOf(ctx)): void {
  if (ctx.audit) logResponseObject(ctx.audit.event, ctx.audit.config, object);
  switch (output.format) {
    case 'json':
      return sendJson(ctx.res, code, object);
    case 'yaml':
      return sendYaml(ctx.res, code, object);
    case 'table':
      return sendJson(ctx.res, code, tableFor(ctx.type, [object], output.version, includeObjectOf(ctx), ctx.server.clock.now(), {}));
    case 'metadata':
      return sendJson(ctx.res, code, partialMetadata(object, output.version));
  }
}

export function includeObjectOf(ctx: RequestContext): 'None' | 'Metadata' | 'Object' {
  const value = query(ctx, 'includeObject');
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

export function listKind(type: ResourceType): string {
  return `${type.kind}List`;
}

export function apiVersionOfType(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export interface ListMetaOut {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** Sends a list: `items` as objects, and `jsons` their JSON text when already serialised. */
export function sendList(ctx: RequestContext, items: KubeObject[], jsons: string[] | undefined, meta: ListMetaOut): void {
  const output = outputOf(ctx);
  const metadata: ListMetaOut = { resourceVersion: meta.resourceVersion };
  if (meta.continue) metadata.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) metadata.remainingItemCount = meta.remainingItemCount;
  switch (output.format) {
    case 'json': {
      const head = `{"kind":${JSON.stringify(listKind(ctx.type))},"apiVersion":${JSON.stringify(apiVersionOfType(ctx.type))},"metadata":${JSON.stringify(metadata)},"items":[`;
      const body = (jsons ?? items.map((item) => JSON.stringify(item))).join(',');
      return sendJson(ctx.res, 200, `${head}${body}]}`);
    }
    case 'yaml':
      return sendYaml(ctx.res, 200, { kind: listKind(ctx.type), apiVersion: apiVersionOfType(ctx.type), metadata, items });
    case 'table':
      return sendJson(ctx.res, 200, tableFor(ctx.type, items, output.version, includeObjectOf(ctx), ctx.server.clock.now(), { ...metadata }));
    case 'metadata':
      return sendJson(ctx.res, 200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: `meta.k8s.io/${output.version}`,
        metadata,
        items: items.map((item) => partialMetadata(item, output.version)),
      });
  }
}
