/**
 * The agent's certificate renewal, after the kubelet's certificate manager:
 * at a jittered 70–90% of the certificate's lifetime the agent makes a new
 * key, asks for a certificate through a CertificateSigningRequest, and
 * switches to it once issued. The client certificate uses signer
 * `kubernetes.io/kube-apiserver-client-kubelet` (csrapproving approves a
 * node's own name, csrsigning signs); the serving certificate
 * `kubernetes.io/kubelet-serving`, which — as upstream — waits for a person's
 * `kubectl certificate approve`.
 *
 * One key in a rate-limited work queue drives it, level-triggered: each round
 * either waits for the deadline, creates the request, or looks whether the
 * pending request has its certificate; a failure backs off and retries.
 */
import { X509Certificate } from 'node:crypto';
import {
  createCertificateRequest,
  hasCondition,
  kubeAPIServerClientKubeletSignerName,
  kubeletServingSignerName,
  nodesGroup,
  nodeUserPrefix,
  type CertificateSigningRequest,
} from '../api/certificates/index.js';
import { certificateSigningRequestsResource, WorkQueue, type Client, type RotatingClientCertificate } from '../client/index.js';
import { whenAborted } from '../machinery/abort.js';

export interface CertificateRotationOptions {
  client: Client;
  nodeName: string;
  certificate: RotatingClientCertificate;
  /** For the serving certificate: the node's names and addresses (default: the client certificate). */
  serving?: { dnsNames: string[]; ipAddresses: string[] };
  /** Called with the new certificate and key once issued (the CLI writes them to the data dir). */
  onRotated?(certPem: string, keyPem: string): void;
  now?: () => Date;
  /** The fraction of the lifetime after which to renew; default random in [0.7, 0.9). */
  rotationFraction?: () => number;
  /** How often a pending request is looked at; default 2 s. */
  pollIntervalMs?: number;
  log?(event: Record<string, unknown>): void;
}

/** When a certificate valid from `notBefore` to `notAfter` should be renewed. */
export function rotationDeadline(certPem: string, fraction: number): Date {
  const cert = new X509Certificate(certPem);
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return new Date(from + (to - from) * fraction);
}

const key = 'certificate';

export class CertificateRotation {
  private readonly queue = new WorkQueue({ baseDelayMs: 1000, maxDelayMs: 5 * 60_000 });
  private pending?: { name: string; keyPem: string };
  private deadline?: { certPem: string; at: Date };

  constructor(private readonly options: CertificateRotationOptions) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    whenAborted(signal, () => this.queue.shutDown());
    this.queue.add(key);
    for (;;) {
      const item = await this.queue.get();
      if (item === undefined) return;
      try {
        const waitMs = await this.round();
        this.queue.forget(item);
        if (!signal.aborted) this.queue.addAfter(item, waitMs);
      } catch (err) {
        this.options.log?.({ msg: 'certificate renewal failed; retrying', error: (err as Error).message });
        this.queue.addRateLimited(item);
      } finally {
        this.queue.done(item);
      }
    }
  }

  /** One step; returns how long until the next. */
  async round(): Promise<number> {
    const { client, nodeName, certificate } = this.options;
    const requests = client.resource<CertificateSigningRequest>(certificateSigningRequestsResource);
    if (this.pending) {
      const csr = await requests.find(undefined, this.pending.name);
      if (!csr || hasCondition(csr, 'Denied') || hasCondition(csr, 'Failed')) {
        const why = !csr ? 'was deleted' : hasCondition(csr, 'Denied') ? 'was denied' : 'failed';
        this.pending = undefined;
        throw new Error(`certificate signing request ${csr?.metadata.name ?? ''} ${why}`);
      }
      if (!csr.status?.certificate) return this.options.pollIntervalMs ?? 2000;
      const certPem = Buffer.from(csr.status.certificate, 'base64').toString('utf8');
      const keyPem = this.pending.keyPem;
      this.pending = undefined;
      this.options.onRotated?.(certPem, keyPem);
      certificate.update(certPem, keyPem);
      this.options.log?.({ msg: `${this.options.serving ? 'serving' : 'client'} certificate renewed`, csr: csr.metadata.name, notAfter: new X509Certificate(certPem).validTo });
    }
    // One deadline per certificate, drawn once (jittered), as the kubelet does.
    if (this.deadline?.certPem !== certificate.certPem) {
      const fraction = this.options.rotationFraction?.() ?? 0.7 + 0.2 * Math.random();
      this.deadline = { certPem: certificate.certPem, at: rotationDeadline(certificate.certPem, fraction) };
    }
    const left = this.deadline.at.getTime() - this.now().getTime();
    // Timers cannot wait longer than ~24 days; a longer wait is taken in steps.
    if (left > 0) return Math.min(left, 2 ** 31 - 1);
    const serving = this.options.serving;
    const { requestPem, keyPem } = createCertificateRequest({ commonName: `${nodeUserPrefix}${nodeName}`, organizations: [nodesGroup], ...serving });
    const created = await requests.create({
      metadata: { generateName: 'csr-' },
      spec: {
        request: Buffer.from(requestPem).toString('base64'),
        signerName: serving ? kubeletServingSignerName : kubeAPIServerClientKubeletSignerName,
        usages: ['digital signature', serving ? 'server auth' : 'client auth'],
      },
    });
    this.pending = { name: created.metadata.name!, keyPem };
    this.options.log?.({ msg: `${this.options.serving ? 'serving' : 'client'} certificate expires soon; requested a new one`, csr: created.metadata.name });
    return this.options.pollIntervalMs ?? 2000;
  }
}
