export { ensureClientCertificate, ensureClusterPki, issueClientCertificate, issueServingCertificate, servingNames, adminUser, adminGroups, caCommonName, type ClusterPki, type ClusterPkiOptions } from './cluster-pki.js';
export { identityFromCertificate, type CertificateIdentity } from './identity.js';
export { signCertificateRequest, type CertificateAndKey, type CertificateRequestSigning } from './certificates.js';
