/**
 * A CRD's conversion webhook: objects of one version sent to the CRD's
 * webhook in a ConversionReview and taken back in the version asked for, as
 * the apiextensions-apiserver does. The webhook is reached at its URL, or
 * through its Service (its ClusterIP and port, the name
 * `<service>.<namespace>.svc` checked against the certificate), over HTTPS
 * with the CRD's `caBundle` (else the system's CAs). Only labels and
 * annotations of an object's metadata may change; the rest is kept from the
 * original. Any failure is a 500 naming the webhook and the kind.
 */
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../machinery/object.js';
import { isPlainObject } from '../machinery/object.js';
import { errors } from '../machinery/status.js';
import type { WebhookClientConfig } from '../api/apiextensions/index.js';

/** How long a review may take (upstream's default webhook timeout). */
const timeoutMs = 30_000;
/** The most a review's answer may hold. */
const maxResponseBytes = 64 * 1024 * 1024;

/** Where a Service's port is reachable from the apiserver (undefined: no such Service). */
export type ServiceResolver = (namespace: string, name: string, port: number) => Promise<{ host: string; port: number } | undefined>;

export interface ConversionWebhookOptions {
  clientConfig: WebhookClientConfig;
  reviewVersions: string[];
  resolveService: ServiceResolver;
  /** `stable.example.com/v1, Kind=CronTab`, for error messages. */
  describe(apiVersion: string): string;
}

function post(url: URL, body: string, ca: string | undefined, servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Accept: 'application/json' }, ca, servername, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            req.destroy(new Error(`response larger than ${maxResponseBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`the server responded with status ${res.statusCode}: ${text.slice(0, 200)}`));
          else resolve(text);
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`Post "${url.href}": context deadline exceeded`)));
    req.on('error', (err) => reject(new Error(`Post "${url.href}": ${err.message}`)));
    req.end(body);
  });
}

export class ConversionWebhook {
  constructor(private readonly options: ConversionWebhookOptions) {}

  private async target(): Promise<{ url: URL; servername?: string }> {
    const { url, service } = this.options.clientConfig;
    if (url) return { url: new URL(url) };
    if (!service) throw new Error('no url or service');
    const port = service.port ?? 443;
    const where = await this.options.resolveService(service.namespace, service.name, port);
    if (!where) throw new Error(`service "${service.name}" not found in namespace "${service.namespace}"`);
    const host = where.host.includes(':') ? `[${where.host}]` : where.host;
    return { url: new URL(`https://${host}:${where.port}${service.path ?? ''}`), servername: `${service.name}.${service.namespace}.svc` };
  }

  /** `objects` (any versions) in `desiredAPIVersion`; objects already in it are not sent. */
  async convert(objects: KubeObject[], desiredAPIVersion: string): Promise<KubeObject[]> {
    const pending = objects.map((object, index) => ({ object, index })).filter(({ object }) => object.apiVersion !== desiredAPIVersion);
    if (pending.length === 0) return objects;
    const from = this.options.describe(pending[0].object.apiVersion ?? '');
    try {
      const converted = await this.review(pending.map(({ object }) => object), desiredAPIVersion);
      const out = [...objects];
      pending.forEach(({ object, index }, i) => (out[index] = this.restoreMetadata(object, converted[i], desiredAPIVersion)));
      return out;
    } catch (err) {
      throw errors.internal(`conversion webhook for ${from} failed: ${(err as Error).message}`);
    }
  }

  private async review(objects: KubeObject[], desiredAPIVersion: string): Promise<KubeObject[]> {
    const version = this.options.reviewVersions.includes('v1') ? 'v1' : 'v1beta1';
    const uid = randomUUID();
    const request = { apiVersion: `apiextensions.k8s.io/${version}`, kind: 'ConversionReview', request: { uid, desiredAPIVersion, objects } };
    const { url, servername } = await this.target();
    const caBundle = this.options.clientConfig.caBundle;
    const ca = caBundle ? Buffer.from(caBundle, 'base64').toString('utf8') : undefined;
    const text = await post(url, JSON.stringify(request), ca, servername);
    let review: { response?: { uid?: string; convertedObjects?: unknown[]; result?: { status?: string; message?: string } } };
    try {
      review = JSON.parse(text);
    } catch {
      throw new Error('the response is not a ConversionReview');
    }
    const response = review.response;
    if (!response) throw new Error('no response provided');
    if (response.uid !== uid) throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? '')}`);
    if (response.result?.status !== 'Success') throw new Error(response.result?.message || 'the webhook did not report success');
    const converted = response.convertedObjects ?? [];
    if (converted.length !== objects.length) throw new Error(`returned ${converted.length} objects, expected ${objects.length}`);
    return converted as KubeObject[];
  }

  /** What the webhook may change: everything but metadata, and of metadata only labels and annotations. */
  private restoreMetadata(original: KubeObject, converted: KubeObject, desiredAPIVersion: string): KubeObject {
    if (!isPlainObject(converted)) throw new Error('a converted object is not an object');
    if (converted.apiVersion !== desiredAPIVersion) throw new Error(`invalid converted object: apiVersion ${JSON.stringify(converted.apiVersion ?? '')}, expected ${JSON.stringify(desiredAPIVersion)}`);
    if (converted.kind !== original.kind) throw new Error(`invalid converted object: kind ${JSON.stringify(converted.kind ?? '')}, expected ${JSON.stringify(original.kind)}`);
    const metadata = { ...original.metadata };
    const labels = converted.metadata?.labels;
    const annotations = converted.metadata?.annotations;
    if (labels) metadata.labels = labels;
    else delete metadata.labels;
    if (annotations) metadata.annotations = annotations;
    else delete metadata.annotations;
    return { ...converted, metadata };
  }
}
