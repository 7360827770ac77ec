/**
 * What each built-in signer accepts (upstream's per-signer request checks,
 * used by the signing and approving controllers): a request that fails them
 * gets a Failed condition rather than a certificate.
 */
import type { ParsedCertificateRequest } from './request.js';
import { kubeAPIServerClientKubeletSignerName, kubeAPIServerClientSignerName, kubeletServingSignerName } from './csr.js';

export const nodeUserPrefix = 'system:node:';
export const nodesGroup = 'system:nodes';

/** Fails unless every usage is allowed and each required one is present. */
function checkUsages(usages: string[], allowed: string[], required: string[]): string | undefined {
  const extra = usages.filter((u) => !allowed.includes(u));
  const missing = required.filter((u) => !usages.includes(u));
  if (extra.length || missing.length) return `usages did not match [${allowed.join(' ')}]${missing.length ? `: missing "${missing.join('", "')}"` : ''}${extra.length ? `: not allowed "${extra.join('", "')}"` : ''}`;
  return undefined;
}

function checkNodeSubject(request: ParsedCertificateRequest): string | undefined {
  if (request.organizations.length !== 1 || request.organizations[0] !== nodesGroup) return `subject organization is not ${nodesGroup}`;
  if (!request.commonName?.startsWith(nodeUserPrefix)) return `subject common name does not begin with ${nodeUserPrefix}`;
  return undefined;
}

/** A node's client certificate: `system:node:<name>` in `system:nodes`, no SANs, client auth. */
export function kubeletClientProblem(request: ParsedCertificateRequest, usages: string[]): string | undefined {
  const subject = checkNodeSubject(request);
  if (subject) return subject;
  if (request.dnsNames.length) return 'DNS subjectAltNames are not allowed';
  if (request.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (request.ipAddresses.length) return 'IP subjectAltNames are not allowed';
  if (request.uris.length) return 'URI subjectAltNames are not allowed';
  return checkUsages(usages, ['digital signature', 'key encipherment', 'client auth'], ['client auth']);
}

/** A node's serving certificate: same subject, DNS or IP names only, server auth. */
export function kubeletServingProblem(request: ParsedCertificateRequest, usages: string[]): string | undefined {
  const subject = checkNodeSubject(request);
  if (subject) return subject;
  if (!request.dnsNames.length && !request.ipAddresses.length) return 'DNS or IP subjectAltName is required';
  if (request.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (request.uris.length) return 'URI subjectAltNames are not allowed';
  return checkUsages(usages, ['digital signature', 'key encipherment', 'server auth'], ['server auth']);
}

/** Any client of the apiserver: any subject, client auth only. */
export function apiserverClientProblem(_request: ParsedCertificateRequest, usages: string[]): string | undefined {
  return checkUsages(usages, ['digital signature', 'key encipherment', 'client auth'], ['client auth']);
}

/** The signers the cluster CA signs for, each with its check of a request. */
export const clusterSigners: Record<string, (request: ParsedCertificateRequest, usages: string[]) => string | undefined> = {
  [kubeAPIServerClientSignerName]: apiserverClientProblem,
  [kubeAPIServerClientKubeletSignerName]: kubeletClientProblem,
  [kubeletServingSignerName]: kubeletServingProblem,
};
