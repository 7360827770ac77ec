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
 *
 * TLS, as containerd does it: an endpoint may bring its own CA (trusted
 * beside the system's roots), a client certificate, or skip verification.
 * A registry on this machine is asked over https first and over plain http
 * when an http server answers there.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createSecureContext, rootCertificates } from 'node:tls';
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
  /** For https connections (registries.yaml `configs.<host>.tls`). */
  tls?: RegistryTls;
  /** A registry on this machine: when an http server answers its https URL (or, with no port given, nothing listens on 443), it is asked over http. */
  plainHttpFallback?: boolean;
}

/** An endpoint's TLS settings, as PEM text. */
export interface RegistryTls {
  /** Certificates trusted beside the system's roots. */
  ca?: string;
  /** A client certificate and its key, for registries that ask for one (mutual TLS). */
  cert?: string;
  key?: string;
  /** Accept any server certificate. */
  insecureSkipVerify?: boolean;
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

type Fetch = typeof fetch;

/** A fetch per distinct TLS setting: each keeps its own connections. */
const tlsFetches = new Map<string, Promise<Fetch>>();

/**
 * A fetch whose https connections use these TLS settings. Node 20's global
 * fetch takes no TLS options, so this is undici's own fetch (the library
 * Node's is built from) with an Agent of its own, loaded only when a
 * registry needs it.
 */
export function tlsFetch(tls: RegistryTls): Promise<Fetch> {
  const key = JSON.stringify([tls.ca, tls.cert, tls.key, tls.insecureSkipVerify === true]);
  let made = tlsFetches.get(key);
  if (!made) {
    // undici is CommonJS: `default` is its exports under Node and in the bundle alike (where a lazy chunk has no named ones).
    made = import('undici').then(({ default: { Agent, fetch: undiciFetch } }) => {
      // One context for all connections, so the roots are parsed once.
      const secureContext = createSecureContext({
        // Node's `ca` replaces the default roots; containerd adds a registry's CA to them.
        ...(tls.ca ? { ca: [...rootCertificates, tls.ca] } : {}),
        ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
      });
      const dispatcher = new Agent({ connect: { secureContext, rejectUnauthorized: !tls.insecureSkipVerify } });
      // undici's Request and Response types are its own, but the objects behave as the global ones.
      return ((input: Parameters<Fetch>[0], init?: RequestInit) => undiciFetch(input as never, { ...init, dispatcher } as never)) as unknown as Fetch;
    });
    tlsFetches.set(key, made);
  }
  return made;
}

export class RegistryClient {
  /** Authorization headers that worked, per endpoint and repository. */
  private readonly authorizations = new Map<string, string>();
  /** Endpoints (their `url`) found to speak plain http. */
  private readonly plainHttp = new Set<string>();

  /** `fetchImpl` makes the requests, except those to an endpoint with TLS settings (see `tlsFetch`). */
  constructor(private readonly fetchImpl: Fetch = fetch) {}

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
    const resource = `/v2/${repository}/${path}`;
    const authKey = `${endpoint.url} ${repository}`;
    const send = (authorization?: string) =>
      this.request(endpoint, resource, {
        headers: { ...headers, ...(authorization ? { Authorization: authorization } : {}) },
        signal: timeout ? anySignal(signal, AbortSignal.timeout(requestTimeoutMs)) : signal,
        redirect: 'follow',
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
          authorization = await this.authorize(endpoint, challenge, repository, creds, signal);
        } catch (err) {
          // What the credentials met says more than the anonymous try after them.
          if (!(creds === undefined && lastError)) lastError = err as RegistryError;
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
      const url = `${this.baseUrl(endpoint)}${resource}`;
      throw new RegistryError(`unexpected status from GET request to ${url}: ${res.status} ${res.statusText}${text ? `: ${registryMessage(text)}` : ''}`, res.status);
    }
    return res;
  }

  /** One request to an endpoint, over plain http once the endpoint was found to speak it. */
  private async request(endpoint: RegistryEndpoint, resource: string, init: RequestInit): Promise<Response> {
    const url = `${this.baseUrl(endpoint)}${resource}`;
    try {
      return await (await this.fetchFor(endpoint, url))(url, init);
    } catch (err) {
      if (!fallsBackToPlainHttp(endpoint, url, err as Error)) throw new RegistryError(`${url}: ${describeFetchError(err as Error, url)}`);
      this.plainHttp.add(endpoint.url);
      return this.request(endpoint, resource, init);
    }
  }

  private baseUrl(endpoint: RegistryEndpoint): string {
    const url = endpoint.url.replace(/\/+$/, '');
    return this.plainHttp.has(endpoint.url) ? url.replace(/^https:/, 'http:') : url;
  }

  /** The endpoint's TLS settings apply to its https requests, and to its token server's, as containerd's per-host client does. */
  private fetchFor(endpoint: RegistryEndpoint, url: string | URL): Promise<Fetch> {
    return endpoint.tls && String(url).startsWith('https:') ? tlsFetch(endpoint.tls) : Promise.resolve(this.fetchImpl);
  }

  /** The Authorization header a challenge asks for, with these credentials (none: anonymous). */
  private async authorize(endpoint: RegistryEndpoint, challenge: Challenge | undefined, repository: string, creds: RegistryCredentials | undefined, signal?: AbortSignal): Promise<string | undefined> {
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const basic = creds?.username !== undefined ? `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}` : undefined;
    if (!challenge || challenge.scheme === 'basic') return basic;
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    const tokenUrl = new URL(challenge.params.realm);
    const scope = challenge.params.scope ?? `repository:${repository}:pull`;
    const fetchToken = await this.fetchFor(endpoint, tokenUrl);
    const timeout = anySignal(signal, AbortSignal.timeout(requestTimeoutMs));
    // An identity token (docker login's for some registries) is an OAuth2 refresh token: POSTed for an access token.
    const oauth = creds?.identityToken !== undefined;
    const request = oauth
      ? fetchToken(tokenUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds!.identityToken!, client_id: 'skiff', scope, ...(challenge.params.service ? { service: challenge.params.service } : {}) }).toString(),
          signal: timeout,
        })
      : (() => {
          if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
          tokenUrl.searchParams.set('scope', scope);
          return fetchToken(tokenUrl, { headers: basic ? { Authorization: basic } : {}, signal: timeout });
        })();
    const res = await request.catch((err: Error) => {
      throw new RegistryError(`failed to fetch token from ${tokenUrl.origin}: ${describeFetchError(err, tokenUrl)}`);
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryError(
        `failed to authorize: failed to fetch ${basic || oauth ? 'oauth' : 'anonymous'} token: unexpected status from ${oauth ? 'POST' : 'GET'} request to ${tokenUrl.origin}${tokenUrl.pathname}: ${res.status} ${res.statusText}`,
        res.status,
      );
    }
    let answer: { token?: string; access_token?: string };
    try {
      answer = JSON.parse((await readLimited(res, 1024 * 1024)).toString('utf8')) as typeof answer;
    } catch (err) {
      throw new RegistryError(`failed to authorize: the token server's answer is not JSON: ${(err as Error).message}`);
    }
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

/**
 * As containerd does for localhost: plain http when the TLS handshake met an
 * http server (OpenSSL: "wrong version number"; "packet length too long" in
 * older builds), or when no port was given and nothing listens on 443 (http
 * then means port 80).
 */
function fallsBackToPlainHttp(endpoint: RegistryEndpoint, url: string, err: Error): boolean {
  if (!endpoint.plainHttpFallback || !url.startsWith('https:')) return false;
  const code = (err as Error & { cause?: { code?: string } }).cause?.code;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return true;
  return code === 'ECONNREFUSED' && new URL(url).port === '';
}

/** Node's codes for a server certificate that did not verify. */
const certificateVerifyCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function describeFetchError(err: Error, url: string | URL): string {
  const cause = (err as Error & { cause?: Error & { code?: string; reason?: string; socket?: { bytesRead?: number } } }).cause;
  if (err.name === 'TimeoutError') return 'timed out';
  if (!cause) return err.message;
  // An OpenSSL error's message carries its internals (error numbers, source files); its reason is the words.
  const what = `${cause.code ?? ''} ${cause.reason ?? cause.message}`.trim();
  if (cause.code && certificateVerifyCodes.has(cause.code)) return `tls: failed to verify certificate: ${what} (registries.yaml: configs.<host>.tls.ca_file trusts a registry's CA)`;
  if (cause.code?.startsWith('ERR_SSL')) return `tls: ${what}`;
  // Over TLS 1.3, a registry refuses a missing client certificate after the handshake, and
  // undici reports only that the connection closed: say what that usually means.
  if (String(url).startsWith('https:') && cause.code === 'UND_ERR_SOCKET' && cause.socket?.bytesRead === 0 && cause.message === 'other side closed') {
    return `${what} without an answer (as a registry does that requires a client certificate: registries.yaml: configs.<host>.tls.cert_file and key_file)`;
  }
  return what;
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a ? AbortSignal.any([a, b]) : b;
}
