/**
 * A client of the registry HTTP API v2 (the OCI distribution spec): fetches
 * manifests and blobs, and answers the registry's auth challenges.
 *
 * Auth, as Docker and containerd do it: a request goes out without
 * credentials (or with the token that worked last for this repository); a
 * 401 names what the registry wants in `WWW-Authenticate`. `Basic` gets the
 * username and password; `Bearer realm=…,service=…,scope=…` sends us to a
 * token server for a token for `repository:<name>:pull`, asked anonymously or
 * with the credentials, and the request is sent again with it. Of several
 * credentials (pull secrets), the first the registry accepts is used.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { RegistryCredentials } from './types.js';
import { sha256Digest } from './content-store.js';
import type { ImageReference } from './reference.js';

/** One place a registry's content can be fetched from (the registry itself or a mirror). */
export interface RegistryEndpoint {
  /** `https://registry-1.docker.io`, `http://127.0.0.1:5000`. */
  url: string;
  /** The repository path under the mirror, when it rewrites names (registries.yaml `rewrite`). */
  rewrite?: (repository: string) => string;
  credentials?: RegistryCredentials;
}

export interface Manifest {
  body: Buffer;
  mediaType: string;
  digest: string;
}

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Manifests and config blobs are small; anything bigger is refused, so a hostile registry cannot fill our memory. */
const maxManifestBytes = 4 * 1024 * 1024;
const requestTimeoutMs = 30_000;

export const manifestMediaTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (one challenge: what registries send). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const param of match[2].matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) params[param[1].toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3];
  return { scheme: match[1].toLowerCase(), params };
}

/** The default place a registry is reached: Docker Hub's API host, https for the rest. */
export function defaultEndpoint(registry: string): RegistryEndpoint {
  return { url: registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}` };
}

export class RegistryClient {
  /** Authorization headers that worked, per endpoint and repository. */
  private readonly authorizations = new Map<string, string>();

  constructor(private readonly fetchImpl: typeof fetch = fetch) {}

  /** A manifest by tag or digest; its digest is computed from the bytes (and must match a digest asked for). */
  async manifest(endpoint: RegistryEndpoint, ref: ImageReference, reference: string, credentials: RegistryCredentials[], signal?: AbortSignal): Promise<Manifest> {
    const res = await this.get(endpoint, ref, `manifests/${reference}`, { Accept: manifestMediaTypes.join(', ') }, credentials, signal);
    const body = await readLimited(res, maxManifestBytes);
    const digest = sha256Digest(body);
    if (reference.startsWith('sha256:') && digest !== reference) throw new RegistryError(`manifest ${reference} arrived with digest ${digest}`);
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim() || mediaTypeOf(body);
    return { body, mediaType, digest };
  }

  /** A small blob (an image config) in memory. */
  async smallBlob(endpoint: RegistryEndpoint, ref: ImageReference, digest: string, credentials: RegistryCredentials[], signal?: AbortSignal): Promise<Buffer> {
    const res = await this.get(endpoint, ref, `blobs/${digest}`, {}, credentials, signal);
    return readLimited(res, maxManifestBytes);
  }

  /**
   * A blob as a stream, from `offset` on when the registry honours the
   * Range request (`offset` in the answer says where the stream starts: 0
   * when it sent the whole blob).
   */
  async blob(endpoint: RegistryEndpoint, ref: ImageReference, digest: string, offset: number, credentials: RegistryCredentials[], signal?: AbortSignal): Promise<{ stream: Readable; offset: number }> {
    const res = await this.get(endpoint, ref, `blobs/${digest}`, offset > 0 ? { Range: `bytes=${offset}-` } : {}, credentials, signal, false);
    if (!res.body) throw new RegistryError(`blob ${digest}: empty answer`);
    return { stream: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), offset: res.status === 206 ? offset : 0 };
  }

  private async get(endpoint: RegistryEndpoint, ref: ImageReference, path: string, headers: Record<string, string>, credentials: RegistryCredentials[], signal: AbortSignal | undefined, timeout = true): Promise<Response> {
    const repository = endpoint.rewrite ? endpoint.rewrite(ref.repository) : ref.repository;
    const url = `${endpoint.url.replace(/\/+$/, '')}/v2/${repository}/${path}`;
    const authKey = `${endpoint.url} ${repository}`;
    const send = (authorization?: string) =>
      this.fetchImpl(url, {
        headers: { ...headers, ...(authorization ? { Authorization: authorization } : {}) },
        signal: timeout ? anySignal(signal, AbortSignal.timeout(requestTimeoutMs)) : signal,
        redirect: 'follow',
      }).catch((err: Error) => {
        throw new RegistryError(`${url}: ${describeFetchError(err)}`);
      });
    let res = await send(this.authorizations.get(authKey));
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      await res.body?.cancel();
      const candidates = [...(endpoint.credentials ? [endpoint.credentials] : []), ...credentials];
      // Anonymous first only when a bearer token server might hand out public pull tokens.
      const attempts: (RegistryCredentials | undefined)[] = challenge?.scheme === 'bearer' ? [...candidates, undefined] : candidates;
      let lastError: RegistryError | undefined;
      for (const creds of attempts) {
        let authorization: string | undefined;
        try {
          authorization = await this.authorize(challenge, repository, creds, signal);
        } catch (err) {
          lastError = err as RegistryError;
          continue;
        }
        if (!authorization) continue;
        res = await send(authorization);
        if (res.status !== 401 && res.status !== 403) {
          this.authorizations.set(authKey, authorization);
          break;
        }
        await res.body?.cancel();
      }
      if (res.status === 401 || res.status === 403) {
        throw lastError ?? new RegistryError('pull access denied, repository does not exist or may require authorization: authorization failed', 401);
      }
    }
    if (res.status === 404) {
      await res.body?.cancel();
      throw new RegistryError('not found', 404);
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new RegistryError(`unexpected status from GET request to ${url}: ${res.status} ${res.statusText}${text ? `: ${registryMessage(text)}` : ''}`, res.status);
    }
    return res;
  }

  /** The Authorization header a challenge asks for, with these credentials (none: anonymous). */
  private async authorize(challenge: Challenge | undefined, repository: string, creds: RegistryCredentials | undefined, signal?: AbortSignal): Promise<string | undefined> {
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const basic = creds?.username !== undefined ? `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}` : undefined;
    if (!challenge || challenge.scheme === 'basic') return basic;
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    const tokenUrl = new URL(challenge.params.realm);
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
    tokenUrl.searchParams.set('scope', challenge.params.scope ?? `repository:${repository}:pull`);
    const res = await this.fetchImpl(tokenUrl, { headers: basic ? { Authorization: basic } : {}, signal: anySignal(signal, AbortSignal.timeout(requestTimeoutMs)) }).catch((err: Error) => {
      throw new RegistryError(`failed to fetch token from ${tokenUrl.origin}: ${describeFetchError(err)}`);
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryError(`failed to authorize: failed to fetch ${basic ? 'oauth' : 'anonymous'} token: unexpected status from GET request to ${tokenUrl.origin}${tokenUrl.pathname}: ${res.status} ${res.statusText}`, res.status);
    }
    const answer = JSON.parse((await readLimited(res, 1024 * 1024)).toString('utf8')) as { token?: string; access_token?: string };
    const token = answer.token ?? answer.access_token;
    if (!token) throw new RegistryError('failed to authorize: the token server answered without a token');
    return `Bearer ${token}`;
  }
}

/** The body of an answer, refused past `limit` bytes. */
async function readLimited(res: Response, limit: number): Promise<Buffer> {
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > limit) {
    await res.body?.cancel();
    throw new RegistryError(`answer of ${length} bytes is over the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) throw new RegistryError(`answer is over the ${limit}-byte limit`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** A manifest's media type from its body, for registries that answer with a generic Content-Type. */
function mediaTypeOf(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { mediaType?: string; manifests?: unknown; layers?: unknown };
    if (parsed.mediaType) return parsed.mediaType;
    return parsed.manifests ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json';
  } catch {
    return '';
  }
}

/** The message of a registry's error answer (`{"errors":[{"code":…,"message":…}]}`), or the text itself. */
function registryMessage(text: string): string {
  try {
    const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
    if (errors.length > 0) return errors.map((e) => [e.code?.toLowerCase(), e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200);
}

function describeFetchError(err: Error): string {
  const cause = (err as Error & { cause?: Error & { code?: string } }).cause;
  if (err.name === 'TimeoutError') return 'timed out';
  return cause ? `${cause.code ?? ''} ${cause.message}`.trim() : err.message;
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a ? AbortSignal.any([a, b]) : b;
}
