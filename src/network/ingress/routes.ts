/**
 * Ingress routing as the Ingress API defines it, as pure functions:
 *
 *   host: exact (`shop.example.com`) or a wildcard of one label
 *         (`*.example.com` matches `a.example.com`, not `a.b.example.com`);
 *         a rule without a host matches every host; an exact host beats a
 *         wildcard, which beats no host
 *   path: Exact (the whole path), Prefix (element by element: `/foo`
 *         matches `/foo` and `/foo/bar`, not `/foobar`);
 *         ImplementationSpecific is treated as Prefix; the longest match
 *         wins, Exact before Prefix at the same length
 *   nothing matches: the defaultBackend of an Ingress (the oldest), else 404
 */
import type { Ingress, IngressBackend } from '../../api/networking/index.js';

export interface Route {
  /** The Ingress the route comes from (namespace/name), for its service's namespace. */
  namespace: string;
  backend: IngressBackend;
}

function hostRank(ruleHost: string | undefined, host: string): number {
  if (!ruleHost) return 1;
  if (ruleHost === host) return 3;
  if (ruleHost.startsWith('*.')) {
    const suffix = ruleHost.slice(1);
    return host.endsWith(suffix) && !host.slice(0, -suffix.length).includes('.') && host.length > suffix.length ? 2 : 0;
  }
  return 0;
}

function prefixMatches(prefix: string, path: string): boolean {
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '') return true;
  return path === trimmed || path.startsWith(`${trimmed}/`);
}

/** The backend for a request, from all the Ingresses this controller serves (undefined: 404). */
export function route(ingresses: Ingress[], host: string, path: string): Route | undefined {
  const requestHost = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  let best: { hostRank: number; length: number; exact: boolean; route: Route } | undefined;
  for (const ingress of ingresses) {
    for (const rule of ingress.spec?.rules ?? []) {
      const rank = hostRank(rule.host?.toLowerCase(), requestHost);
      if (rank === 0) continue;
      for (const candidate of rule.http?.paths ?? []) {
        const type = candidate.pathType ?? 'ImplementationSpecific';
        const rulePath = candidate.path ?? '/';
        const exact = type === 'Exact';
        if (exact ? rulePath !== path : !prefixMatches(rulePath, path)) continue;
        const length = rulePath.replace(/\/+$/, '').length;
        const better =
          !best || rank > best.hostRank || (rank === best.hostRank && (length > best.length || (length === best.length && exact && !best.exact)));
        if (better) best = { hostRank: rank, length, exact, route: { namespace: ingress.metadata.namespace!, backend: candidate.backend } };
      }
    }
  }
  if (best) return best.route;
  const fallback = [...ingresses]
    .filter((i) => i.spec?.defaultBackend)
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''))[0];
  return fallback ? { namespace: fallback.metadata.namespace!, backend: fallback.spec!.defaultBackend! } : undefined;
}

/** The TLS secret (namespace/name) for a server name, from the Ingresses' tls sections (wildcards as for rules). */
export function tlsSecretFor(ingresses: Ingress[], serverName: string): string | undefined {
  const name = serverName.toLowerCase();
  let best: { rank: number; secret: string } | undefined;
  for (const ingress of ingresses) {
    for (const tls of ingress.spec?.tls ?? []) {
      if (!tls.secretName) continue;
      for (const host of tls.hosts ?? []) {
        const rank = hostRank(host.toLowerCase(), name);
        if (rank > 1 && (!best || rank > best.rank)) best = { rank, secret: `${ingress.metadata.namespace}/${tls.secretName}` };
      }
    }
  }
  return best?.secret;
}
