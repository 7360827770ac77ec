/**
 * Dispatches a resource request to the handler for its verb, after checking
 * that the resource supports that verb.
 */
import { errors, StatusError } from '../../machinery/status.js';
import { ALL_VERBS } from '../../api/resource.js';
import type { RequestContext } from '../context.js';
import { handleComputedGet, handleComputedList, handleGet, handleList } from './read.js';
import { handleCreate, handlePatch, handleUpdate } from './write.js';
import { handleDelete, handleDeleteCollection } from './delete.js';
import { handleWatch } from './watch.js';
import { handleSubresource } from './subresources.js';
import { loadDecoderFor } from './decode.js';

/** Verbs that never validate an object: everything else may, and prepares the kind's validation first. */
const readVerbs = new Set(['get', 'list', 'watch']);

export async function handleResource(ctx: RequestContext): Promise<void> {
  const { info, type } = ctx;
  await loadDecoderFor(ctx.req.headers['content-type']);
  if (type.prepareWrites && !readVerbs.has(info.verb)) await type.prepareWrites();
  if (info.subresource) {
    if (!info.name) throw errors.methodNotSupported(type.group, type.resource, info.verb);
    // A computed kind has no subresources: no route, as an aggregated server has none.
    if (type.computed) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    return handleSubresource(ctx);
  }
  const verbs = type.verbs ?? ALL_VERBS;
  if (!(verbs as string[]).includes(info.verb) || (info.verb === 'create' && info.name)) {
    throw errors.methodNotSupported(type.group, type.resource, info.verb);
  }
  // A CRD being deleted takes its objects with it: nothing new may join them meanwhile.
  if (info.verb === 'create' && type.customResource?.terminating) {
    const refused = errors.methodNotSupported(type.group, type.resource, info.verb);
    refused.status.message = 'create not allowed while custom resource definition is terminating';
    throw refused;
  }
  // Creating through a namespaced URL of a cluster-scoped kind, or the reverse, is not found upstream.
  if (info.verb !== 'list' && info.verb !== 'watch' && info.verb !== 'deletecollection' && info.verb !== 'create') {
    if (type.namespaced && !info.namespace) throw errors.notFound(type.group, type.resource, info.name ?? '');
  }
  if (type.namespaced && info.verb === 'create' && !info.namespace) {
    throw errors.badRequest('the server could not find the requested resource: namespace is required');
  }
  // Kinds computed on each read (metrics.k8s.io) have nothing in storage to read.
  if (type.computed) {
    if (info.verb === 'get') return handleComputedGet(ctx);
    if (info.verb === 'list') return handleComputedList(ctx);
    throw errors.methodNotSupported(type.group, type.resource, info.verb);
  }
  switch (info.verb) {
    case 'get':
      return handleGet(ctx);
    case 'list':
      return handleList(ctx);
    case 'watch':
      return handleWatch(ctx);
    case 'create':
      return handleCreate(ctx);
    case 'update':
      return handleUpdate(ctx);
    case 'patch':
      return handlePatch(ctx);
    case 'delete':
      return handleDelete(ctx);
    case 'deletecollection':
      return handleDeleteCollection(ctx);
    default:
      throw errors.methodNotSupported(type.group, type.resource, info.verb);
  }
}
