/**
 * One issuer's signing keys: OIDC discovery (`<url>/.well-known/openid-configuration`,
 * or `discoveryURL` exactly as given), whose `issuer` must be the
 * configured URL, then its JWK Set (`jwks_uri`). Discovery is retried every
 * 10 s until it works, as upstream's authenticator initializes; until then
 * the issuer's tokens fail. Once loaded, the keys are refreshed
 * periodically and on demand (a token no cached key verifies), at most
 * once per `minKeyRefreshIntervalMs`, so tokens with made-up key ids cannot
 * turn into a flood of requests to the issuer. A fetch that fails keeps
 * the keys already held.
 */
import { Agent } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../../util/log.js';
import type { Issuer } from './config.js';
import { httpsGet } from './https-get.js';
import { importKeySet, type VerificationKey } from './jws.js';

export interface IssuerKeysOptions {
  /** Deadline of one discovery or key fetch (default 10 s). */
  fetchTimeoutMs?: number;
  /** Cap on a discovery document or key set (default 1 MiB). */
  maxResponseBytes?: number;
  /** Wait between discovery attempts while the issuer is unreachable (default 10 s, as upstream). */
  discoveryRetryMs?: number;
  /** Periodic refresh of the key set (default 10 min). */
  keyRefreshIntervalMs?: number;
  /** The least time between two fetches of the key set (default 10 s). */
  minKeyRefreshIntervalMs?: number;
  log?: Logger;
}

const wellKnownPath = '/.well-known/openid-configuration';

/** The URL discovery reads: discoveryURL verbatim, else the issuer URL with the well-known path. */
export function discoveryURLOf(issuer: Issuer): string {
  return issuer.discoveryURL || `${issuer.url.replace(/\/+$/, '')}${wellKnownPath}`;
}

function snippet(body: string): string {
  return body.length > 200 ? `${body.slice(0, 200)}…` : body;
}

export class IssuerKeys {
  private keys: VerificationKey[] | undefined;
  private jwksURI: string | undefined;
  private problem: string;
  private lastProblemLogged: string | undefined;
  private lastKeyFetch = -Infinity;
  private refreshing: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly agent: Agent;
  private readonly fetchTimeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly discoveryRetryMs: number;
  private readonly keyRefreshIntervalMs: number;
  private readonly minKeyRefreshIntervalMs: number;

  constructor(
    readonly issuer: Issuer,
    private readonly options: IssuerKeysOptions = {},
  ) {
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
    this.discoveryRetryMs = options.discoveryRetryMs ?? 10_000;
    this.keyRefreshIntervalMs = options.keyRefreshIntervalMs ?? 10 * 60_000;
    this.minKeyRefreshIntervalMs = options.minKeyRefreshIntervalMs ?? 10_000;
    this.problem = `oidc: authenticator for issuer ${JSON.stringify(issuer.url)} is not initialized`;
    // Without a CA bundle, Node's default trust store is used (upstream: the host's roots).
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, ...(issuer.certificateAuthority ? { ca: issuer.certificateAuthority } : {}) });
  }

  /** Starts discovery in the background; tokens fail until it has worked. */
  start(): void {
    void this.initialize();
  }

  /** The keys held, or undefined while discovery has not worked yet. */
  current(): VerificationKey[] | undefined {
    return this.keys;
  }

  /** Undefined when keys are loaded; else why not (upstream's HealthCheck). */
  healthError(): string | undefined {
    return this.keys ? undefined : `oidc: authenticator for issuer ${JSON.stringify(this.issuer.url)} is not healthy: ${this.problem}`;
  }

  /**
   * Fetches the key set again, unless it was fetched within the minimum
   * interval; concurrent callers share one fetch. True when new keys were
   * loaded (worth trying the token again).
   */
  refreshKeys(): Promise<boolean> {
    if (this.closed || !this.jwksURI) return Promise.resolve(false);
    if (this.refreshing) return this.refreshing;
    if (performance.now() - this.lastKeyFetch < this.minKeyRefreshIntervalMs) return Promise.resolve(false);
    this.refreshing = this.fetchKeys(this.jwksURI)
      .then(() => true)
      .catch((err: Error) => {
        this.report('refreshing issuer keys failed', err.message);
        return false;
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort.abort();
    this.agent.destroy();
  }

  private async initialize(): Promise<void> {
    if (this.closed) return;
    try {
      const jwksURI = await this.discover();
      await this.fetchKeys(jwksURI);
      this.jwksURI = jwksURI;
      this.options.log?.({ component: 'jwt-authenticator', msg: 'issuer keys loaded', v: 2, issuer: this.issuer.url, keys: this.keys?.length });
      this.schedule(() => this.periodicRefresh(), this.keyRefreshIntervalMs);
    } catch (err) {
      this.problem = (err as Error).message;
      this.report('initializing issuer failed', this.problem);
      this.schedule(() => this.initialize(), this.discoveryRetryMs);
    }
  }

  private async periodicRefresh(): Promise<void> {
    if (this.closed || !this.jwksURI) return;
    try {
      await this.fetchKeys(this.jwksURI);
    } catch (err) {
      this.report('refreshing issuer keys failed', (err as Error).message);
    }
    this.schedule(() => this.periodicRefresh(), this.keyRefreshIntervalMs);
  }

  private schedule(run: () => Promise<void>, delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void run(), delayMs);
    // Background upkeep must never keep the process alive on its own.
    this.timer.unref();
  }

  /** Reads the discovery document; returns its jwks_uri. */
  private async discover(): Promise<string> {
    const url = discoveryURLOf(this.issuer);
    const response = await httpsGet(url, this.fetchOptions());
    if (response.status !== 200) throw new Error(`oidc: discovery at ${JSON.stringify(url)} failed: ${response.statusText}: ${snippet(response.body)}`);
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      document = JSON.parse(response.body);
    } catch (err) {
      throw new Error(`oidc: failed to decode provider discovery object: ${(err as Error).message}`);
    }
    if (document === null || typeof document !== 'object') throw new Error('oidc: failed to decode provider discovery object: not a JSON object');
    if (document.issuer !== this.issuer.url) {
      throw new Error(`oidc: issuer did not match the issuer returned by provider, expected ${JSON.stringify(this.issuer.url)} got ${JSON.stringify(document.issuer ?? '')}`);
    }
    if (typeof document.jwks_uri !== 'string' || document.jwks_uri === '') throw new Error('oidc: provider discovery object has no jwks_uri');
    let jwksURI: URL;
    try {
      jwksURI = new URL(document.jwks_uri);
    } catch {
      throw new Error(`oidc: provider discovery object has an invalid jwks_uri ${JSON.stringify(document.jwks_uri)}`);
    }
    // Keys fetched over plain http could be anyone's: only https is followed.
    if (jwksURI.protocol !== 'https:') throw new Error(`oidc: jwks_uri ${JSON.stringify(document.jwks_uri)} is not https`);
    return jwksURI.href;
  }

  private async fetchKeys(jwksURI: string): Promise<void> {
    this.lastKeyFetch = performance.now();
    const response = await httpsGet(jwksURI, this.fetchOptions());
    if (response.status !== 200) throw new Error(`oidc: get keys failed: ${response.statusText} ${snippet(response.body)}`);
    let document: unknown;
    try {
      document = JSON.parse(response.body);
    } catch (err) {
      throw new Error(`oidc: failed to decode keys: ${(err as Error).message}`);
    }
    const keys = importKeySet(document);
    if (this.closed) return;
    this.keys = keys;
    this.lastProblemLogged = undefined;
  }

  private fetchOptions() {
    return { agent: this.agent, timeoutMs: this.fetchTimeoutMs, maxBytes: this.maxResponseBytes, signal: this.abort.signal };
  }

  /** Logs a failure; the same failure again (every retry) only at a high verbosity. */
  private report(msg: string, error: string): void {
    if (this.closed) return;
    const repeated = error === this.lastProblemLogged;
    this.lastProblemLogged = error;
    this.options.log?.({ component: 'jwt-authenticator', msg, v: repeated ? 4 : 0, issuer: this.issuer.url, error });
  }
}
