/**
 * What a request to the node agent's HTTPS endpoint asks, as the kubelet's
 * server/auth.go maps it (v1.32): resource `nodes`, the node's name, the
 * verb from the HTTP method, and the subresource from the path.
 *
 *   /stats/*       stats
 *   /metrics/*     metrics (/metrics/cadvisor, /metrics/resource, /metrics/probes too)
 *   /logs/*        log
 *   /checkpoint/*  checkpoint
 *   anything else  proxy   (/pods, /healthz, /containerLogs, /exec, /attach, /portforward, /run, …)
 *
 * With KubeletFineGrainedAuthz (alpha in 1.32, off by default) /pods and
 * /runningpods/ are first asked as `pods`, /healthz as `healthz`, /configz as
 * `configz`, and then as `proxy`: either allows the request.
 */
import type { AccessAttributes } from './types.js';

/** Upstream's verbs by method; any other method (HEAD, OPTIONS, …) has the empty verb, as upstream's code has it. */
const verbsByMethod: Record<string, string> = { POST: 'create', GET: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** Whether `path` is `prefix` or below it (`/stats` and `/stats/summary`, not `/statsx`). */
export function isSubpath(path: string, prefix: string): boolean {
  const base = prefix.replace(/\/$/, '');
  return path === base || (path.startsWith(base) && path[base.length] === '/');
}

export interface KubeletAttributesOptions {
  /** The KubeletFineGrainedAuthz feature gate (default off, as in 1.32). */
  fineGrained?: boolean;
}

function fineGrainedSubresource(path: string): string | undefined {
  if (isSubpath(path, '/pods')) return 'pods';
  if (isSubpath(path, '/healthz')) return 'healthz';
  if (isSubpath(path, '/configz')) return 'configz';
  if (isSubpath(path, '/runningpods/')) return 'pods';
  return undefined;
}

function coarseSubresource(path: string): string {
  if (isSubpath(path, '/stats/')) return 'stats';
  if (isSubpath(path, '/metrics')) return 'metrics';
  // "log" as the other log subresources are named (pods/log).
  if (isSubpath(path, '/logs/')) return 'log';
  if (isSubpath(path, '/checkpoint/')) return 'checkpoint';
  return 'proxy';
}

/** The subresources a request is checked against, in order; one allowing it is enough. */
export function kubeletSubresources(path: string, options: KubeletAttributesOptions = {}): string[] {
  const fine = options.fineGrained ? fineGrainedSubresource(path) : undefined;
  return fine ? [fine, coarseSubresource(path)] : [coarseSubresource(path)];
}

/** The attributes of one request to the node agent `nodeName`; `path` is the URL's path, without the query. */
export function kubeletRequestAttributes(nodeName: string, method: string, path: string, options: KubeletAttributesOptions = {}): AccessAttributes[] {
  const verb = verbsByMethod[method] ?? '';
  return kubeletSubresources(path, options).map((subresource) => ({ resourceAttributes: { verb, version: 'v1', resource: 'nodes', subresource, name: nodeName } }));
}
