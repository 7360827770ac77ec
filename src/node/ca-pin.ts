/**
 * Pinning the cluster CA when joining, as kubeadm's
 * `--discovery-token-ca-cert-hash`: the hash (`sha256:<hex>`) of the CA
 * certificate's public key (its DER SubjectPublicKeyInfo), printed by
 * `skiff up`. Before the agent sends its join token anywhere, it reads the
 * certificate chain the server presents, finds a CA in it with that hash,
 * and checks that the server's own certificate was signed by it; the join
 * then trusts only that CA.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate, type DetailedPeerCertificate } from 'node:tls';

export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

function toPem(cert: PeerCertificate): string {
  const base64 = cert.raw.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

/** The CA (PEM) of the server at the URL whose public key has the pinned hash; rejects when there is none. */
export async function discoverPinnedCA(server: string, pin: string): Promise<string> {
  if (!/^sha256:[0-9a-f]{64}$/.test(pin)) throw new Error(`--ca-cert-hash ${pin}: expected sha256:<64 hex digits>`);
  const url = new URL(server);
  const chain = await new Promise<DetailedPeerCertificate>((resolve, reject) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443), rejectUnauthorized: false, servername: undefined }, () => {
      const peer = socket.getPeerCertificate(true);
      socket.end();
      resolve(peer);
    });
    socket.on('error', reject);
  });
  const leaf = new X509Certificate(chain.raw);
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = chain; cert && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    const pem = toPem(cert);
    if (caCertHash(pem) !== pin) continue;
    const ca = new X509Certificate(pem);
    if (!ca.ca || !leaf.verify(ca.publicKey)) break;
    return pem;
  }
  throw new Error(`the server ${server} does not present a CA matching --ca-cert-hash ${pin}: refusing to send the join token`);
}
