/**
 * Joining a node: `POST /skiff/v1/join` with the cluster's join token gives
 * a new node agent its credentials — a client certificate for
 * `system:node:<name>` (group `system:nodes`) and a serving certificate for
 * its own HTTPS endpoint, both signed by the cluster CA, and the CA itself.
 * The only request the apiserver answers without a client certificate
 * besides the health and version endpoints. (kubeadm-style bootstrap with
 * CSRs comes later.)
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../machinery/status.js';
import { isDNS1123Subdomain } from '../machinery/validation.js';

export const joinPath = '/skiff/v1/join';

export interface NodeCredentials {
  caPem: string;
  certPem: string;
  keyPem: string;
  servingCertPem: string;
  servingKeyPem: string;
  /** The node's network components (service proxy, DNS, ingress) act as system:kube-proxy (absent in credentials from before). */
  proxyCertPem?: string;
  proxyKeyPem?: string;
  /** The node's local-path provisioner acts as system:skiff:local-path-provisioner:<node> (absent in credentials from before). */
  provisionerCertPem?: string;
  provisionerKeyPem?: string;
}

export interface JoinOptions {
  token: string;
  /** Other tokens that may join (valid bootstrap tokens, as kubeadm joins). */
  acceptsToken?(token: string): Promise<boolean>;
  issue(nodeName: string, addresses: string[]): Promise<NodeCredentials>;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 64 * 1024) req.destroy();
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(body || '{}'));
      } catch {
        reject(errors.badRequest('the join request is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function handleJoin(req: IncomingMessage, res: ServerResponse, options: JoinOptions | undefined): Promise<void> {
  if (!options) throw errors.notFound('', '', 'join');
  if (req.method !== 'POST') throw errors.methodNotSupported('', 'join', (req.method ?? '').toLowerCase());
  const body = (await readJson(req)) as { token?: unknown; nodeName?: unknown; addresses?: unknown };
  if (typeof body.token !== 'string' || !(sameToken(body.token, options.token) || (await options.acceptsToken?.(body.token)))) throw errors.unauthorized();
  const nodeName = typeof body.nodeName === 'string' ? body.nodeName : '';
  if (!nodeName || isDNS1123Subdomain(nodeName).length) throw errors.badRequest(`invalid node name "${nodeName}": must be a DNS subdomain`);
  const addresses = Array.isArray(body.addresses) ? body.addresses.filter((a): a is string => typeof a === 'string' && /^[0-9a-fA-F:.]+$/.test(a)) : [];
  const credentials = await options.issue(nodeName, addresses);
  const text = JSON.stringify(credentials);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
