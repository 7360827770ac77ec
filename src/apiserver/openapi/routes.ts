/**
 * OpenAPI over HTTP, with the documents cached until the registry changes.
 *
 * - `/openapi/v3`: the index; each entry's serverRelativeURL carries `?hash=`
 *   (the document's ETag), so clients cache documents forever and refetch only
 *   what changed. A matching hash gets `Cache-Control: public, immutable` and a
 *   one-year Expires; a stale one is redirected (301) to the current URL.
 * - `/openapi/v3/<api/v1|apis/g/v|api|apis|apis/g>`: JSON documents.
 * - `/openapi/v2`: Swagger 2.0 as JSON, or as the gnostic protobuf message
 *   client-go asks for (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`).
 */
import { createHash } from 'node:crypto';
import type { Registry } from '../../api/registry.js';
import { parseAccept } from '../http.js';
import { encodeOpenAPIv2Document } from './protobuf.js';
import { documentKeys, documentV3 } from './v3.js';
import { documentV2 } from './v2.js';

/** What a document route answers; the shape the apiserver's `DocumentRoute` expects. */
export interface DocumentAnswer {
  status: number;
  contentType: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

interface Cached {
  body: string;
  /** Upper-case hex sha512 of the JSON body, as upstream computes it. */
  hash: string;
  /** The document before serialization (kept for the v2 protobuf encoding). */
  document?: Record<string, unknown>;
}

const PROTOBUF_V2 = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const PROTOBUF_V2_SUBTYPES = new Set(['com.github.proto-openapi.spec.v2@v1.0+protobuf', 'com.github.proto-openapi.spec.v2.v1.0+protobuf']);

function hashOf(body: string | Uint8Array): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

function notFound(): DocumentAnswer {
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 };
  return { status: 404, contentType: 'application/json', body: JSON.stringify(status) };
}

function notAcceptable(): DocumentAnswer {
  return { status: 406, contentType: 'text/plain', body: '', headers: { Vary: 'Accept' } };
}

/** The media type to answer with: 'json', 'protobuf', or undefined (406). Missing Accept means anything. */
function negotiate(accept: string | undefined, protobuf: boolean): 'json' | 'protobuf' | undefined {
  const ranges = accept ? parseAccept(accept) : [{ type: '*/*', params: {}, q: 1 }];
  for (const range of ranges) {
    if (range.q <= 0) continue;
    const [type, subtype] = range.type.split('/');
    if (type !== 'application' && type !== '*') continue;
    if (subtype === 'json' || subtype === '*') return 'json';
    if (protobuf && PROTOBUF_V2_SUBTYPES.has(subtype)) return 'protobuf';
  }
  return undefined;
}

export class OpenAPIDocuments {
  private v3 = new Map<string, Cached | null>();
  private index: Cached | undefined;
  private v2: Cached | undefined;
  private v2Protobuf: Uint8Array | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly registry: Registry,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.unsubscribe = registry.onChange(() => this.invalidate());
  }

  dispose(): void {
    this.unsubscribe();
    this.invalidate();
  }

  private invalidate(): void {
    this.v3 = new Map();
    this.index = undefined;
    this.v2 = undefined;
    this.v2Protobuf = undefined;
  }

  /** The JSON text and hash of one v3 document, or undefined when the key is not served. */
  documentV3(key: string): Cached | undefined {
    let entry = this.v3.get(key);
    if (entry === undefined) {
      const document = documentV3(this.registry, key);
      entry = document === undefined ? null : { body: JSON.stringify(document), hash: '' };
      if (entry) entry.hash = hashOf(entry.body);
      this.v3.set(key, entry);
    }
    return entry ?? undefined;
  }

  /** `{"paths": {"apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=…"}}}`. */
  indexV3(): Cached {
    if (!this.index) {
      const paths: Record<string, { serverRelativeURL: string }> = {};
      for (const key of documentKeys(this.registry)) {
        const document = this.documentV3(key);
        if (document) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${document.hash}` };
      }
      const body = JSON.stringify({ paths });
      this.index = { body, hash: hashOf(body) };
    }
    return this.index;
  }

  documentV2(): Cached {
    if (!this.v2) {
      const document = documentV2(this.registry);
      const body = JSON.stringify(document);
      this.v2 = { body, hash: hashOf(body), document };
    }
    return this.v2;
  }

  /** Encoded lazily: only kubectl's v2 fallbacks ask for it. */
  documentV2Protobuf(): Uint8Array {
    this.v2Protobuf ??= encodeOpenAPIv2Document(this.documentV2().document!);
    return this.v2Protobuf;
  }

  /** Answers `/openapi/v2`, `/openapi/v3` and `/openapi/v3/…`; undefined for any other path. */
  route(path: string, search: URLSearchParams, accept: string | undefined, ifNoneMatch?: string): DocumentAnswer | undefined {
    const trimmed = path.replace(/\/+$/, '');
    if (trimmed === '/openapi/v2') return this.routeV2(accept, ifNoneMatch);
    if (trimmed === '/openapi/v3') {
      const index = this.indexV3();
      const etag = `"${index.hash}"`;
      if (ifNoneMatch === etag) return { status: 304, contentType: 'application/json', body: '', headers: { ETag: etag } };
      return { status: 200, contentType: 'application/json', body: index.body, headers: { ETag: etag } };
    }
    if (!trimmed.startsWith('/openapi/v3/')) return undefined;
    const key = trimmed.slice('/openapi/v3/'.length);
    const format = negotiate(accept, false);
    if (!format) return notAcceptable();
    const document = this.documentV3(key);
    if (!document) return notFound();
    const etag = `"${document.hash}"`;
    const headers: Record<string, string> = { ETag: etag, Vary: 'Accept' };
    const hash = search.get('hash');
    if (hash) {
      if (hash !== document.hash) {
        // A stale link from an old index: send the client to the current document.
        return { status: 301, contentType: 'text/html; charset=utf-8', body: '', headers: { Location: `/openapi/v3/${key}?hash=${document.hash}` } };
      }
      headers['Cache-Control'] = 'public, immutable';
      const expires = new Date(this.clock().getTime());
      expires.setUTCFullYear(expires.getUTCFullYear() + 1);
      headers.Expires = expires.toUTCString();
    }
    if (ifNoneMatch === etag) return { status: 304, contentType: 'application/json', body: '', headers };
    return { status: 200, contentType: 'application/json', body: document.body, headers };
  }

  private routeV2(accept: string | undefined, ifNoneMatch: string | undefined): DocumentAnswer {
    const format = negotiate(accept, true);
    if (!format) return notAcceptable();
    const document = this.documentV2();
    // One ETag for both encodings, as upstream: the Vary header tells caches apart.
    const etag = `"${document.hash}"`;
    const headers = { ETag: etag, Vary: 'Accept' };
    const contentType = format === 'json' ? 'application/json' : PROTOBUF_V2;
    if (ifNoneMatch === etag) return { status: 304, contentType, body: '', headers };
    const body = format === 'json' ? document.body : this.documentV2Protobuf();
    return { status: 200, contentType, body, headers };
  }
}

/**
 * A route function in the apiserver's `DocumentRoute` shape:
 * `(path, search, accept, ifNoneMatch?) → answer | undefined`.
 */
export function openapiRoute(registry: Registry) {
  const documents = new OpenAPIDocuments(registry);
  const route = (path: string, search: URLSearchParams, accept: string | undefined, ifNoneMatch?: string): DocumentAnswer | undefined =>
    documents.route(path, search, accept, ifNoneMatch);
  return Object.assign(route, { documents });
}
