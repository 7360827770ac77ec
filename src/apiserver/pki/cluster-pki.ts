/**
 * The cluster's certificates under `<data-dir>/pki/`: created on first start,
 * reused afterwards. Reuse only parses and checks the files with Node's native
 * X509Certificate, so a restart costs a few milliseconds; anything missing,
 * unreadable, expiring or no longer matching what was asked for is reissued.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate, type CertificateAndKey, type CertificateRequest } from './certificates.js';
import { readIfExists, writeFileAtomic } from './files.js';

export interface ClusterPki {
  /** The directory holding the files. */
  dir: string;
  caCertPem: string;
  caKeyPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
}

export interface ClusterPkiOptions {
  /** Extra names and addresses the serving certificate must carry (the bind address among them). */
  hosts: string[];
}

export const caCommonName = 'skiff-ca';
export const adminUser = 'skiff-admin';
export const adminGroups = ['system:masters'];
const caDays = 3650;
const leafDays = 365;
// Leaf certificates are renewed at start once they enter their last 90 days, as k3s does.
const renewBeforeMs = 90 * 24 * 60 * 60 * 1000;

const serverAuth = '1.3.6.1.5.5.7.3.1';
const clientAuth = '1.3.6.1.5.5.7.3.2';

/** In-cluster names of the `kubernetes` Service and its ClusterIP, which pods use to reach the apiserver. */
const inClusterNames = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', '10.43.0.1'];

function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '[::]';
}

/**
 * Every name the serving certificate must be valid for. Binding to all
 * interfaces adds each interface address, since clients reach it through one.
 */
export function servingNames(hosts: string[]): string[] {
  const names = ['localhost', '127.0.0.1', '::1', hostname(), ...inClusterNames];
  for (const host of hosts) {
    if (!isUnspecified(host)) names.push(host.replace(/^\[(.*)\]$/, '$1'));
    else for (const entries of Object.values(networkInterfaces())) for (const entry of entries ?? []) names.push(entry.address.replace(/%.*$/, ''));
  }
  return [...new Set(names.filter((name) => name !== '').map((name) => (isIP(name) ? name : name.toLowerCase())))];
}

function parse(pair: CertificateAndKey): X509Certificate | undefined {
  try {
    const cert = new X509Certificate(pair.certPem);
    return cert.checkPrivateKey(createPrivateKey(pair.keyPem)) ? cert : undefined;
  } catch {
    return undefined;
  }
}

function load(dir: string, base: string): CertificateAndKey | undefined {
  const certPem = readIfExists(join(dir, `${base}.crt`));
  const keyPem = readIfExists(join(dir, `${base}.key`));
  return certPem && keyPem ? { certPem, keyPem } : undefined;
}

function save(dir: string, base: string, pair: CertificateAndKey): void {
  // The key first: a crash in between leaves a pair that fails checkPrivateKey and is reissued.
  writeFileAtomic(join(dir, `${base}.key`), pair.keyPem, 0o600);
  writeFileAtomic(join(dir, `${base}.crt`), pair.certPem, 0o644);
}

function expiresSoon(cert: X509Certificate, marginMs: number): boolean {
  return new Date(cert.validTo).getTime() - Date.now() < marginMs || new Date(cert.validFrom).getTime() > Date.now() + 5 * 60 * 1000;
}

function coversName(cert: X509Certificate, name: string): boolean {
  return isIP(name) ? cert.checkIP(name) !== undefined : cert.checkHost(name, { subject: 'never' }) !== undefined;
}

function usableLeaf(cert: X509Certificate | undefined, ca: X509Certificate, usage: string): cert is X509Certificate {
  return !!cert && cert.checkIssued(ca) && cert.verify(ca.publicKey) && !expiresSoon(cert, renewBeforeMs) && (cert.keyUsage ?? []).includes(usage);
}

async function ensureLeaf(
  dir: string,
  base: string,
  ca: CertificateAndKey,
  caCert: X509Certificate,
  request: CertificateRequest,
  fits: (cert: X509Certificate) => boolean,
): Promise<CertificateAndKey> {
  const existing = load(dir, base);
  const cert = existing && parse(existing);
  if (existing && usableLeaf(cert, caCert, request.usage === 'server' ? serverAuth : clientAuth) && fits(cert)) return existing;
  const issued = await issueCertificate(ca, request);
  save(dir, base, issued);
  return issued;
}

async function ensureAuthority(dir: string): Promise<{ ca: CertificateAndKey; caCert: X509Certificate }> {
  const existing = load(dir, 'ca');
  const cert = existing && parse(existing);
  if (existing && cert && cert.ca && cert.subject === `CN=${caCommonName}` && !expiresSoon(cert, 0)) return { ca: existing, caCert: cert };
  const ca = await createCertificateAuthority(caCommonName, caDays);
  save(dir, 'ca', ca);
  return { ca, caCert: new X509Certificate(ca.certPem) };
}

/** Creates the cluster's CA, serving and admin certificates on first start; reuses them afterwards. */
export async function ensureClusterPki(dataDir: string, options: ClusterPkiOptions): Promise<ClusterPki> {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { ca, caCert } = await ensureAuthority(dir);
  const names = servingNames(options.hosts);
  const [server, admin] = await Promise.all([
    ensureLeaf(dir, 'apiserver', ca, caCert, { commonName: 'skiff-apiserver', subjectAltNames: names, usage: 'server', days: leafDays }, (cert) =>
      names.every((name) => coversName(cert, name)),
    ),
    ensureLeaf(dir, 'admin', ca, caCert, { commonName: adminUser, organizations: adminGroups, usage: 'client', days: leafDays }, (cert) =>
      // Node prints the subject one attribute a line, in certificate order.
      cert.subject === [...adminGroups.map((group) => `O=${group}`), `CN=${adminUser}`].join('\n'),
    ),
  ]);
  return {
    dir,
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
  };
}

/**
 * A component's client certificate (`system:kube-scheduler`, a node's
 * `system:node:<name>`), kept in the pki directory as `<base>.crt` and reused
 * while it is valid and names the same user and groups.
 */
export async function ensureClientCertificate(pki: ClusterPki, base: string, request: { commonName: string; organizations?: string[] }): Promise<CertificateAndKey> {
  const ca = { certPem: pki.caCertPem, keyPem: pki.caKeyPem };
  const subject = [...(request.organizations ?? []).map((group) => `O=${group}`), `CN=${request.commonName}`].join('\n');
  return ensureLeaf(pki.dir, base, ca, new X509Certificate(pki.caCertPem), { ...request, usage: 'client', days: leafDays }, (cert) => cert.subject === subject);
}

/** A client certificate signed by the cluster CA, for node agents and other components. */
export async function issueClientCertificate(
  pki: ClusterPki,
  request: { commonName: string; organizations?: string[]; days?: number },
): Promise<CertificateAndKey> {
  return issueCertificate(
    { certPem: pki.caCertPem, keyPem: pki.caKeyPem },
    { commonName: request.commonName, organizations: request.organizations, usage: 'client', days: request.days ?? leafDays },
  );
}

/** A serving certificate signed by the cluster CA, for node agents' HTTPS endpoints. */
export async function issueServingCertificate(pki: Pick<ClusterPki, 'caCertPem' | 'caKeyPem'>, commonName: string, names: string[]): Promise<CertificateAndKey> {
  return issueCertificate({ certPem: pki.caCertPem, keyPem: pki.caKeyPem }, { commonName, subjectAltNames: names, usage: 'server', days: leafDays });
}
