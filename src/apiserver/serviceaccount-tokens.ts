/**
 * Service account tokens, as upstream's TokenRequest API issues them: JWTs
 * signed with the cluster's service-account key (here ES256, an ECDSA P-256
 * key kept in `DIR/pki/sa.key`), naming the service account (and the pod
 * they are bound to), for some audiences, until an expiry.
 *
 *   POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token  (TokenRequest)
 *     → status.token, status.expirationTimestamp
 *   Authorization: Bearer <token>
 *     → system:serviceaccount:<ns>:<name>, groups system:serviceaccounts,
 *       system:serviceaccounts:<ns>, system:authenticated — while the
 *       service account (same uid) still exists and the token has not expired
 *
 * The kubelet asks for such tokens for projected serviceAccountToken volumes.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Authenticator, UserInfo } from './authentication.js';

export const apiAudience = 'https://kubernetes.default.svc.cluster.local';
export const issuer = 'https://kubernetes.default.svc.cluster.local';
/** Upstream refuses shorter tokens: "may not specify a duration less than 10 minutes". */
export const minExpirationSeconds = 600;
export const defaultExpirationSeconds = 3600;

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
  };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export class ServiceAccountTokens {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(privateKeyPem: string) {
    this.privateKey = createPrivateKey(privateKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
  }

  /** The key in `<pkiDir>/sa.key`, made on first use. */
  static inDirectory(pkiDir: string): ServiceAccountTokens {
    const path = join(pkiDir, 'sa.key');
    if (!existsSync(path)) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
    return new ServiceAccountTokens(readFileSync(path, 'utf8'));
  }

  issue(request: { namespace: string; name: string; uid: string; audiences: string[]; expirationSeconds: number; pod?: { name: string; uid: string }; now: Date }): { token: string; expires: Date } {
    const iat = Math.floor(request.now.getTime() / 1000);
    const claims: TokenClaims = {
      iss: issuer,
      sub: `system:serviceaccount:${request.namespace}:${request.name}`,
      aud: request.audiences,
      exp: iat + request.expirationSeconds,
      iat,
      nbf: iat,
      jti: randomUUID(),
      'kubernetes.io': { namespace: request.namespace, serviceaccount: { name: request.name, uid: request.uid }, ...(request.pod ? { pod: request.pod } : {}) },
    };
    const signingInput = `${base64url(JSON.stringify({ alg: 'ES256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return { token: `${signingInput}.${base64url(signature)}`, expires: new Date(claims.exp * 1000) };
  }

  /** The claims of a token we signed that is valid now; undefined for anything else. */
  verify(token: string, now: Date): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
      const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: string };
      if (header.alg !== 'ES256') return undefined;
      const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
      if (!ok) return undefined;
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as TokenClaims;
      const seconds = now.getTime() / 1000;
      if (claims.iss !== issuer || typeof claims.exp !== 'number' || claims.exp <= seconds || (claims.nbf ?? 0) > seconds + 60) return undefined;
      return claims;
    } catch {
      return undefined;
    }
  }

  /**
   * Bearer tokens of service accounts: valid, meant for the apiserver, and
   * the service account still the one the token names (same uid).
   */
  authenticator(serviceAccountUid: (namespace: string, name: string) => Promise<string | undefined>, now: () => Date): Authenticator {
    return async (req): Promise<UserInfo | undefined> => {
      const header = req.headers.authorization;
      if (!header?.startsWith('Bearer ')) return undefined;
      const claims = this.verify(header.slice(7).trim(), now());
      if (!claims || !claims.aud?.includes(apiAudience)) return undefined;
      const { namespace, serviceaccount } = claims['kubernetes.io'] ?? {};
      if (!namespace || !serviceaccount || (await serviceAccountUid(namespace, serviceaccount.name)) !== serviceaccount.uid) return undefined;
      return {
        username: claims.sub,
        uid: serviceaccount.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      };
    };
  }
}
