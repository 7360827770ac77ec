/**
 * Compact JWS: parsing a token, importing an issuer's JSON Web Keys, and
 * checking a signature with Node's crypto. The algorithms are the ones
 * upstream accepts with an authentication configuration (go-oidc's
 * asymmetric set); `none` and HMAC never verify.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** Sorted, as upstream lists them in its messages. */
export const supportedSigningAlgorithms = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'] as const;
export type SigningAlgorithm = (typeof supportedSigningAlgorithms)[number];

/** Tokens arrive in a header; anything longer is not a token we would accept. */
export const maxTokenBytes = 64 * 1024;
/** An issuer publishes a handful of keys; more would only make unsigned-kid tokens expensive to check. */
export const maxKeysPerIssuer = 100;

export class TokenError extends Error {}

export interface CompactJws {
  header: Record<string, unknown>;
  /** The payload bytes as signed, and parsed. */
  payloadText: string;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export interface VerificationKey {
  kid?: string;
  key: KeyObject;
  /** 'RSA', or the curve of an EC key ('P-256', 'P-384', 'P-521'). */
  family: string;
}

const base64url = /^[A-Za-z0-9_-]*$/;

function decodeSegment(segment: string, what: string): Buffer {
  if (!base64url.test(segment) || segment.length % 4 === 1) throw new TokenError(`oidc: malformed jwt: illegal base64 data in ${what}`);
  return Buffer.from(segment, 'base64url');
}

function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new TokenError(`oidc: malformed jwt: ${what}: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TokenError(`oidc: malformed jwt: ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Whether the text has the shape of a compact JWT at all (three base64url parts); cheap, for deciding whether to look further. */
export function looksLikeJwt(token: string): boolean {
  return token.length <= maxTokenBytes && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * The token's `iss`, unverified, as upstream's untrustedIssuer: only for
 * choosing which issuer's keys to check it with. Google's legacy
 * scheme-less issuer counts as its https form.
 */
export function untrustedIssuer(token: string): string | undefined {
  if (!looksLikeJwt(token)) return undefined;
  try {
    const iss = parseJsonObject(decodeSegment(token.split('.')[1], 'payload'), 'payload').iss;
    if (typeof iss !== 'string') return undefined;
    return iss === 'accounts.google.com' ? 'https://accounts.google.com' : iss;
  } catch {
    return undefined;
  }
}

export function parseCompactJws(token: string): CompactJws {
  if (token.length > maxTokenBytes) throw new TokenError(`oidc: malformed jwt: token is longer than ${maxTokenBytes} bytes`);
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('oidc: malformed jwt: compact JWS format must have three parts');
  const header = parseJsonObject(decodeSegment(parts[0], 'header'), 'header');
  const payload = decodeSegment(parts[1], 'payload');
  const claims = parseJsonObject(payload, 'failed to unmarshal claims');
  // No critical extension is understood here, so none may be required.
  if (header.crit !== undefined) throw new TokenError('oidc: malformed jwt: unsupported crit header');
  return { header, payloadText: payload.toString('utf8'), claims, signingInput: `${parts[0]}.${parts[1]}`, signature: decodeSegment(parts[2], 'signature') };
}

/**
 * The usable keys of a JWK Set: RSA and EC public keys. A key Node cannot
 * import is skipped rather than failing the whole set, so one odd key
 * (an encryption key of a type we do not know) does not lock everyone out.
 */
export function importKeySet(document: unknown): VerificationKey[] {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('oidc: failed to decode keys: the document has no "keys" list');
  const out: VerificationKey[] = [];
  for (const jwk of keys.slice(0, maxKeysPerIssuer)) {
    if (jwk === null || typeof jwk !== 'object') continue;
    const { kty, kid, crv } = jwk as { kty?: unknown; kid?: unknown; crv?: unknown };
    if (kty !== 'RSA' && kty !== 'EC') continue;
    try {
      // Only the public parts: an issuer that publishes a private key by mistake does not make us hold it.
      const publicParts = kty === 'RSA' ? { kty, n: (jwk as { n?: unknown }).n, e: (jwk as { e?: unknown }).e } : { kty, crv, x: (jwk as { x?: unknown }).x, y: (jwk as { y?: unknown }).y };
      const key = createPublicKey({ key: publicParts as import('node:crypto').JsonWebKey, format: 'jwk' });
      out.push({ kid: typeof kid === 'string' ? kid : undefined, key, family: kty === 'RSA' ? 'RSA' : String(crv) });
    } catch {
      continue;
    }
  }
  return out;
}

const hashOf: Record<SigningAlgorithm, string> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};
const curveOf: Partial<Record<SigningAlgorithm, { curve: string; bytes: number }>> = {
  ES256: { curve: 'P-256', bytes: 32 },
  ES384: { curve: 'P-384', bytes: 48 },
  ES512: { curve: 'P-521', bytes: 66 },
};

export function isSupportedAlgorithm(alg: unknown): alg is SigningAlgorithm {
  return typeof alg === 'string' && (supportedSigningAlgorithms as readonly string[]).includes(alg);
}

/** Whether `key` signed the token with `alg`; a key of the wrong type or curve for the algorithm never verifies. */
export function verifySignature(jws: CompactJws, alg: SigningAlgorithm, key: VerificationKey): boolean {
  const data = Buffer.from(jws.signingInput, 'ascii');
  try {
    const ec = curveOf[alg];
    if (ec) {
      if (key.family !== ec.curve || jws.signature.length !== 2 * ec.bytes) return false;
      return verify(hashOf[alg], data, { key: key.key, dsaEncoding: 'ieee-p1363' }, jws.signature);
    }
    if (key.family !== 'RSA') return false;
    if (alg.startsWith('PS')) {
      return verify(hashOf[alg], data, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, jws.signature);
    }
    return verify(hashOf[alg], data, key.key, jws.signature);
  } catch {
    return false;
  }
}

/** The keys that may have signed a token: those with its `kid`, or all when it names none (as go-oidc). */
export function candidateKeys(keys: VerificationKey[], kid: unknown): VerificationKey[] {
  if (typeof kid !== 'string' || kid === '') return keys;
  return keys.filter((key) => key.kid === kid);
}
