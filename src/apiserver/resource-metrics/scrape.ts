/**
 * Reaching a node agent's `/metrics/resource`: at the node's InternalIP and
 * `status.daemonEndpoints.kubeletEndpoint.Port`, over HTTPS with the
 * apiserver's node-client certificate (as pods/log does), within a deadline
 * and a bound on the body.
 */
import https from 'node:https';

/** A Node, as far as scraping needs it. */
export interface ScrapedNode {
  metadata: { name?: string; annotations?: Record<string, string> };
  status?: {
    addresses?: { type: string; address: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
    conditions?: { type: string; status: string }[];
  };
}

export interface ScrapeTarget {
  nodeName: string;
  host: string;
  port: number;
  path: string;
}

/** Reads one node's exposition; rejects on a non-200 answer, a body over the bound, or `signal`. */
export type FetchResourceMetrics = (target: ScrapeTarget, signal: AbortSignal) => Promise<string>;

/** metrics-server's annotation naming another path for a node's resource metrics. */
export const resourceMetricsPathAnnotation = 'metrics.k8s.io/resource-metrics-path';

export const defaultMaxBodyBytes = 10 * 1024 * 1024;

/** Where to scrape a node: undefined unless it is Ready and says where its agent listens. */
export function scrapeTargetOf(node: ScrapedNode): ScrapeTarget | undefined {
  const name = node.metadata.name;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const host = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!name || !ready || !host || !port || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  const annotated = node.metadata.annotations?.[resourceMetricsPathAnnotation];
  // Only a plain absolute path: the annotation is anyone's to write who may update the node.
  const path = annotated && /^\/[\x21-\x7e]{0,1023}$/.test(annotated) ? annotated : '/metrics/resource';
  return { nodeName: name, host, port, path };
}

/** Fetches over HTTPS, presenting `client` and checking the agent's certificate against its CA. */
export function httpsFetcher(client: { caPem: string; certPem: string; keyPem: string }, maxBodyBytes = defaultMaxBodyBytes): FetchResourceMetrics {
  return (target, signal) =>
    new Promise<string>((resolve, reject) => {
      const request = https.request(
        {
          host: target.host,
          port: target.port,
          path: target.path,
          method: 'GET',
          headers: { Accept: 'text/plain;version=0.0.4' },
          ca: client.caPem,
          cert: client.certPem,
          key: client.keyPem,
          // Agents' serving certificates name the node, not the address dialled (as pods/log).
          checkServerIdentity: () => undefined,
          signal,
        },
        (answer) => {
          if (answer.statusCode !== 200) {
            answer.resume();
            reject(new Error(`request failed, status: "${`${answer.statusCode} ${answer.statusMessage ?? ''}`.trim()}"`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          answer.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBodyBytes) {
              request.destroy(new Error(`the answer is larger than ${maxBodyBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          answer.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          answer.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end();
    });
}
