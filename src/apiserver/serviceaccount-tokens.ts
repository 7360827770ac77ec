/**
 * Service account tokens, as upstream's TokenRequest API issues them: JWTs
 * signed with the cluster's service-account key (here ES256, an ECDSA P-256
 * key kept in `DIR/pki/sa.key`), naming the service account (and the pod,
 * secret or node they are bound to), for some audiences, until an expiry.
 *
 *   POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token  (TokenRequest)
 *     → status.token, status.expirationTimestamp
 *   Authorization: Bearer <token>
 *     → system:serviceaccount:<ns>:<name>, groups system:serviceaccounts,
 *       system:serviceaccounts:<ns>, system:authenticated — while the token
 *       has not expired and the service account and the object the token is
 *       bound to still exist, with the uids the token names (as upstream: a
 *       deleted pod's token stops working, a recreated pod of the same name
 *       does not revive it)
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

/** A named object with the uid it had when the token was issued. */
export interface ObjectRef {
  name: string;
  uid: string;
}

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
    serviceaccount: ObjectRef;
    pod?: ObjectRef;
    secret?: ObjectRef;
    node?: ObjectRef;
  };
}

/** The kinds a token names, and what authentication needs to know of each. */
export type BoundKind = 'ServiceAccount' | 'Pod' | 'Secret' | 'Node';
export interface BoundObject {
  uid?: string;
  deletionTimestamp?: string;
}
/** Reads the current object (undefined when there is none); Nodes have no namespace. */
export type BoundObjectReader = (kind: BoundKind, namespace: string | undefined, name: string) => Promise<BoundObject | undefined>;

/** Objects deleted (deletionTimestamp passed) longer ago than this no longer vouch for a token: upstream's JWT leeway. */
const deletionLeewaySeconds = 60;

/**
 * Why the objects a token names no longer back it, or undefined when they
 * do — upstream's checks and messages (the client only ever sees 401).
 */
export async function boundObjectsProblem(claims: TokenClaims, read: BoundObjectReader, now: Date): Promise<string | undefined> {
  const { namespace, serviceaccount, pod, secret, node } = claims['kubernetes.io'] ?? {};
  if (!namespace || !serviceaccount?.name) return 'service account token claims could not be validated';
  const invalidIfDeletedBefore = now.getTime() - deletionLeewaySeconds * 1000;
  const deleted = (object: BoundObject) => object.deletionTimestamp !== undefined && Date.parse(object.deletionTimestamp) < invalidIfDeletedBefore;

  const account = await read('ServiceAccount', namespace, serviceaccount.name);
  if (!account) return `serviceaccounts "${serviceaccount.name}" not found`;
  if (deleted(account)) return `service account ${namespace}/${serviceaccount.name} has been deleted`;
  if (account.uid !== serviceaccount.uid) return `service account UID (${account.uid}) does not match claim (${serviceaccount.uid})`;

  const bound: [BoundKind, ObjectRef | undefined, string][] = [
    ['Secret', secret, 'secret'],
    ['Pod', pod, 'pod'],
    // A pod-bound token names its pod's node only for information; a token bound to the node itself depends on it.
    ['Node', pod ? undefined : node, 'node'],
  ];
  for (const [kind, ref, noun] of bound) {
    if (!ref) continue;
    const object = await read(kind, kind === 'Node' ? undefined : namespace, ref.name);
    if (!object || deleted(object)) return 'service account token has been invalidated';
    if (object.uid !== ref.uid) return `${noun} UID (${object.uid}) does not match service account ${noun} ref claim (${ref.uid})`;
  }
  return undefined;
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

  issue(request: { namespace: string; name: string; uid: string; audiences: string[]; expirationSeconds: number; bound?: { pod?: ObjectRef; secret?: ObjectRef; node?: ObjectRef }; now: Date }): { token: string; expires: Date } {
    const iat = Math.floor(request.now.getTime() / 1000);
    const claims: TokenClaims = {
      iss: issuer,
      sub: `system:serviceaccount:${request.namespace}:${request.name}`,
      aud: request.audiences,
      exp: iat + request.expirationSeconds,
      iat,
      nbf: iat,
      jti: randomUUID(),
      'kubernetes.io': { namespace: request.namespace, serviceaccount: { name: request.name, uid: request.uid }, ...request.bound },
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
   * the service account and the bound object still the ones the token names.
   * Checked on every request, from reads that follow deletions at once: no
   * authentication result is cached, so none can outlive a deletion.
   */
  authenticator(read: BoundObjectReader, now: () => Date, onRejected?: (why: string) => void): Authenticator {
    return async (req): Promise<UserInfo | undefined> => {
      const header = req.headers.authorization;
      if (!header?.startsWith('Bearer ')) return undefined;
      const at = now();
      const claims = this.verify(header.slice(7).trim(), at);
      if (!claims || !claims.aud?.includes(apiAudience)) return undefined;
      const problem = await boundObjectsProblem(claims, read, at);
      if (problem) {
        onRejected?.(problem);
        return undefined;
      }
      const { namespace, serviceaccount, pod, node } = claims['kubernetes.io'];
      // What upstream adds as extra: the token's id, and the pod and node it is bound to.
      const extra: Record<string, string[]> = {};
      if (claims.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
      if (pod) Object.assign(extra, { 'authentication.kubernetes.io/pod-name': [pod.name], 'authentication.kubernetes.io/pod-uid': [pod.uid] });
      if (node) Object.assign(extra, { 'authentication.kubernetes.io/node-name': [node.name], ...(node.uid ? { 'authentication.kubernetes.io/node-uid': [node.uid] } : {}) });
      return {
        username: claims.sub,
        uid: serviceaccount.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      };
    };
  }
}
