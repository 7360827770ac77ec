/**
 * Delegated authentication, as upstream's k8s.io/apiserver
 * DelegatingAuthenticatorConfig (what the kubelet, kube-scheduler and
 * kube-controller-manager use on their HTTPS ports):
 *
 * 1. a client certificate verified against the cluster CA: the user is its
 *    subject's CN, the groups its O (as the apiserver maps it);
 * 2. `Authorization: Bearer <token>`, or a WebSocket's
 *    `base64url.bearer.authorization.k8s.io.<token>` subprotocol: asked of
 *    the apiserver with a TokenReview, the answer cached (success and
 *    failure alike, `cacheTtlMs`; errors never), in a bounded cache;
 * 3. no credentials at all: `system:anonymous` in `system:unauthenticated`
 *    when anonymous requests are allowed (the kubelet's default; the
 *    authorizer then decides, and refuses by default).
 *
 * Credentials that were presented and do not check out are 'unauthorized'
 * (a 401): an unverified certificate, an unknown token, a failed review.
 */
import { createHmac, randomBytes, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket, DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import type { Logger } from '../../util/log.js';
import { ExpiringLruCache, SharedLookups } from './expiring-lru.js';
import type { ReviewMetrics } from './metrics.js';
import { postReview } from './post-review.js';
import { anonymousUser, authenticatedGroup, unauthenticatedGroup, type ReviewClient, type User } from './types.js';

/**
 * authentication.k8s.io/v1 TokenReview, as far as a delegating server uses it.
 * (The kind has no description in src/api yet: the apiserver does not serve it.)
 */
export interface TokenReview {
  apiVersion: 'authentication.k8s.io/v1';
  kind: 'TokenReview';
  metadata: Record<string, unknown>;
  spec: { token: string; audiences?: string[] };
  status?: { authenticated?: boolean; user?: Partial<User>; audiences?: string[]; error?: string };
}

export const tokenReviewPath = '/apis/authentication.k8s.io/v1/tokenreviews';

/** The kubelet's default `authentication.webhook.cacheTTL`; kube-scheduler and kube-controller-manager use 10 s. */
export const kubeletTokenCacheTtlMs = 2 * 60_000;
export const componentTokenCacheTtlMs = 10_000;

const bearerProtocolPrefix = 'base64url.bearer.authorization.k8s.io.';
const credentialIdKey = 'authentication.kubernetes.io/credential-id';
/** A verified chain longer than this is not walked further (it never is, with skiff's CA). */
const maxChainLength = 10;

export interface DelegatedAuthenticatorOptions {
  /** Where TokenReviews are posted: the component's own client. */
  client: ReviewClient;
  /**
   * The CA bundle client certificates must chain to. The TLS server verifies
   * the chain (`requestCert`, its `ca`); this makes sure it is this bundle's.
   */
  caPem?: string;
  /** How long an answer about a token is kept (default 2 min, the kubelet's). */
  cacheTtlMs?: number;
  /** How many token answers are kept at most (default 8192). */
  cacheSize?: number;
  /** The audiences tokens must be for; none (the default) asks nothing of them, as upstream. */
  audiences?: string[];
  /** Whether a request without credentials is `system:anonymous` (default true) or refused. */
  anonymous?: boolean;
  /** How long one TokenReview may take (default 10 s). */
  requestTimeoutMs?: number;
  metrics?: ReviewMetrics;
  now?: () => number;
  log?: Logger;
}

/** `undefined`: no credentials and anonymous requests are refused; 'unauthorized': bad credentials. */
export type AuthenticationResult = User | undefined | 'unauthorized';

export interface DelegatedAuthenticator {
  authenticate(req: IncomingMessage): Promise<AuthenticationResult>;
}

/** One authenticator's verdict: a user, nothing to say (no such credentials), or an error (bad ones). */
type Verdict = { user: User } | { error: string } | undefined;

/** What the token cache keeps: a user, or the fact that the token is not one (errors are never kept). */
type TokenAnswer = { user: User } | { rejected: true; error?: string };

export function delegatedAuthenticator(options: DelegatedAuthenticatorOptions): DelegatedAuthenticator {
  const ttlMs = options.cacheTtlMs ?? kubeletTokenCacheTtlMs;
  const cache = new ExpiringLruCache<TokenAnswer>(options.cacheSize ?? 8192, options.now);
  const lookups = new SharedLookups<TokenAnswer>();
  const audiences = options.audiences ?? [];
  // Tokens are kept under a keyed hash, never in clear (upstream does the same).
  const hashKey = randomBytes(32);
  const caFingerprints = new Set(certificatesOf(options.caPem ?? '').map((cert) => cert.fingerprint256));
  const certificateUsers = new WeakMap<TLSSocket, Verdict | null>();
  const log = options.log ?? (() => {});

  async function reviewToken(token: string): Promise<TokenAnswer> {
    const review: TokenReview = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: { token, ...(audiences.length ? { audiences } : {}) } };
    const answer = await postReview<TokenReview>(options.client, tokenReviewPath, review, { timeoutMs: options.requestTimeoutMs ?? 10_000, metrics: options.metrics });
    const status = answer?.status ?? {};
    // Audience-limited: the token must be for one of ours (the review's audiences, or ours when it names none).
    if (audiences.length && !audiences.some((wanted) => (status.audiences?.length ? status.audiences : audiences).includes(wanted))) return { rejected: true };
    if (!status.authenticated) return { rejected: true, ...(status.error ? { error: status.error } : {}) };
    const user = status.user ?? {};
    return { user: { username: String(user.username ?? ''), groups: [...(user.groups ?? [])], ...(user.uid ? { uid: user.uid } : {}), ...(user.extra ? { extra: { ...user.extra } } : {}) } };
  }

  async function authenticateToken(token: string): Promise<Verdict> {
    const key = createHmac('sha256', hashKey).update(JSON.stringify([audiences, token])).digest('base64');
    const cached = cache.get(key);
    const answer =
      cached ??
      (await lookups.run(key, async () => {
        const fresh = await reviewToken(token);
        // A review that said why it failed is an error upstream, and errors are not cached.
        if ('user' in fresh) cache.set(key, fresh, ttlMs);
        else if (!fresh.error) cache.set(key, fresh, ttlMs);
        return fresh;
      }));
    if ('user' in answer) return { user: answer.user };
    return { error: answer.error ?? 'invalid bearer token' };
  }

  /** The client certificate: its user when the TLS layer verified it against our CA, an error when it did not. */
  function certificateVerdict(req: IncomingMessage): Verdict {
    const socket = req.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function') return undefined;
    // A keep-alive connection carries many requests over one TLS session: read its certificate once.
    const known = certificateUsers.get(socket);
    if (known !== undefined) return known ?? undefined;
    const verdict = readCertificate(socket, caFingerprints);
    certificateUsers.set(socket, verdict ?? null);
    return verdict;
  }

  async function bearerVerdict(req: IncomingMessage): Promise<Verdict> {
    const token = bearerToken(req.headers.authorization);
    if (!token) return undefined;
    const verdict = await authenticateToken(token);
    // The token has done its job; nothing behind this server should see it.
    if (verdict && 'user' in verdict) delete req.headers.authorization;
    return verdict;
  }

  async function webSocketVerdict(req: IncomingMessage): Promise<Verdict> {
    const offered = webSocketToken(req);
    if (!offered) return undefined;
    if ('error' in offered) return offered;
    const verdict = await authenticateToken(offered.token);
    if (verdict && 'user' in verdict) req.headers['sec-websocket-protocol'] = offered.otherProtocols.join(',');
    return verdict;
  }

  return {
    async authenticate(req) {
      // As upstream's union: the first authenticator with a user wins; errors count only when none has one.
      const errors: string[] = [];
      for (const verdictOf of [certificateVerdict, bearerVerdict, webSocketVerdict]) {
        let verdict: Verdict;
        try {
          verdict = await verdictOf(req);
        } catch (err) {
          verdict = { error: `token review failed: ${(err as Error).message}` };
        }
        if (verdict && 'user' in verdict) return withAuthenticatedGroup(verdict.user);
        if (verdict) errors.push(verdict.error);
      }
      if (errors.length) {
        log({ msg: 'Unable to authenticate the request due to an error', err: errors.join(', '), v: 0 });
        return 'unauthorized';
      }
      return options.anonymous === false ? undefined : { username: anonymousUser.username, groups: [...anonymousUser.groups] };
    },
  };
}

/** The token of `Authorization: Bearer <token>`, read as upstream: anything else is no token at all. */
export function bearerToken(header: string | undefined): string | undefined {
  const value = (header ?? '').trim();
  if (!value) return undefined;
  const parts = value.split(' ');
  if (parts.length < 2 || parts[0].toLowerCase() !== 'bearer') return undefined;
  // `Bearer  <token>` (two spaces) leaves an empty token: upstream ignores the header.
  return parts[1] || undefined;
}

/** A WebSocket upgrade's bearer token subprotocol; the other subprotocols are what the server will choose among. */
export function webSocketToken(req: IncomingMessage): { token: string; otherProtocols: string[] } | { error: string } | undefined {
  const connection = String(req.headers.connection ?? '').toLowerCase();
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (!connection.split(',').some((token) => token.trim() === 'upgrade') || upgrade !== 'websocket') return undefined;
  const header = req.headers['sec-websocket-protocol'];
  const protocols = (Array.isArray(header) ? header : header === undefined ? [] : [header]).flatMap((value: string) => value.split(',').map((protocol) => protocol.trim()));
  let token = '';
  let seen = false;
  const otherProtocols: string[] = [];
  for (const protocol of protocols) {
    if (!protocol.startsWith(bearerProtocolPrefix)) {
      otherProtocols.push(protocol);
      continue;
    }
    if (seen) return { error: 'multiple base64.bearer.authorization tokens specified' };
    seen = true;
    const encoded = protocol.slice(bearerProtocolPrefix.length);
    // Unpadded base64url only, as Go's RawURLEncoding.
    if (!/^[A-Za-z0-9_-]*$/.test(encoded) || encoded.length % 4 === 1) return { error: 'invalid base64.bearer.authorization token encoding' };
    try {
      token = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.from(encoded, 'base64url'));
    } catch {
      return { error: 'invalid base64.bearer.authorization token' };
    }
  }
  if (token && otherProtocols.length === 0) return { error: 'missing additional subprotocol' };
  return token ? { token, otherProtocols } : undefined;
}

function readCertificate(socket: TLSSocket, caFingerprints: Set<string>): Verdict {
  const peer = socket.getPeerCertificate(true);
  if (!peer || Object.keys(peer).length === 0) return undefined;
  if (!socket.authorized) return { error: `verifying certificate ${certificateIdentifier(peer)} failed: ${String(socket.authorizationError ?? 'unknown authority')}` };
  if (caFingerprints.size && !chainEndsIn(peer, caFingerprints)) return { error: `verifying certificate ${certificateIdentifier(peer)} failed: x509: certificate signed by unknown authority` };
  const cn = peer.subject?.CN;
  const username = Array.isArray(cn) ? cn[0] : cn;
  // No common name: not a user, and not an error (upstream's CommonNameUserConversion).
  if (!username) return undefined;
  const o = peer.subject.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? [...o] : [o];
  const fingerprint = peer.fingerprint256.replaceAll(':', '').toLowerCase();
  return { user: { username, groups, extra: { [credentialIdKey]: [`X509SHA256=${fingerprint}`] } } };
}

/** Whether the verified chain reaches a certificate of the bundle (the TLS layer added the root from its trust store). */
function chainEndsIn(peer: DetailedPeerCertificate, caFingerprints: Set<string>): boolean {
  let cert: DetailedPeerCertificate | undefined = peer;
  for (let depth = 0; cert && depth < maxChainLength; depth++) {
    if (caFingerprints.has(cert.fingerprint256)) return true;
    if (cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return false;
}

/** A certificate named in errors by serial number (decimal, as upstream) and subject. */
function certificateIdentifier(peer: PeerCertificate): string {
  const parts = [`SN=${BigInt(`0x${peer.serialNumber || '0'}`).toString()}`];
  const cn = peer.subject?.CN;
  if (cn) parts.push(`CN=${Array.isArray(cn) ? cn[0] : cn}`);
  return parts.join(', ');
}

function certificatesOf(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/** Upstream's AuthenticatedGroupAdder: every authenticated user is in system:authenticated. A copy: cached users stay as they were. */
function withAuthenticatedGroup(user: User): User {
  const copy: User = { ...user, groups: [...user.groups], ...(user.extra ? { extra: { ...user.extra } } : {}) };
  const marked = user.username === anonymousUser.username || user.groups.includes(authenticatedGroup) || user.groups.includes(unauthenticatedGroup);
  if (!marked) copy.groups.push(authenticatedGroup);
  return copy;
}
