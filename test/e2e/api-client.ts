/**
 * A bare HTTPS client with the admin credentials of a cluster's kubeconfig,
 * for tests that need what kubectl cannot do (many concurrent writes, exact
 * control over when a request was acknowledged).
 */
import https from 'node:https';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';

export interface ApiResponse {
  status: number;
  body: string;
}

export interface ApiClient {
  request(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  close(): void;
}

export function apiClient(kubeconfigPath: string, options: { maxSockets?: number } = {}): ApiClient {
  const credentials = loadKubeconfig(kubeconfigPath);
  const server = new URL(credentials.server);
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: options.maxSockets ?? 32,
    ca: credentials.caPem,
    cert: credentials.certPem,
    key: credentials.keyPem,
  });
  return {
    request(method, path, body) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = https.request(
          {
            host: server.hostname.replace(/^\[(.*)\]$/, '$1'),
            port: server.port,
            method,
            path,
            agent,
            headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
