/**
 * `serviceaccounts/<name>/token` (create): a TokenRequest answered with a
 * signed token for the service account, as upstream — audiences default to
 * the apiserver's, expirationSeconds to an hour (at least ten minutes), and
 * a token bound to a pod names that pod (which must exist, with that uid).
 */
import type { KubeObject } from '../../machinery/object.js';
import { errors } from '../../machinery/status.js';
import { readBody } from '../http.js';
import type { RequestContext } from '../context.js';
import { timestamp } from '../context.js';
import { parseBody } from './decode.js';
import { sendObject } from './respond.js';
import { apiAudience, defaultExpirationSeconds, minExpirationSeconds } from '../serviceaccount-tokens.js';

interface TokenRequest {
  spec?: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } };
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
  const audiences = request.spec?.audiences?.length ? request.spec.audiences : [apiAudience];
  let pod: { name: string; uid: string } | undefined;
  const bound = request.spec?.boundObjectRef;
  if (bound?.kind === 'Pod' && bound.name) {
    const pods = ctx.server.registry.find('', 'v1', 'pods')!;
    const object = (await ctx.server.storageFor(pods).get(namespace, bound.name).then((r) => r.object, () => undefined)) as KubeObject | undefined;
    if (!object || (bound.uid && object.metadata.uid !== bound.uid)) {
      throw errors.notFound('', 'pods', bound.name);
    }
    pod = { name: bound.name, uid: object.metadata.uid! };
  }
  const now = ctx.server.clock.now();
  const { token, expires } = tokens.issue({ namespace, name, uid: serviceAccount.metadata.uid!, audiences, expirationSeconds, pod, now });
  const response = {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds, boundObjectRef: bound ?? null },
    status: { token, expirationTimestamp: timestamp(expires) },
  };
  return sendObject(ctx, 201, response as unknown as KubeObject);
}
