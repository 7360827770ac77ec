/** Who a verified client certificate speaks for, read the way upstream reads it. */
import type { PeerCertificate } from 'node:tls';

export interface CertificateIdentity {
  /** The subject's common name. */
  user: string;
  /** The subject's organization values, in order. */
  groups: string[];
}

function values(field: string | string[] | undefined): string[] {
  if (field === undefined) return [];
  return Array.isArray(field) ? field : [field];
}

/**
 * The user (CN) and groups (O) of a peer certificate, or undefined when the
 * peer sent none or it has no common name. Node gives a repeated attribute as
 * an array; like Go's pkix.Name, the last CN wins.
 */
export function identityFromCertificate(peer: PeerCertificate | undefined): CertificateIdentity | undefined {
  const subject = peer?.subject as Record<string, string | string[] | undefined> | undefined;
  if (!subject) return undefined;
  const commonNames = values(subject.CN);
  const user = commonNames[commonNames.length - 1];
  if (!user) return undefined;
  return { user, groups: values(subject.O) };
}
