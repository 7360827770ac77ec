/**
 * `serviceaccounts/<name>/token` (create): a TokenRequest answered with a
 * signed token for the service account, as upstream — audiences default to
 * the apiserver's, expirationSeconds to an hour (at least ten minutes), and
 * a token bound to a Pod, Secret or Node names that object with its uid (it
 * must exist, with the uid the reference gives); authentication then accepts
 * the token only while that object does (`serviceaccount-tokens.ts`).
 */
import { admissionReporting } from '../admission/reporting.js';
import type { KubeObject } from '../../machinery/object.js';
import { errors } from '../../machinery/status.js';
import { readBody } from '../http.js';
import type { RequestContext } from '../context.js';
import { timestamp } from '../context.js';
import { parseBody } from './decode.js';
import { sendObject } from './respond.js';
import { apiAudience, defaultExpirationSeconds, minExpirationSeconds, type ObjectRef } from '../serviceaccount-tokens.js';

interface BoundObjectRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

interface TokenRequest {
  spec?: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: BoundObjectRef };
}

/** The current object, or undefined when there is none. */
async function read(ctx: RequestContext, resource: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
  const type = ctx.server.registry.find('', 'v1', resource)!;
  return ctx.server.storageFor(type).get(namespace, name).then((r) => r.object, () => undefined);
}

/** The objects a token bound to `ref` names, as upstream's TokenREST checks them. */
async function boundObjects(ctx: RequestContext, namespace: string, serviceAccount: string, ref: BoundObjectRef): Promise<{ pod?: ObjectRef; secret?: ObjectRef; node?: ObjectRef }> {
  const slash = (ref.apiVersion ?? '').lastIndexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion!.slice(0, slash);
  const version = slash < 0 ? (ref.apiVersion ?? '') : ref.apiVersion!.slice(slash + 1);
  const kind = ref.kind ?? '';
  const resource = group === '' ? { Pod: 'pods', Secret: 'secrets', Node: 'nodes' }[kind] : undefined;
  if (!resource) throw errors.badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
  const name = ref.name ?? '';
  const object = await read(ctx, resource, kind === 'Node' ? undefined : namespace, name);
  if (!object) throw errors.notFound('', resource, name);
  const uid = object.metadata.uid!;
  if (ref.uid && ref.uid !== uid) {
    throw errors.conflict('', kind, name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  if (kind === 'Secret') return { secret: { name, uid } };
  if (kind === 'Node') return { node: { name, uid } };
  const spec = object.spec as { serviceAccountName?: string; nodeName?: string } | undefined;
  // Admission names every pod's account; one without a name runs as `default` (what node agents ask for).
  if ((spec?.serviceAccountName || 'default') !== serviceAccount) {
    throw errors.badRequest(`cannot bind token for serviceaccount "${serviceAccount}" to pod running with different serviceaccount name.`);
  }
  // A pod-bound token also names the pod's node (its uid when the node exists), for information only.
  const nodeName = spec?.nodeName;
  const node = nodeName ? { name: nodeName, uid: (await read(ctx, 'nodes', undefined, nodeName))?.metadata.uid ?? '' } : undefined;
  return { pod: { name, uid }, ...(node ? { node } : {}) };
}

export async function handleTokenRequest(ctx: RequestContext): Promise<void> {
  const tokens = ctx.server.serviceAccountTokens;
  if (!tokens) throw errors.methodNotSupported('', 'serviceaccounts/token', 'create');
  const namespace = ctx.info.namespace!;
  const name = ctx.info.name!;
  const { value } = parseBody(await readBody(ctx.req), ctx.req.headers['content-type']);
  const request = (value ?? {}) as TokenRequest;
  const serviceAccount = (await ctx.storage.get(namespace, name)).object;
  const expirationSeconds = request.spec?.expirationSeconds ?? defaultExpirationSeconds;
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < minExpirationSeconds) {
    throw errors.invalid('authentication.k8s.io', 'TokenRequest', name, [
      { type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: expirationSeconds, detail: 'may not specify a duration less than 10 minutes' },
    ]);
  }
  // A TokenRequest is a create of the serviceaccounts/token subresource: admission sees it (NodeRestriction: a node asks only for its pods).
  const attributes = { operation: 'CREATE' as const, type: ctx.type, subresource: 'token', namespace, name, object: request as unknown as KubeObject, user: ctx.user, dryRun: false, ...admissionReporting(ctx) };
  await ctx.server.admission.admit(attributes);
  await ctx.server.admission.validate(attributes);
  const audiences = request.spec?.audiences?.length ? request.spec.audiences : [apiAudience];
  const boundRef = request.spec?.boundObjectRef;
  const bound = boundRef ? await boundObjects(ctx, namespace, name, boundRef) : undefined;
  const now = ctx.server.clock.now();
  const { token, expires } = tokens.issue({ namespace, name, uid: serviceAccount.metadata.uid!, audiences, expirationSeconds, bound, now });
  const response = {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds, boundObjectRef: boundRef ?? null },
    status: { token, expirationTimestamp: timestamp(expires) },
  };
  return sendObject(ctx, 201, response as unknown as KubeObject);
}
