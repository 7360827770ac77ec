/**
 * HTTP plumbing shared by every handler: reading bodies (with upstream's
 * 3 MiB limit), writing JSON / YAML, writing Status errors, and content
 * negotiation of the Accept header (JSON, YAML, Table, PartialObjectMetadata).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import { StatusError, errors, type Status } from '../machinery/status.js';

/** Upstream's limit on request bodies (--max-request-body-bytes defaults to 3 MiB). */
export const maxRequestBodyBytes = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = maxRequestBodyBytes): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(errors.requestEntityTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(errors.requestEntityTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

/** Parses an Accept header into media ranges, best first (stable for equal q). */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  const ranges = header.split(',').map((part, index) => {
    const [type, ...rawParams] = part.trim().split(';');
    const params: Record<string, string> = {};
    let q = 1;
    for (const raw of rawParams) {
      const eq = raw.indexOf('=');
      if (eq < 0) continue;
      const key = raw.slice(0, eq).trim();
      const value = raw.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (key === 'q') q = Number(value);
      else params[key] = value;
    }
    return { type: type.trim().toLowerCase(), params, q, index };
  });
  ranges.sort((a, b) => b.q - a.q || a.index - b.index);
  return ranges.map(({ type, params, q }) => ({ type, params, q }));
}

export type OutputKind =
  | { format: 'json' | 'yaml' }
  | { format: 'table'; version: 'v1' | 'v1beta1' }
  | { format: 'metadata'; version: 'v1' | 'v1beta1' };

/**
 * Chooses how to render an object response. kubectl asks for a Table first and
 * falls back to JSON; the garbage collector asks for PartialObjectMetadata.
 */
export function negotiateOutput(accept: string | undefined): OutputKind {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return { format: 'json' };
  for (const range of ranges) {
    const { type, params } = range;
    if (params.as) {
      if (type !== 'application/json' || params.g !== 'meta.k8s.io') continue;
      const version = params.v === 'v1beta1' ? 'v1beta1' : params.v === 'v1' ? 'v1' : undefined;
      if (!version) continue;
      if (params.as === 'Table') return { format: 'table', version };
      if (params.as === 'PartialObjectMetadata' || params.as === 'PartialObjectMetadataList') return { format: 'metadata', version };
      continue;
    }
    if (type === 'application/json' || type === 'application/*' || type === '*/*' || type === 'json') return { format: 'json' };
    if (type === 'application/yaml' || type === 'text/yaml') return { format: 'yaml' };
  }
  throw errors.notAcceptable(
    'only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io',
  );
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendYaml(res: ServerResponse, code: number, body: unknown): void {
  const text = toYaml(typeof body === 'string' ? JSON.parse(body) : body);
  res.writeHead(code, { 'Content-Type': 'application/yaml', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendStatus(res: ServerResponse, status: Status): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // As upstream: a Status that says when to retry says it in the header too (429, 503, 504).
  const retryAfter = status.details?.retryAfterSeconds;
  sendJson(res, status.code, status, retryAfter && retryAfter > 0 ? { 'Retry-After': String(retryAfter) } : {});
}

/** Any thrown value becomes a Status: StatusErrors as they are, everything else a 500. */
export function toStatus(err: unknown): Status {
  if (err instanceof StatusError) return err.status;
  const message = err instanceof Error ? err.message : String(err);
  return errors.internal(message).status;
}

/** Adds a `Warning` header as upstream does (`299 - "text"`); a text already said is not repeated. */
export function addWarning(res: ServerResponse, text: string): void {
  const value = `299 - ${JSON.stringify(text)}`;
  const existing = res.getHeader('Warning');
  if (([] as unknown[]).concat(existing ?? []).includes(value)) return;
  if (res.headersSent) return;
  if (existing === undefined) res.setHeader('Warning', value);
  else res.setHeader('Warning', ([] as string[]).concat(existing as string | string[], value));
}
