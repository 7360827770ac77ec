/**
 * The CSR approving controller (kube-controller-manager's `csrapproving`):
 * approves node client certificate requests (signer
 * `kubernetes.io/kube-apiserver-client-kubelet`) that a node may make —
 *
 * - a node renewing its own certificate: the requester is `system:node:<name>`
 *   in `system:nodes`, and the request's CN is that same user;
 * - a bootstrapping node: the requester is in `system:bootstrappers`.
 *
 * Upstream asks a SubjectAccessReview for the `selfnodeclient` / `nodeclient`
 * subresources, which the default RBAC grants to exactly these groups; skiff
 * has no authorizer yet, so the groups decide. Anything else is left for a
 * person (`kubectl certificate approve|deny`). Approval goes through `/approval`.
 */
import {
  hasCondition,
  kubeAPIServerClientKubeletSignerName,
  kubeletClientProblem,
  nodesGroup,
  nodeUserPrefix,
  parseCertificateRequest,
  type CertificateSigningRequest,
} from '../../api/certificates/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey, timestamp } from '../../client/index.js';
import { certificateSigningRequestsResource } from '../resources.js';

export const bootstrappersGroup = 'system:bootstrappers';

/** Why `csr` may be approved automatically (the condition's message), or undefined when a person must decide. */
export function autoApproval(csr: CertificateSigningRequest): string | undefined {
  if (csr.spec.signerName !== kubeAPIServerClientKubeletSignerName) return undefined;
  let request;
  try {
    request = parseCertificateRequest(Buffer.from(csr.spec.request, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (kubeletClientProblem(request, csr.spec.usages ?? [])) return undefined;
  const groups = csr.spec.groups ?? [];
  const username = csr.spec.username ?? '';
  if (username.startsWith(nodeUserPrefix) && groups.includes(nodesGroup) && request.commonName === username) {
    return 'Auto approving self kubelet client certificate after SubjectAccessReview.';
  }
  if (groups.includes(bootstrappersGroup)) return 'Auto approving kubelet client certificate after SubjectAccessReview.';
  return undefined;
}

export function csrApprovingController(context: ControllerContext): ControllerSpec {
  const informer = context.informers.informerFor<CertificateSigningRequest>(certificateSigningRequestsResource);
  const requests = context.client.resource<CertificateSigningRequest>(certificateSigningRequestsResource);
  return {
    name: 'csrapproving',
    for: certificateSigningRequestsResource,
    async reconcile(key) {
      const csr = informer.lister.get(undefined, splitKey(key).name);
      if (!csr || hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied') || csr.status?.certificate) return undefined;
      const message = autoApproval(csr);
      if (!message) return undefined;
      const next = structuredClone(csr);
      next.status = { ...next.status, conditions: [...(next.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: 'AutoApproved', message, lastUpdateTime: timestamp(context.now()) }] };
      await requests.updateSubresource(next, 'approval');
      return undefined;
    },
  };
}
