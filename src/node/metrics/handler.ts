/**
 * The agent endpoint's metrics paths, as the kubelet serves them:
 *
 *   GET /metrics            kubelet_* and process metrics (kubelet-metrics.ts)
 *   GET /metrics/resource   cpu and memory of the node, pods, containers (resource-metrics.ts)
 *   GET /metrics/cadvisor   container metrics in cadvisor's names (cadvisor-metrics.ts)
 *
 * The handler answers these paths and returns false for any other, so the
 * server tries its own routes next. Scrapers that accept gzip get it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { renderCadvisorMetrics } from './cadvisor-metrics.js';
import { textContentType } from './exposition.js';
import type { KubeletMetrics } from './kubelet-metrics.js';
import { renderResourceMetrics } from './resource-metrics.js';
import type { NodeStatsProvider, StatsSnapshot } from './stats.js';

export interface NodeMetricsSources {
  kubelet: Pick<KubeletMetrics, 'text'>;
  stats: Pick<NodeStatsProvider, 'snapshot'>;
  log?: (event: Record<string, unknown>) => void;
}

const paths = new Set(['/metrics', '/metrics/resource', '/metrics/cadvisor']);

/** Reads the snapshot; a failure is the exposition's scrape error (and a log line), not a failed request. */
async function snapshotOrUndefined(sources: NodeMetricsSources): Promise<StatsSnapshot | undefined> {
  try {
    return await sources.stats.snapshot();
  } catch (err) {
    sources.log?.({ msg: 'reading node stats failed', component: 'kubelet', error: (err as Error).message });
    return undefined;
  }
}

async function exposition(path: string, sources: NodeMetricsSources): Promise<string> {
  if (path === '/metrics') return sources.kubelet.text();
  const snapshot = await snapshotOrUndefined(sources);
  return path === '/metrics/resource' ? renderResourceMetrics(snapshot) : renderCadvisorMetrics(snapshot);
}

/** The request's path; undefined for a target that is not a URL (the server answers those). */
function pathOf(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? '/', 'https://node').pathname;
  } catch {
    return undefined;
  }
}

export function nodeMetricsHandler(sources: NodeMetricsSources): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = pathOf(req.url);
    if (path === undefined || !paths.has(path)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' });
      res.end('method not allowed');
      return true;
    }
    exposition(path, sources).then(
      (text) => {
        const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        const body = gzip ? gzipSync(text) : Buffer.from(text);
        res.writeHead(200, { 'Content-Type': textContentType, 'Content-Length': body.length, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: Error) => {
        sources.log?.({ msg: 'metrics exposition failed', component: 'kubelet', path, error: err.message });
        if (res.headersSent) return void res.destroy();
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`An error has occurred while serving metrics:\n\n${err.message}`);
      },
    );
    return true;
  };
}
