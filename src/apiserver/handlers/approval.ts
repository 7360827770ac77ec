/**
 * CertificateSigningRequests' `/approval` subresource, which `kubectl
 * certificate approve|deny` writes: only the Approved and Denied conditions
 * change (the signer writes the certificate and Failed through `/status`).
 */
import type { KubeObject } from '../../machinery/object.js';
import { errors } from '../../machinery/status.js';
import { prepareApprovalUpdate, validateApprovalUpdate, type CertificateSigningRequest } from '../../api/certificates/index.js';
import { readBody } from '../http.js';
import type { RequestContext } from '../context.js';
import { timestamp } from '../context.js';
import { decodeObject } from './decode.js';
import { guaranteedUpdate } from './write.js';
import { applyDecodedPatch, decodePatch } from './patch.js';
import { sendObject } from './respond.js';

export async function handleApproval(ctx: RequestContext): Promise<void> {
  const { verb } = ctx.info;
  if (verb === 'get') {
    const { object } = await ctx.storage.get(ctx.info.namespace, ctx.info.name!);
    return sendObject(ctx, 200, object);
  }
  const approvalOnly = {
    subresourceStatus: (next: KubeObject, old: KubeObject) => {
      const result = prepareApprovalUpdate(next as CertificateSigningRequest, old as CertificateSigningRequest, timestamp(ctx.server.clock.now()));
      const errs = validateApprovalUpdate(result, old as CertificateSigningRequest);
      if (errs.length) throw errors.invalid(ctx.type.group, ctx.type.kind, ctx.info.name!, errs);
      return result as KubeObject;
    },
  };
  if (verb === 'update') {
    const body = decodeObject(ctx, await readBody(ctx.req));
    const { object } = await guaranteedUpdate(ctx, () => body, approvalOnly);
    return sendObject(ctx, 200, object);
  }
  if (verb === 'patch') {
    const patch = decodePatch(ctx, await readBody(ctx.req));
    const { object } = await guaranteedUpdate(ctx, (current) => applyDecodedPatch(ctx, current, patch), approvalOnly);
    return sendObject(ctx, 200, object);
  }
  throw errors.methodNotSupported(ctx.type.group, `${ctx.type.resource}/approval`, verb);
}
