/**
 * Creating keys and certificates: ECDSA P-256 keys from WebCrypto, X.509
 * structure from @peculiar/x509. Everything here is PEM in, PEM out, so the
 * callers never hold library objects.
 */
import { createPrivateKey, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { installReflectMetadata } from './reflect-polyfill.js';

type X509Module = typeof import('@peculiar/x509');

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const dayMs = 24 * 60 * 60 * 1000;
// Back-dated so a node whose clock is a little behind still accepts a fresh certificate.
const clockSkewMs = 5 * 60 * 1000;

let loading: Promise<X509Module> | undefined;

/** Loaded on first use only: the library takes ~100 ms to load, and a restart that reuses its files never needs it. */
function loadX509(): Promise<X509Module> {
  loading ??= (async () => {
    installReflectMetadata();
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })();
  return loading;
}

export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

export interface CertificateRequest {
  commonName: string;
  organizations?: string[];
  /** DNS names and IP addresses, told apart by their syntax. */
  subjectAltNames?: string[];
  usage: 'server' | 'client';
  days: number;
}

async function generateKeyPair(): Promise<{ keys: CryptoKeyPair; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { keys, keyPem: toPem('PRIVATE KEY', pkcs8) };
}

/** A private key PEM (PKCS#8 or SEC1) as a WebCrypto signing key. */
async function importSigningKey(keyPem: string): Promise<CryptoKey> {
  const pkcs8 = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', pkcs8, keyAlgorithm, false, ['sign']);
}

export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - clockSkewMs), notAfter: new Date(now + days * dayMs) };
}

/** A self-signed certificate authority. */
export async function createCertificateAuthority(commonName: string, days: number): Promise<CertificateAndKey> {
  const [x509, { keys, keyPem }] = await Promise.all([loadX509(), generateKeyPair()]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm,
    ...validity(days),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

/** A new key and a certificate for it, signed by the given authority. */
export async function issueCertificate(ca: CertificateAndKey, request: CertificateRequest): Promise<CertificateAndKey> {
  const [x509, { keys, keyPem }] = await Promise.all([loadX509(), generateKeyPair()]);
  const subject: Record<string, string[]>[] = [];
  // Upstream reads groups from O and the user from CN; O comes first as Go writes it.
  if (request.organizations?.length) subject.push({ O: request.organizations });
  subject.push({ CN: [request.commonName] });
  const certPem = await signPublicKey(ca, {
    subject: new x509.Name(subject),
    publicKey: keys.publicKey,
    subjectAltNames: (request.subjectAltNames ?? []).map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value })),
    keyUsages: ['digital signature'],
    extendedKeyUsages: [request.usage === 'server' ? 'server auth' : 'client auth'],
    ...validity(request.days),
  });
  return { certPem, keyPem };
}

/** What a leaf certificate says, whoever made its key. Usages are named as in a CertificateSigningRequest. */
interface LeafCertificate {
  subject: InstanceType<X509Module['Name']> | string;
  publicKey: CryptoKey | InstanceType<X509Module['PublicKey']>;
  subjectAltNames: { type: 'dns' | 'ip' | 'email' | 'url'; value: string }[];
  keyUsages: string[];
  extendedKeyUsages: string[];
  notBefore: Date;
  notAfter: Date;
}

const keyUsageFlags: Record<string, number> = {
  'digital signature': 1, 'content commitment': 2, 'key encipherment': 4, 'data encipherment': 8,
  'key agreement': 16, 'cert sign': 32, 'crl sign': 64, 'encipher only': 128, 'decipher only': 256,
};
const extendedKeyUsageOids: Record<string, string> = {
  any: '2.5.29.37.0', 'server auth': '1.3.6.1.5.5.7.3.1', 'client auth': '1.3.6.1.5.5.7.3.2', 'code signing': '1.3.6.1.5.5.7.3.3',
  'email protection': '1.3.6.1.5.5.7.3.4', 's/mime': '1.3.6.1.5.5.7.3.4', 'ipsec end system': '1.3.6.1.5.5.7.3.5',
  'ipsec tunnel': '1.3.6.1.5.5.7.3.6', 'ipsec user': '1.3.6.1.5.5.7.3.7', timestamping: '1.3.6.1.5.5.7.3.8',
  'ocsp signing': '1.3.6.1.5.5.7.3.9', 'microsoft sgc': '1.3.6.1.4.1.311.10.3.3', 'netscape sgc': '2.16.840.1.113730.4.1',
};

/** Signs a leaf certificate for `leaf.publicKey` with the authority's key. */
async function signPublicKey(ca: CertificateAndKey, leaf: LeafCertificate): Promise<string> {
  const [x509, caKey] = await Promise.all([loadX509(), importSigningKey(ca.keyPem)]);
  const caCert = new x509.X509Certificate(ca.certPem);
  let flags = 0;
  for (const usage of leaf.keyUsages) flags |= keyUsageFlags[usage === 'signing' ? 'digital signature' : usage] ?? 0;
  const extended = [...new Set(leaf.extendedKeyUsages.map((usage) => extendedKeyUsageOids[usage]).filter(Boolean))];
  const extensions: InstanceType<X509Module['Extension']>[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (flags) extensions.push(new x509.KeyUsagesExtension(flags, true));
  if (extended.length) extensions.push(new x509.ExtendedKeyUsageExtension(extended));
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey));
  if (leaf.subjectAltNames.length) extensions.push(new x509.SubjectAlternativeNameExtension(leaf.subjectAltNames));
  const cert = await x509.X509CertificateGenerator.create({
    subject: leaf.subject,
    // The issuer must match the CA's subject byte for byte for chain building.
    issuer: caCert.subjectName,
    publicKey: leaf.publicKey,
    signingKey: caKey,
    signingAlgorithm,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    extensions,
  });
  return cert.toString('pem') + '\n';
}

export interface CertificateRequestSigning {
  /** The PEM certificate request (PKCS#10); its subject and subject alternative names are copied. */
  requestPem: string;
  /** Key usages and extended key usages, as named in a CertificateSigningRequest's spec.usages. */
  usages: string[];
  /** How long the certificate is valid; capped at the authority's own expiry. */
  durationMs: number;
  now: Date;
}

/** A certificate for the key of a certificate request, signed by the authority (what the csrsigning controller issues). */
export async function signCertificateRequest(ca: CertificateAndKey, signing: CertificateRequestSigning): Promise<string> {
  const x509 = await loadX509();
  const request = new x509.Pkcs10CertificateRequest(signing.requestPem);
  const caNotAfter = new x509.X509Certificate(ca.certPem).notAfter;
  const extension = request.extensions.find((e) => e instanceof x509.SubjectAlternativeNameExtension) as InstanceType<X509Module['SubjectAlternativeNameExtension']> | undefined;
  const names: { type: string; value: string }[] = extension?.names.toJSON() ?? [];
  return signPublicKey(ca, {
    subject: request.subjectName,
    publicKey: request.publicKey,
    subjectAltNames: names.filter((n): n is { type: 'dns' | 'ip' | 'email' | 'url'; value: string } => ['dns', 'ip', 'email', 'url'].includes(n.type)),
    keyUsages: signing.usages,
    extendedKeyUsages: signing.usages,
    notBefore: new Date(signing.now.getTime() - clockSkewMs),
    notAfter: new Date(Math.min(signing.now.getTime() + signing.durationMs, caNotAfter.getTime())),
  });
}
