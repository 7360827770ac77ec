/**
 * Verifying a token of a configured issuer, in go-oidc's order (the
 * verifier upstream uses): cheap claim checks first (issuer, audience,
 * expiry, not-before), then the signing algorithm, then the signature
 * against the issuer's keys, fetching them again once if none verifies
 * (a key rotation). Leeway is upstream's: none on `exp`, a minute on
 * `nbf`; `iat` is read but, as upstream, not checked.
 */
import type { Issuer } from './config.js';
import type { IssuerKeys } from './issuer.js';
import { candidateKeys, isSupportedAlgorithm, parseCompactJws, supportedSigningAlgorithms, TokenError, verifySignature, type CompactJws, type SigningAlgorithm } from './jws.js';

/** go-oidc's allowance for an issuer whose clock runs ahead. */
export const notBeforeLeewayMs = 60_000;

export interface VerifiedToken {
  claims: Record<string, unknown>;
  /** When the token expires (ms since the epoch). */
  expiresAt: number;
}

/** Go's %q of a string list: `["a" "b"]`. */
function quotedList(values: string[]): string {
  return `[${values.map((value) => JSON.stringify(value)).join(' ')}]`;
}

function claimsError(name: string, value: unknown, goType: string): TokenError {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value === 'boolean' ? 'bool' : typeof value;
  return new TokenError(`oidc: failed to unmarshal claims: json: cannot unmarshal ${kind} into Go struct field idToken.${name} of type ${goType}`);
}

/** A NumericDate claim in ms; go-oidc also takes a number written as a string. */
function numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  if (!Object.hasOwn(claims, name)) return undefined;
  const value = claims[name];
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(seconds)) throw claimsError(name, value, 'oidc.jsonTime');
  return seconds * 1000;
}

function stringClaim(claims: Record<string, unknown>, name: string): string {
  const value = claims[name];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw claimsError(name, value, 'string');
  return value;
}

/** `aud`: one string or a list of strings. */
function audienceOf(claims: Record<string, unknown>): string[] {
  const value = claims.aud;
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw claimsError('aud', value, 'oidc.audience');
}

/** Go's %v of a UTC time: `2024-05-01 10:00:00 +0000 UTC`. */
function goTime(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return '0001-01-01 00:00:00 +0000 UTC';
  return `${new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} +0000 UTC`;
}

/** Issuer, audience and time checks: everything that needs no key. */
function checkClaims(jws: CompactJws, issuer: Issuer, now: number): number {
  const { claims } = jws;
  const iss = stringClaim(claims, 'iss');
  stringClaim(claims, 'sub');
  const audience = audienceOf(claims);
  // A token without exp expired long ago, as go-oidc's zero time.
  const expiry = numericDate(claims, 'exp') ?? -Infinity;
  numericDate(claims, 'iat');
  const notBefore = claims.nbf === null ? undefined : numericDate(claims, 'nbf');

  const googleLegacy = issuer.url === 'https://accounts.google.com' && iss === 'accounts.google.com';
  if (iss !== issuer.url && !googleLegacy) throw new TokenError(`oidc: id token issued by a different provider, expected ${JSON.stringify(issuer.url)} got ${JSON.stringify(iss)}`);
  // Upstream's audienceMatchPolicy is MatchAny: one configured audience in the token's aud is enough.
  if (!issuer.audiences.some((wanted) => audience.includes(wanted))) {
    throw new TokenError(
      issuer.audiences.length === 1
        ? `oidc: expected audience ${JSON.stringify(issuer.audiences[0])} got ${quotedList(audience)}`
        : `oidc: expected audience in ${quotedList([...issuer.audiences].sort())} got ${quotedList(audience)}`,
    );
  }
  if (expiry < now) throw new TokenError(`oidc: token is expired (Token Expiry: ${goTime(expiry)})`);
  if (notBefore !== undefined && now + notBeforeLeewayMs < notBefore) {
    throw new TokenError(`oidc: current time ${goTime(now)} before the nbf (not before) time: ${goTime(notBefore)}`);
  }
  return expiry;
}

function verifiedBy(jws: CompactJws, alg: SigningAlgorithm, keys: IssuerKeys): boolean {
  return candidateKeys(keys.current() ?? [], jws.header.kid).some((key) => verifySignature(jws, alg, key));
}

/**
 * Verifies `token` for `issuer`; throws TokenError (or Error) with
 * upstream's words when it does not hold. `keys` must belong to the issuer.
 */
export async function verifyToken(token: string, issuer: Issuer, keys: IssuerKeys, now: number): Promise<VerifiedToken> {
  if (!keys.current()) throw new TokenError('oidc: authenticator not initialized');
  const jws = parseCompactJws(token);
  const expiresAt = checkClaims(jws, issuer, now);
  const alg = jws.header.alg;
  if (!isSupportedAlgorithm(alg)) {
    throw new TokenError(`oidc: id token signed with unsupported algorithm, expected ${quotedList([...supportedSigningAlgorithms])} got ${JSON.stringify(typeof alg === 'string' ? alg : '')}`);
  }
  const held = keys.current();
  if (!verifiedBy(jws, alg, keys)) {
    // Perhaps the issuer rotated its keys: look once more (unless they were fetched just now),
    // or use what another request's fetch brought meanwhile.
    await keys.refreshKeys();
    if (keys.current() === held || !verifiedBy(jws, alg, keys)) throw new TokenError('failed to verify signature: failed to verify id token signature');
  }
  return { claims: jws.claims, expiresAt };
}
