/**
 * Discovery over HTTP: maps a request path and Accept header to an answer.
 * Serialized documents are cached until the registry changes (CRDs come and
 * go at run time), so a discovery burst from kubectl costs string lookups.
 */
import { createHash } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import type { Registry } from '../../api/registry.js';
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  type ServerAddressByClientCIDR,
} from './documents.js';
import { aggregatedContentType, negotiateDiscovery } from './negotiation.js';

/** What a document route answers; the shape the apiserver's `DocumentRoute` expects. */
export interface DocumentAnswer {
  status: number;
  contentType: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface DiscoveryOptions {
  /** `host:port` clients should use, reported in `/api`'s serverAddressByClientCIDRs. */
  serverAddress: () => string;
}

interface CachedBody {
  body: string;
  etag: string;
}

/** Upstream's discovery ETag: the quoted, upper-case hex sha512 of the body. */
export function etagOf(body: string | Uint8Array): string {
  return `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"`;
}

export class DiscoveryDocuments {
  private readonly cache = new Map<string, CachedBody | null>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly registry: Registry,
    private readonly options: DiscoveryOptions,
  ) {
    this.unsubscribe = registry.onChange(() => this.cache.clear());
  }

  /** Stops following the registry (for tests and shutdown). */
  dispose(): void {
    this.unsubscribe();
    this.cache.clear();
  }

  /**
   * Answers a discovery path (`/api`, `/apis`, `/apis/<g>`, `/api/v1`, `/apis/<g>/<v>`),
   * or returns undefined for any other path. `ifNoneMatch` enables 304 answers on the
   * aggregated documents, which carry ETags as upstream's do.
   */
  route(path: string, accept: string | undefined, ifNoneMatch?: string): DocumentAnswer | undefined {
    const parts = path.replace(/\/+$/, '').split('/').slice(1);
    const top = parts[0];
    if (top !== 'api' && top !== 'apis') return undefined;
    if (parts.length > (top === 'api' ? 2 : 3)) return undefined;
    const aggregatable = parts.length === 1;
    const format = negotiateDiscovery(accept, aggregatable);

    if (format.kind === 'aggregated') {
      const scope = top === 'api' ? 'legacy' : 'apis';
      const cached = this.cached(`aggregated:${scope}:${format.version}`, () => aggregatedDiscovery(this.registry, scope, format.version))!;
      const headers = { ETag: cached.etag, Vary: 'Accept', 'Cache-Control': 'public' };
      if (ifNoneMatch !== undefined && ifNoneMatch === cached.etag) {
        return { status: 304, contentType: aggregatedContentType(format.version), body: '', headers };
      }
      return { status: 200, contentType: aggregatedContentType(format.version), body: cached.body, headers };
    }

    const cached = this.regular(parts);
    if (!cached) return undefined;
    if (format.encoding === 'yaml') {
      return { status: 200, contentType: 'application/yaml', body: toYaml(JSON.parse(cached.body)), headers: { Vary: 'Accept' } };
    }
    return { status: 200, contentType: 'application/json', body: cached.body, headers: { Vary: 'Accept' } };
  }

  private regular(parts: string[]): CachedBody | undefined {
    const [top, first, second] = parts;
    if (top === 'api') {
      // The server address can change (port chosen at listen time), so /api is not cached.
      if (first === undefined) return this.serialize(apiVersions(this.registry, this.addresses()));
      if (!this.registry.versions('').includes(first)) return undefined;
      return this.cached(`resources::${first}`, () => apiResourceList(this.registry, '', first));
    }
    if (first === undefined) return this.cached('groups', () => apiGroupList(this.registry));
    if (second === undefined) return this.cached(`group:${first}`, () => apiGroup(this.registry, first));
    return this.cached(`resources:${first}:${second}`, () => apiResourceList(this.registry, first, second));
  }

  private addresses(): ServerAddressByClientCIDR[] {
    return [{ clientCIDR: '0.0.0.0/0', serverAddress: this.options.serverAddress() }];
  }

  private serialize(document: unknown): CachedBody {
    const body = JSON.stringify(document);
    return { body, etag: etagOf(body) };
  }

  private cached(key: string, build: () => unknown): CachedBody | undefined {
    let entry = this.cache.get(key);
    if (entry === undefined) {
      const document = build();
      entry = document === undefined ? null : this.serialize(document);
      this.cache.set(key, entry);
    }
    return entry ?? undefined;
  }
}

/**
 * A route function in the apiserver's `DocumentRoute` shape:
 * `(path, search, accept, ifNoneMatch?) → answer | undefined`.
 */
export function discoveryRoute(registry: Registry, options: DiscoveryOptions) {
  const documents = new DiscoveryDocuments(registry, options);
  const route = (path: string, _search: URLSearchParams, accept: string | undefined, ifNoneMatch?: string): DocumentAnswer | undefined =>
    documents.route(path, accept, ifNoneMatch);
  return Object.assign(route, { documents });
}
