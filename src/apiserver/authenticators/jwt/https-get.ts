/**
 * A bounded HTTPS GET for an issuer's discovery document and keys: a
 * deadline for the whole exchange, a cap on the body, a few redirects
 * (https only), and the issuer's CA bundle when configured (it then
 * replaces the system's, as upstream's RootCAs does).
 */
import { request, type Agent } from 'node:https';

export interface HttpsGetOptions {
  agent: Agent;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

export interface HttpsResponse {
  status: number;
  statusText: string;
  body: string;
}

const maxRedirects = 5;

function getOnce(url: URL, options: HttpsGetOptions, deadline: AbortSignal): Promise<HttpsResponse & { location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: options.agent, signal: deadline, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          res.destroy();
          reject(new Error(`response body is larger than ${options.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const location = res.headers.location;
        resolve({ status: res.statusCode ?? 0, statusText: `${res.statusCode} ${res.statusMessage ?? ''}`.trim(), body: Buffer.concat(chunks).toString('utf8'), location });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** GETs `url`, following redirects to other https URLs; rejects on network errors, timeouts and oversized bodies. */
export async function httpsGet(url: string, options: HttpsGetOptions): Promise<HttpsResponse> {
  const deadline = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])]);
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    if (target.protocol !== 'https:') throw new Error(`refusing to fetch ${JSON.stringify(target.href)}: only https is allowed`);
    let response: HttpsResponse & { location?: string };
    try {
      response = await getOnce(target, options, deadline);
    } catch (err) {
      if (deadline.aborted && !options.signal?.aborted) throw new Error(`Get ${JSON.stringify(target.href)}: timed out after ${options.timeoutMs}ms`);
      throw new Error(`Get ${JSON.stringify(target.href)}: ${(err as Error).message}`);
    }
    const redirect = [301, 302, 303, 307, 308].includes(response.status) && response.location;
    if (!redirect) return response;
    if (hop >= maxRedirects) throw new Error(`Get ${JSON.stringify(target.href)}: stopped after ${maxRedirects} redirects`);
    target = new URL(response.location!, target);
  }
}
