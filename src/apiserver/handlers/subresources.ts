/**
 * Subresources with their own semantics: `/status` (only status changes),
 * `/scale` (an autoscaling/v1 Scale view of the replica count), pods'
 * `/binding` (assign a node) and `/eviction` (a polite delete),
 * namespaces' `/finalize` (only spec.finalizers changes), those a kind
 * declares a strategy for (pods' `/ephemeralcontainers`: only ephemeral
 * containers are added), CertificateSigningRequests' `/approval`
 * (approval.ts), and `/proxy` of pods, services and nodes (proxy.ts), with
 * every verb.
 */
import type { KubeObject } from '../../machinery/object.js';
import { isPlainObject } from '../../machinery/object.js';
import { errors, StatusError } from '../../machinery/status.js';
import { s } from '../../machinery/schema/build.js';
import { ObjectMetaSchema } from '../../machinery/schema/meta.js';
import type { Schema } from '../../machinery/schema/types.js';
import type { ScaleSubresource, SubresourceStrategy } from '../../api/resource.js';
import { readBody, sendJson } from '../http.js';
import type { RequestContext } from '../context.js';
import { timestamp } from '../context.js';
import { prepareStatusUpdate, prepareSubresourceUpdate } from '../strategy.js';
import { decodeObject, fieldValidationOf, parseBody, validateFields } from './decode.js';
import { guaranteedUpdate } from './write.js';
import { applyDecodedPatch, decodePatch, isApply } from './patch.js';
import { sendObject } from './respond.js';
import { deleteObject } from './delete.js';
import { handleEviction } from './eviction.js';
import { handleLog } from './logs.js';
import { handleTokenRequest } from './token-request.js';
import { handleProxy } from './proxy.js';
import { handleApproval } from './approval.js';

export async function handleSubresource(ctx: RequestContext): Promise<void> {
  const sub = ctx.info.subresource!;
  const verb = ctx.info.verb;
  const { type } = ctx;
  if (sub === 'status' && type.subresources?.status) return handleStatus(ctx);
  if (sub === 'scale' && type.subresources?.scale) return handleScale(ctx, type.subresources.scale);
  const strategy = type.subresources?.strategies?.[sub];
  if (strategy) return handleWithStrategy(ctx, strategy);
  if (type.group === '' && type.resource === 'pods' && sub === 'binding' && verb === 'create') return handleBinding(ctx);
  if (type.group === '' && type.resource === 'pods' && sub === 'eviction' && verb === 'create') return handleEviction(ctx);
  if (type.group === '' && type.resource === 'pods' && sub === 'log' && verb === 'get') return handleLog(ctx);
  if (type.group === '' && type.resource === 'namespaces' && sub === 'finalize' && verb === 'update') return handleFinalize(ctx);
  if (type.group === '' && type.resource === 'serviceaccounts' && sub === 'token' && verb === 'create') return handleTokenRequest(ctx);
  if (type.group === '' && sub === 'proxy' && ['pods', 'services', 'nodes'].includes(type.resource)) return handleProxy(ctx);
  if (type.group === 'certificates.k8s.io' && type.resource === 'certificatesigningrequests' && sub === 'approval') return handleApproval(ctx);
  if ((type.subresources?.others ?? []).includes(sub) || sub === 'status' || sub === 'scale') {
    throw errors.methodNotSupported(type.group, `${type.resource}/${sub}`, verb);
  }
  throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

async function handleStatus(ctx: RequestContext): Promise<void> {
  const { verb } = ctx.info;
  if (verb === 'get') {
    const { object } = await ctx.storage.get(ctx.info.namespace, ctx.info.name!);
    return sendObject(ctx, 200, object);
  }
  const statusOnly = { subresourceStatus: (next: KubeObject, old: KubeObject) => prepareStatusUpdate(ctx.type, next, old, ctx.server.clock.now()) };
  if (verb === 'update') {
    const body = decodeObject(ctx, await readBody(ctx.req));
    const { object } = await guaranteedUpdate(ctx, () => body, statusOnly);
    return sendObject(ctx, 200, object);
  }
  if (verb === 'patch') {
    const patch = decodePatch(ctx, await readBody(ctx.req));
    const { object } = await guaranteedUpdate(ctx, (current) => applyDecodedPatch(ctx, current, patch), { ...statusOnly, apply: isApply(patch) });
    return sendObject(ctx, 200, object);
  }
  throw errors.methodNotSupported(ctx.type.group, `${ctx.type.resource}/status`, verb);
}

/**
 * A subresource that reads and writes the whole object and changes only
 * what its strategy lets through (upstream: the pod's ephemeralcontainers
 * REST, which shares the pod's store with another update strategy).
 */
async function handleWithStrategy(ctx: RequestContext, strategy: SubresourceStrategy): Promise<void> {
  const { verb } = ctx.info;
  const sub = ctx.info.subresource!;
  if (verb === 'get') {
    const { object } = await ctx.storage.get(ctx.info.namespace, ctx.info.name!);
    return sendObject(ctx, 200, object);
  }
  const through = { subresourceStatus: (next: KubeObject, old: KubeObject) => prepareSubresourceUpdate(ctx.type, strategy, next, old) };
  if (verb === 'update') {
    const body = decodeObject(ctx, await readBody(ctx.req));
    const { object } = await guaranteedUpdate(ctx, () => structuredClone(body), through);
    return sendObject(ctx, 200, object);
  }
  if (verb === 'patch') {
    const patch = decodePatch(ctx, await readBody(ctx.req));
    const { object } = await guaranteedUpdate(ctx, (current) => applyDecodedPatch(ctx, current, patch), { ...through, apply: isApply(patch) });
    return sendObject(ctx, 200, object);
  }
  throw errors.methodNotSupported(ctx.type.group, `${ctx.type.resource}/${sub}`, verb);
}

// --- scale ---

const ScaleSchema: Schema = s.object('io.k8s.api.autoscaling.v1.Scale', 'Scale of a resource.', {
  apiVersion: s.string(),
  kind: s.string(),
  metadata: ObjectMetaSchema,
  spec: s.object('io.k8s.api.autoscaling.v1.ScaleSpec', 'Desired scale.', { replicas: s.int32('Desired number of replicas.') }),
  status: s.object('io.k8s.api.autoscaling.v1.ScaleStatus', 'Current scale.', {
    replicas: s.int32('Actual number of replicas.'),
    selector: s.string('Label selector of the pods, as a string.'),
  }),
});

function readPath(object: unknown, path: string): unknown {
  let value: unknown = object;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (!isPlainObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

function writePath(object: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let target = object;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(target[part])) target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  target[parts[parts.length - 1]] = value;
}

function selectorString(selector: unknown): string {
  if (typeof selector === 'string') return selector;
  if (!isPlainObject(selector)) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries((selector.matchLabels as Record<string, string>) ?? {})) parts.push(`${k}=${v}`);
  for (const e of (selector.matchExpressions as { key: string; operator: string; values?: string[] }[]) ?? []) {
    const values = (e.values ?? []).slice().sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.sort().join(',');
}

function scaleOf(object: KubeObject, scale: ScaleSubresource): KubeObject {
  const m = object.metadata;
  const selector = scale.labelSelectorPath ? readPath(object, scale.labelSelectorPath) : readPath(object, '.spec.selector');
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: (readPath(object, scale.specReplicasPath) as number | undefined) ?? 0 },
    status: { replicas: (readPath(object, scale.statusReplicasPath) as number | undefined) ?? 0, selector: selectorString(selector) },
  };
}

async function handleScale(ctx: RequestContext, scale: ScaleSubresource): Promise<void> {
  const { verb } = ctx.info;
  const send = (object: KubeObject) => sendJson(ctx.res, 200, scaleOf(object, scale));
  if (verb === 'get') return send((await ctx.storage.get(ctx.info.namespace, ctx.info.name!)).object);
  if (verb !== 'update' && verb !== 'patch') throw errors.methodNotSupported(ctx.type.group, `${ctx.type.resource}/scale`, verb);
  const body = await readBody(ctx.req);
  // Decoded once; each round of guaranteedUpdate works from the object of that round.
  const update = verb === 'update' ? parseBody(body, ctx.req.headers['content-type']) : undefined;
  const patch = verb === 'patch' ? decodePatch(ctx, body) : undefined;
  const { object } = await guaranteedUpdate(ctx, (current) => {
    const currentScale = scaleOf(current, scale);
    let desired: KubeObject;
    if (update) {
      const value = structuredClone(update.value);
      if (!isPlainObject(value)) throw errors.badRequest('Scale must be an object');
      validateFields(ctx, value, ScaleSchema, update.duplicates, fieldValidationOf(ctx));
      desired = value as KubeObject;
    } else {
      desired = applyDecodedPatch(ctx, currentScale, patch!, ScaleSchema);
    }
    const replicas = (desired.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('autoscaling', 'Scale', ctx.info.name!, [
        { type: 'FieldValueInvalid', field: 'spec.replicas', value: replicas, detail: 'must be greater than or equal to 0' },
      ]);
    }
    const rv = desired.metadata?.resourceVersion;
    writePath(current, scale.specReplicasPath, replicas);
    if (rv) current.metadata.resourceVersion = rv;
    return current;
  });
  send(object);
}

// --- pods ---

async function handleBinding(ctx: RequestContext): Promise<void> {
  const { value } = parseBody(await readBody(ctx.req), ctx.req.headers['content-type']);
  const binding = value as { metadata?: { name?: string }; target?: { kind?: string; name?: string } };
  const podName = ctx.info.name!;
  if (binding.metadata?.name && binding.metadata.name !== podName) {
    throw errors.badRequest(`name in URL does not match name in Binding object`);
  }
  const nodeName = binding.target?.name;
  if (!nodeName) {
    throw errors.invalid('', 'Binding', podName, [{ type: 'FieldValueRequired', field: 'target.name', detail: '' }]);
  }
  if (binding.target?.kind && binding.target.kind !== 'Node') {
    throw errors.invalid('', 'Binding', podName, [
      { type: 'FieldValueNotSupported', field: 'target.kind', value: binding.target.kind, detail: 'supported values: "Node", ""' },
    ]);
  }
  await guaranteedUpdate(
    ctx,
    (pod) => {
      if (pod.metadata.deletionTimestamp) {
        throw errors.conflict('', 'pods', podName, 'pod is being deleted, cannot be assigned to a host');
      }
      const spec = pod.spec as { nodeName?: string };
      if (spec.nodeName) {
        throw errors.conflict('', 'pods/binding', podName, `pod ${podName} is already assigned to node "${spec.nodeName}"`);
      }
      spec.nodeName = nodeName;
      const status = (pod.status ??= {}) as { conditions?: { type: string; status: string; lastTransitionTime?: string; lastProbeTime?: null }[] };
      const conditions = (status.conditions ??= []);
      const scheduled = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(ctx.server.clock.now()) };
      const index = conditions.findIndex((c) => c.type === 'PodScheduled');
      if (index >= 0) conditions[index] = scheduled;
      else conditions.push(scheduled);
      return pod;
    },
    // Upstream binds through storage directly: the binding leaves no managedFields entry.
    { subresourceStatus: (next) => next, tracksFields: false },
  );
  sendJson(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

async function handleFinalize(ctx: RequestContext): Promise<void> {
  const body = decodeObject(ctx, await readBody(ctx.req));
  const { object } = await guaranteedUpdate(
    ctx,
    (current) => {
      const spec = (current.spec ??= {}) as { finalizers?: string[] };
      spec.finalizers = ((body.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).slice();
      if (body.metadata.resourceVersion) current.metadata.resourceVersion = body.metadata.resourceVersion;
      return current;
    },
    { subresourceStatus: (next) => next },
  );
  // A terminating namespace whose finalizers are all gone is removed, as upstream.
  const finalizers = (object.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
  if (object.metadata.deletionTimestamp && finalizers.length === 0 && (object.metadata.finalizers?.length ?? 0) === 0) {
    const outcome = await deleteObject(ctx, undefined, ctx.info.name!, {});
    return sendObject(ctx, 200, outcome.object);
  }
  sendObject(ctx, 200, object);
}

