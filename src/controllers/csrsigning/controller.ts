/**
 * The CSR signing controller (kube-controller-manager's `csrsigning`): signs
 * approved CertificateSigningRequests for the built-in signers
 * `kubernetes.io/kube-apiserver-client`, `kube-apiserver-client-kubelet` and
 * `kubelet-serving` with the cluster CA.
 *
 * reconcile(key): an approved, not failed, not yet issued request for one of
 * those signers is checked against what its signer accepts — a request that
 * does not fit gets a Failed condition (reason SignerValidationFailure) —
 * and otherwise gets a certificate written through `/status`. The CA's key is
 * never in the API: the CLI hands the controller a `ClusterSigner`.
 */
import {
  clusterSigners,
  hasCondition,
  parseCertificateRequest,
  type CertificateSigningRequest,
} from '../../api/certificates/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { splitKey, timestamp } from '../../client/index.js';
import { certificateSigningRequestsResource } from '../resources.js';

/** Upstream's `--cluster-signing-duration` default: one year. */
export const defaultClusterSigningDurationMs = 365 * 24 * 60 * 60 * 1000;

export interface ClusterSigner {
  /** A PEM certificate for the PEM request's key: its subject and SANs, these usages, valid for durationMs from now. */
  sign(request: { requestPem: string; usages: string[]; durationMs: number; now: Date }): Promise<string>;
  /** The longest validity issued (`--cluster-signing-duration`); default one year. */
  durationMs?: number;
}

/** How long a certificate for `csr` is valid: the cluster's duration, shortened by spec.expirationSeconds. */
export function certificateDurationMs(csr: CertificateSigningRequest, clusterDurationMs: number): number {
  const requested = csr.spec.expirationSeconds;
  return requested === undefined ? clusterDurationMs : Math.min(clusterDurationMs, requested * 1000);
}

export function csrSigningController(context: ControllerContext, signer: ClusterSigner): ControllerSpec {
  const informer = context.informers.informerFor<CertificateSigningRequest>(certificateSigningRequestsResource);
  const requests = context.client.resource<CertificateSigningRequest>(certificateSigningRequestsResource);
  return {
    name: 'csrsigning',
    for: certificateSigningRequestsResource,
    async reconcile(key) {
      const csr = informer.lister.get(undefined, splitKey(key).name);
      if (!csr || !hasCondition(csr, 'Approved') || hasCondition(csr, 'Failed') || csr.status?.certificate) return undefined;
      const check = clusterSigners[csr.spec.signerName];
      if (!check) return undefined; // another signer's request
      const requestPem = Buffer.from(csr.spec.request, 'base64').toString('utf8');
      const usages = csr.spec.usages ?? [];
      const problem = check(parseCertificateRequest(requestPem), usages);
      const now = context.now();
      const next = structuredClone(csr);
      if (problem) {
        next.status = { ...next.status, conditions: [...(next.status?.conditions ?? []), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: problem, lastUpdateTime: timestamp(now) }] };
      } else {
        const durationMs = certificateDurationMs(csr, signer.durationMs ?? defaultClusterSigningDurationMs);
        const certPem = await signer.sign({ requestPem, usages, durationMs, now });
        next.status = { ...next.status, certificate: Buffer.from(certPem).toString('base64') };
      }
      // A conflict (someone wrote in between) fails the reconcile; the queue retries on the newer object.
      await requests.updateStatus(next);
      return undefined;
    },
  };
}
