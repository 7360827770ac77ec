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
  const [x509, { keys, keyPem }, caKey] = await Promise.all([loadX509(), generateKeyPair(), importSigningKey(ca.keyPem)]);
  const caCert = new x509.X509Certificate(ca.certPem);
  const extensions: InstanceType<X509Module['Extension']>[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([request.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  if (request.subjectAltNames?.length) {
    const names = request.subjectAltNames.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }));
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  }
  const subject: Record<string, string[]>[] = [];
  // Upstream reads groups from O and the user from CN; O comes first as Go writes it.
  if (request.organizations?.length) subject.push({ O: request.organizations });
  subject.push({ CN: [request.commonName] });
  const cert = await x509.X509CertificateGenerator.create({
    subject,
    // The issuer must match the CA's subject byte for byte for chain building.
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm,
    ...validity(request.days),
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem };
}
