/**
 * The REST client: one HTTPS connection pool to the apiserver, requests that
 * answer parsed JSON, `Status` errors turned into StatusError (with the
 * apiserver's reason and code), and retries with exponential backoff where a
 * retry is safe: 429 Too Many Requests (honouring Retry-After), 5xx answers
 * to reads, reads whose connection broke, and any request that provably
 * never reached the server (connection refused, or broken before the whole
 * request was sent) — as client-go, never a write that may have been done.
 */
import https from 'node:https';
import { createSecureContext } from 'node:tls';
import http from 'node:http';
import { StatusError, type Status } from '../machinery/status.js';
import type { ClientConfig } from './config.js';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** The Accept header, when not plain JSON (aggregated discovery asks for its own media type). */
  accept?: string;
  /**
   * A watch or another stream that holds its connection for minutes: it gets a connection of
   * its own, outside the pool's bound, so many watches never starve ordinary requests.
   */
  longRunning?: boolean;
  signal?: AbortSignal;
  /** Retries after the first attempt (default 5; 0 for none). */
  retries?: number;
}

export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Told of every retry before its backoff (for logs; tests follow the attempts with it). */
  onRetry?(retry: { method: string; path: string; attempt: number; reason: string }): void;
}

const defaultRetry: RetryPolicy = { retries: 5, baseDelayMs: 100, maxDelayMs: 5_000 };

/** Network errors of a connection that failed or broke: worth another attempt when repeating the request is safe. */
const transientCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Reads: doing them twice changes nothing. */
function isIdempotent(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** A request that failed on the network, and whether all of it had been handed to the operating system by then. */
class RequestFailure extends Error {
  constructor(
    override readonly cause: NodeJS.ErrnoException,
    readonly sent: boolean,
  ) {
    super(cause.message);
  }
}

/**
 * Whether a request whose connection failed may be sent again. A read may
 * (client-go retries a GET after a reset). A write only when it provably
 * never reached the server: the connection was refused, or it broke before
 * the whole request was handed to the operating system — the apiserver
 * acts on a request only once it has all of its body. A POST that went out
 * whole and then lost its connection may have created its object; sending
 * it again could create a second one (with `generateName`, it would).
 */
function mayRetryAfter(method: string, failure: RequestFailure): boolean {
  const code = failure.cause.code;
  if (!code || !transientCodes.has(code)) return false;
  return isIdempotent(method) || !failure.sent;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

export function queryString(query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A Status answer (or anything else that failed) as a StatusError. */
function statusErrorOf(code: number, body: string): StatusError {
  try {
    const status = JSON.parse(body) as Status;
    if (status?.kind === 'Status') {
      const error = new StatusError(status.code ?? code, status.reason ?? '', status.message ?? '', status.details);
      return error;
    }
  } catch {
    // not JSON: fall through
  }
  return new StatusError(code, code === 404 ? 'NotFound' : 'InternalError', body.slice(0, 500) || `HTTP ${code}`);
}

function bodyText(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body);
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What a scoped client shares with the client it came from (see RestClient.withSignal). */
interface SharedConnections {
  /** The client that owns the connections (and follows a renewed certificate). */
  owner: RestClient;
  lifetime: AbortController;
  scope: AbortSignal;
}

export class RestClient {
  readonly server: URL;
  /** The connections; a scoped client uses its owner's (see `connections`). */
  private agent: https.Agent | http.Agent | undefined;
  private streamAgent: https.Agent | http.Agent | undefined;
  private readonly owner: RestClient | undefined;
  private readonly stopFollowingCertificate?: () => void;
  private readonly lifetime: AbortController;
  /** A scoped client's own end (a controller manager's term); undefined for the client that owns the connections. */
  private readonly scope: AbortSignal | undefined;
  private readonly headers: Record<string, string>;

  constructor(
    readonly config: ClientConfig,
    private readonly retry: RetryPolicy = defaultRetry,
    shared?: SharedConnections,
  ) {
    this.server = new URL(config.server);
    this.lifetime = shared?.lifetime ?? new AbortController();
    this.scope = shared?.scope;
    const tls = this.server.protocol === 'https:';
    this.owner = shared?.owner;
    const rotating = config.rotatingCertificate;
    // One TLS context for all connections of an agent: given the PEMs instead, Node parses the key and the CA
    // bundle again for every new connection (a burst of requests opens several at once).
    const newAgent = (maxSockets: number) =>
      tls
        ? new https.Agent({
            keepAlive: true,
            maxSockets,
            secureContext: createSecureContext({ ca: config.caPem, cert: rotating?.certPem ?? config.certPem, key: rotating?.keyPem ?? config.keyPem }),
            rejectUnauthorized: !config.insecureSkipTlsVerify,
          })
        : new http.Agent({ keepAlive: true, maxSockets });
    if (!shared) {
      this.agent = newAgent(64);
      // One connection per watch, however many kinds are watched (HTTP/1.1 has no multiplexing).
      this.streamAgent = newAgent(Infinity);
      // A renewed certificate: new connections use it, the old ones close (their watches reconnect).
      this.stopFollowingCertificate = rotating?.onChange(() => {
        const old = [this.agent!, this.streamAgent!];
        this.agent = newAgent(64);
        this.streamAgent = newAgent(Infinity);
        for (const agent of old) agent.destroy();
      });
    }
    this.headers = { Accept: 'application/json', 'User-Agent': config.userAgent ?? 'skiff-client' };
    if (config.token) this.headers.Authorization = `Bearer ${config.token}`;
  }

  /**
   * A client on the same connections whose every request and retry also ends
   * when `signal` aborts: what a term of the controller manager hands its
   * controllers, so a term that ends leaves no request of its own behind.
   */
  withSignal(signal: AbortSignal): RestClient {
    return new RestClient(this.config, this.retry, { owner: this.owner ?? this, lifetime: this.lifetime, scope: this.scope ? AbortSignal.any([this.scope, signal]) : signal });
  }

  /** The agent requests go through: this client's own, or (scoped) its owner's current one. */
  private get connections(): https.Agent | http.Agent {
    return this.owner ? this.owner.connections : this.agent!;
  }

  /** The agent of long-running requests (watches), unbounded. */
  private get streamConnections(): https.Agent | http.Agent {
    return this.owner ? this.owner.streamConnections : this.streamAgent!;
  }

  /** Sends a request and returns the parsed JSON answer; throws StatusError on failure. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.requestRaw(method, path, options);
    return (response.body ? JSON.parse(response.body) : undefined) as T;
  }

  /** Like request, with the answer's status and headers, for callers that need them. */
  async requestRaw(method: string, path: string, callerOptions: RequestOptions = {}): Promise<RawResponse> {
    // Closing the client ends every request and retry, whatever the caller's signal.
    const options = { ...callerOptions, signal: this.signalFor(callerOptions.signal) };
    const metrics = this.config.metrics;
    if (!metrics) return this.attempts(method, path, options);
    // From the first attempt to the final answer, retries included, as client-go times a request.
    const started = performance.now();
    try {
      return await this.attempts(method, path, options);
    } finally {
      metrics.requestLatency(method, this.server.host, (performance.now() - started) / 1000);
    }
  }

  private async attempts(method: string, path: string, options: RequestOptions): Promise<RawResponse> {
    const retries = options.retries ?? this.retry.retries;
    for (let attempt = 0; ; attempt++) {
      let response: RawResponse;
      try {
        response = await this.once(method, path, options);
      } catch (err) {
        if (!(err instanceof RequestFailure)) throw err;
        if (attempt < retries && mayRetryAfter(method, err) && !options.signal?.aborted) {
          this.retry.onRetry?.({ method, path, attempt: attempt + 1, reason: err.cause.code! });
          await sleep(this.backoff(attempt), options.signal);
          continue;
        }
        throw err.cause;
      }
      if (response.status < 400) return response;
      const retryable = response.status === 429 || (isIdempotent(method) && response.status >= 500 && response.status !== 501);
      if (retryable && attempt < retries) {
        this.retry.onRetry?.({ method, path, attempt: attempt + 1, reason: String(response.status) });
        const retryAfter = Number(response.headers['retry-after']);
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : this.backoff(attempt), options.signal);
        continue;
      }
      throw statusErrorOf(response.status, response.body);
    }
  }

  /** Exponential backoff with jitter, so retrying clients do not move in step. */
  private backoff(attempt: number): number {
    const delay = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
    return delay / 2 + Math.random() * (delay / 2);
  }

  /** One attempt; a network failure rejects as a RequestFailure saying whether the whole request had gone out. */
  private once(method: string, path: string, options: RequestOptions): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      // 'finish': the last byte of the request was handed to the operating system.
      let sent = false;
      const fail = (err: NodeJS.ErrnoException) => reject(new RequestFailure(err, sent));
      const req = this.open(method, path, options, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', fail);
      });
      req.on('finish', () => (sent = true));
      req.on('error', fail);
      this.writeBody(req, options);
    });
  }

  /**
   * Opens a request whose answer is read by the caller, for streams (watch,
   * logs). The request is aborted with `options.signal`.
   */
  open(method: string, path: string, options: RequestOptions, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const url = new URL(path + queryString(options.query), this.server);
    const headers: Record<string, string> = { ...this.headers };
    const token = this.config.tokenSource?.current();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (options.accept) headers.Accept = options.accept;
    if (options.body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(bodyText(options.body)));
    }
    const requestOptions: https.RequestOptions = {
      method,
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      path: url.pathname + url.search,
      headers,
      agent: options.longRunning ? this.streamConnections : this.connections,
      signal: this.signalFor(options.signal),
    };
    const metrics = this.config.metrics;
    if (!metrics) return url.protocol === 'https:' ? https.request(requestOptions, onResponse) : http.request(requestOptions, onResponse);
    // Every attempt counted by its answer's code, or `<error>` when none came.
    const answered = (res: http.IncomingMessage) => {
      metrics.requestResult(String(res.statusCode ?? 0), method, this.server.host);
      onResponse(res);
    };
    const req = url.protocol === 'https:' ? https.request(requestOptions, answered) : http.request(requestOptions, answered);
    req.once('error', () => metrics.requestResult('<error>', method, this.server.host));
    return req;
  }

  private writeBody(req: http.ClientRequest, options: RequestOptions): void {
    if (options.body === undefined) {
      req.end();
      return;
    }
    req.end(bodyText(options.body));
  }

  /** The caller's signal combined with the client's own lifetime. */
  private signalFor(signal: AbortSignal | undefined): AbortSignal {
    const ends = [signal, this.scope, this.lifetime.signal].filter((s): s is AbortSignal => s !== undefined);
    return ends.length === 1 ? ends[0] : AbortSignal.any(ends);
  }

  /**
   * Ends the client: requests in flight and retries waiting to happen fail
   * with an abort error, and the connections are closed — nothing of it
   * keeps the process alive.
   */
  close(): void {
    // A scoped client's connections belong to the client it came from, which closes them.
    if (this.owner) return;
    this.lifetime.abort(new Error('client closed'));
    this.stopFollowingCertificate?.();
    this.agent?.destroy();
    this.streamAgent?.destroy();
  }
}
