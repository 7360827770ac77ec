/**
 * Bootstrap tokens, as upstream's: `abcdef.0123456789abcdef`, the first part
 * naming a Secret `bootstrap-token-abcdef` of type
 * `bootstrap.kubernetes.io/token` in kube-system, the second its secret. A
 * valid token (not expired, not being deleted, usable for authentication)
 * authenticates as `system:bootstrap:<id>` in group system:bootstrappers
 * and its extra groups. kubeadm-style joins use them; so does `skiff agent
 * --token` (join.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import type { KubeObject } from '../../machinery/object.js';
import type { Authenticator, UserInfo } from '../authentication.js';
import { bearerToken } from './bearer.js';

export const bootstrapTokenSecretType = 'bootstrap.kubernetes.io/token';
export const bootstrappersGroup = 'system:bootstrappers';
const tokenPattern = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const extraGroupPattern = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/** Reads a Secret (from the watch cache). */
export type SecretReader = (namespace: string, name: string) => Promise<KubeObject | undefined>;

/** Whether the text has the shape of a bootstrap token. */
export function isBootstrapToken(token: string): boolean {
  return tokenPattern.test(token);
}

function secretData(secret: KubeObject, key: string): string | undefined {
  const value = (secret as { data?: Record<string, string> }).data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The user a bootstrap token stands for, or why it does not count (for the
 * log). `usage` is the secret's `usage-bootstrap-<usage>` flag that must be "true".
 */
export async function checkBootstrapToken(token: string, readSecret: SecretReader, now: Date, usage = 'authentication'): Promise<{ user?: UserInfo; why?: string }> {
  const match = tokenPattern.exec(token);
  if (!match) return { why: 'not a bootstrap token' };
  const [, id, secretPart] = match;
  const secret = await readSecret('kube-system', `bootstrap-token-${id}`);
  if (!secret) return { why: `no secret bootstrap-token-${id}` };
  if ((secret as { type?: string }).type !== bootstrapTokenSecretType) return { why: `secret bootstrap-token-${id} is not of type ${bootstrapTokenSecretType}` };
  if (secret.metadata.deletionTimestamp) return { why: `secret bootstrap-token-${id} is being deleted` };
  if (secretData(secret, 'token-id') !== id || !equal(secretData(secret, 'token-secret') ?? '', secretPart)) return { why: 'the token does not match its secret' };
  const expiration = secretData(secret, 'expiration');
  if (expiration !== undefined && !(Date.parse(expiration) > now.getTime())) return { why: `token ${id} expired at ${expiration}` };
  if (secretData(secret, `usage-bootstrap-${usage}`) !== 'true') return { why: `token ${id} may not be used for ${usage}` };
  const extras = (secretData(secret, 'auth-extra-groups') ?? '').split(',').map((group) => group.trim()).filter((group) => group !== '');
  const invalid = extras.find((group) => !extraGroupPattern.test(group));
  if (invalid) return { why: `token ${id} has an invalid extra group ${JSON.stringify(invalid)}` };
  return { user: { username: `system:bootstrap:${id}`, groups: [bootstrappersGroup, ...extras, 'system:authenticated'] } };
}

export function bootstrapTokenAuthenticator(readSecret: SecretReader, now: () => Date, log: (why: string) => void = () => {}): Authenticator {
  return async (req) => {
    const token = bearerToken(req);
    if (token === undefined || !isBootstrapToken(token)) return undefined;
    const { user, why } = await checkBootstrapToken(token, readSecret, now());
    if (!user && why) log(why);
    return user;
  };
}

/** A bootstrap token Secret for `token` (what `skiff up` makes for its join token, and kubeadm's `token create`). */
export function bootstrapTokenSecret(token: string, options: { description?: string; usages?: string[]; extraGroups?: string[]; expiration?: string } = {}): KubeObject {
  const match = tokenPattern.exec(token);
  if (!match) throw new Error('a bootstrap token has the form [a-z0-9]{6}.[a-z0-9]{16}');
  const encode = (value: string) => Buffer.from(value).toString('base64');
  const data: Record<string, string> = { 'token-id': encode(match[1]), 'token-secret': encode(match[2]) };
  if (options.description) data.description = encode(options.description);
  if (options.expiration) data.expiration = encode(options.expiration);
  for (const usage of options.usages ?? ['authentication', 'signing']) data[`usage-bootstrap-${usage}`] = encode('true');
  if (options.extraGroups?.length) data['auth-extra-groups'] = encode(options.extraGroups.join(','));
  return { apiVersion: 'v1', kind: 'Secret', type: bootstrapTokenSecretType, metadata: { name: `bootstrap-token-${match[1]}`, namespace: 'kube-system' }, data } as KubeObject;
}
