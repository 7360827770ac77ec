/** certificates.k8s.io/v1. */
import type { ResourceType } from '../resource.js';
import { certificatesigningrequests } from './csr.js';

export * from './csr.js';
export * from './signers.js';
export { createCertificateRequest, parseCertificateRequest, type NewCertificateRequest, type ParsedCertificateRequest } from './request.js';

export const resources: ResourceType[] = [certificatesigningrequests as ResourceType];
