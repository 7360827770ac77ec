/**
 * A client certificate that changes while clients use it: a node agent's,
 * renewed through a CertificateSigningRequest. Every RestClient built from a
 * config carrying one follows it — new connections present the new
 * certificate, and the old connections are closed (watches reconnect), as
 * the kubelet's certificate manager does.
 */
export class RotatingClientCertificate {
  private readonly listeners = new Set<() => void>();

  constructor(
    public certPem: string,
    public keyPem: string,
  ) {}

  update(certPem: string, keyPem: string): void {
    this.certPem = certPem;
    this.keyPem = keyPem;
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
