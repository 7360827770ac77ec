/**
 * The audit.k8s.io/v1 Event and how a request's metadata fills it, as
 * upstream's audit.LogRequestMetadata, WithAuditInit and utilnet.SourceIPs:
 * the audit ID (the client's Audit-ID header, else a new UUID), the
 * authenticated user, the source IPs, the user agent, the object reference
 * and annotations. Request and response bodies are in event-objects.ts;
 * moving an event through its stages is stages.ts.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { UserInfo } from '../authentication.js';
import { auditApiVersion, type AuditAttributes, type Level, type Stage } from './policy.js';

/** The header that carries a request's audit ID in and back out (upstream's HeaderAuditID). */
export const auditIDHeader = 'Audit-ID';

export interface AuditUserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AuditObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  /** `""` (left out) is the core group. */
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

/** A meta/v1 Status; for a success upstream fills only the code. */
export interface AuditResponseStatus {
  metadata: Record<string, never>;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: Record<string, unknown>;
  code?: number;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: typeof auditApiVersion;
  level: Level;
  auditID: string;
  stage: Stage;
  requestURI: string;
  verb: string;
  user: AuditUserInfo;
  impersonatedUser?: AuditUserInfo;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: AuditObjectReference;
  responseStatus?: AuditResponseStatus;
  /** The decoded request body (Request level and above). */
  requestObject?: unknown;
  /** The response body (RequestResponse level). */
  responseObject?: unknown;
  /** RFC 3339 in UTC with microseconds (`2026-12-05T22:01:02.123456Z`). */
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

// --- time ---

// Date.now() has milliseconds only; performance.now() adds the microseconds, re-anchored
// to the wall clock whenever the two drift apart (NTP steps, suspend).
let microsOffset = Date.now() * 1000 - performance.now() * 1000;

/** Microseconds since the epoch, by the wall clock. */
export function nowMicros(): number {
  const wall = Date.now() * 1000;
  let micros = Math.floor(performance.now() * 1000 + microsOffset);
  if (micros < wall - 1000 || micros > wall + 2000) {
    microsOffset = wall - performance.now() * 1000;
    micros = Math.floor(performance.now() * 1000 + microsOffset);
  }
  return micros;
}

/** metav1.MicroTime as JSON: `2026-12-05T22:01:02.123456Z`. */
export function microTime(micros: number): string {
  const whole = Math.floor(micros);
  const fraction = String(((whole % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return new Date(Math.floor(whole / 1000)).toISOString().replace(/\.\d{3}Z$/, `.${fraction}Z`);
}

// --- request metadata ---

/** The client's Audit-ID (kept as sent, as upstream), else a new UUID. The server echoes it back. */
export function auditIDFor(headers: IncomingHttpHeaders): string {
  const sent = headers['audit-id'];
  const value = Array.isArray(sent) ? sent[0] : sent;
  return value ? value : randomUUID();
}

const maxUserAgentBytes = 1024;

/** The User-Agent, cut at 1024 bytes with `...TRUNCATED` as upstream (the client chooses it, so it is bounded). */
export function truncatedUserAgent(userAgent: string | undefined): string {
  if (!userAgent) return '';
  const bytes = Buffer.from(userAgent, 'utf8');
  return bytes.length > maxUserAgentBytes ? `${bytes.subarray(0, maxUserAgentBytes).toString('utf8')}...TRUNCATED` : userAgent;
}

/** An IPv4 address as Go's sloppy parser reads it (leading zeros allowed), or undefined. */
function parseIPv4(text: string): string | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,10}$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    octets.push(value);
  }
  return octets.join('.');
}

/** An IP address in Go's net.IP.String() form (IPv6 compressed; IPv4-mapped IPv6 as IPv4), or undefined. */
export function canonicalIP(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed.includes(':')) return parseIPv4(trimmed);
  if (!/^[0-9A-Fa-f:.]+$/.test(trimmed) || trimmed.length > 45) return undefined;
  let host: string;
  try {
    host = new URL(`http://[${trimmed}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return host;
}

/**
 * Where the request came from, as upstream lists it: the X-Forwarded-For
 * addresses, then X-Real-Ip unless already listed, then the connection's
 * address unless it is the last one listed. All but the last can be forged.
 */
export function sourceIPs(headers: IncomingHttpHeaders, remoteAddress: string | undefined): string[] {
  const found: string[] = [];
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  const forwardedFor = first(headers['x-forwarded-for']);
  if (forwardedFor) {
    for (const part of forwardedFor.split(',')) {
      const ip = canonicalIP(part);
      if (ip) found.push(ip);
    }
  }
  const realIP = first(headers['x-real-ip']);
  const real = realIP ? canonicalIP(realIP) : undefined;
  if (real && !found.includes(real)) found.push(real);
  const remote = remoteAddress ? canonicalIP(remoteAddress) : undefined;
  if (remote && found[found.length - 1] !== remote) found.push(remote);
  return found;
}

function auditUser(user: Pick<UserInfo, 'username' | 'groups'> & Partial<UserInfo>): AuditUserInfo {
  const result: AuditUserInfo = { username: user.username };
  if (user.uid) result.uid = user.uid;
  if (user.groups.length) result.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length) result.extra = Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]]));
  return result;
}

export interface NewAuditEventInput {
  auditID: string;
  level: Level;
  /** The policy's attributes: verb, resource or path, and the user (when `user` is not given). */
  attributes: AuditAttributes;
  /** The authenticated user in full (uid, extra); absent for a request that failed authentication. */
  user?: UserInfo;
  /** The request target as the client sent it: path and query. */
  requestURI: string;
  userAgent?: string;
  sourceIPs: string[];
  /** When the request arrived, in microseconds since the epoch (nowMicros()). */
  receivedAtMicros?: number;
}

/** A request's event at RequestReceived (upstream's LogRequestMetadata). */
export function newAuditEvent(input: NewAuditEventInput): AuditEvent {
  const received = microTime(input.receivedAtMicros ?? nowMicros());
  const user = input.user ?? input.attributes.user;
  const event: AuditEvent = {
    kind: 'Event',
    apiVersion: auditApiVersion,
    level: input.level,
    auditID: input.auditID,
    stage: 'RequestReceived',
    requestURI: input.requestURI,
    verb: input.attributes.verb,
    user: user ? auditUser(user) : {},
    requestReceivedTimestamp: received,
    stageTimestamp: received,
  };
  if (input.sourceIPs.length) event.sourceIPs = [...input.sourceIPs];
  const userAgent = truncatedUserAgent(input.userAgent);
  if (userAgent) event.userAgent = userAgent;
  const a = input.attributes;
  if (a.resourceRequest) {
    event.objectRef = {};
    // Empty fields are left out, as Go's omitempty does.
    const fields: [keyof AuditObjectReference, string | undefined][] = [
      ['resource', a.resource],
      ['namespace', a.namespace],
      ['name', a.name],
      ['apiGroup', a.apiGroup],
      ['apiVersion', a.apiVersion],
      ['subresource', a.subresource],
    ];
    for (const [key, value] of fields) if (value) event.objectRef[key] = value;
  }
  return event;
}

/** Records whom the request acts as (upstream's LogImpersonatedUser). */
export function logImpersonatedUser(event: AuditEvent, user: UserInfo): void {
  event.impersonatedUser = auditUser(user);
}

/**
 * Adds an annotation; a key keeps its first value (upstream logs and ignores
 * a second, different one). Returns whether the value is the one recorded.
 */
export function addAuditAnnotation(event: AuditEvent, key: string, value: string): boolean {
  event.annotations ??= {};
  if (Object.hasOwn(event.annotations, key)) return event.annotations[key] === value;
  event.annotations[key] = value;
  return true;
}

export function addAuditAnnotations(event: AuditEvent, annotations: Record<string, string>): void {
  for (const [key, value] of Object.entries(annotations)) addAuditAnnotation(event, key, value);
}

export const decisionAnnotationKey = 'authorization.k8s.io/decision';
export const reasonAnnotationKey = 'authorization.k8s.io/reason';

/**
 * The authorizer's answer, as upstream's authorization filter records it:
 * `allow` or `forbid` with the reason; an authorizer that failed without
 * allowing leaves only the reason `internal error`.
 */
export function annotateAuthorization(event: AuditEvent, verdict: 'allow' | 'deny' | 'no-opinion' | 'error', reason: string): void {
  if (verdict === 'error') {
    addAuditAnnotation(event, reasonAnnotationKey, 'internal error');
    return;
  }
  addAuditAnnotation(event, decisionAnnotationKey, verdict === 'allow' ? 'allow' : 'forbid');
  addAuditAnnotation(event, reasonAnnotationKey, reason);
}
