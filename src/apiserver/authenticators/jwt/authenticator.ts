/**
 * The JWT authenticators of an AuthenticationConfiguration, as one
 * Authenticator: a bearer token that is a JWT whose `iss` names a
 * configured issuer is verified against that issuer's keys and mapped to a
 * user; every failure is refused (undefined) with a reason for the log.
 * A token whose issuer is not configured is left to the other
 * authenticators (service account tokens are JWTs too). Issuer URLs are
 * unique, so at most one issuer ever checks a token's signature.
 */
import type { Authenticator, UserInfo } from '../../authentication.js';
import type { Logger } from '../../../util/log.js';
import { bearerToken } from '../bearer.js';
import type { AuthenticationConfiguration, JWTAuthenticator } from './config.js';
import { IssuerKeys, type IssuerKeysOptions } from './issuer.js';
import { looksLikeJwt, untrustedIssuer } from './jws.js';
import { TokenCache, tokenHash } from './token-cache.js';
import { userOfClaims } from './user-mapping.js';
import { compileJwtAuthenticator, type CompiledMappings } from './validation.js';
import { verifyToken } from './verify.js';
import { renderFieldError } from '../../../machinery/status.js';

export interface JwtAuthenticatorOptions extends Omit<IssuerKeysOptions, 'log'> {
  /** Why tokens were refused (v 2) and why issuers could not be reached (v 0). */
  log?: Logger;
  /** The service account issuers: a configured JWT issuer may not be one of them. */
  disallowedIssuers?: string[];
  /** How long a verified token's user is remembered (default 10 s, as upstream; 0 turns the cache off). */
  cacheTtlMs?: number;
  /** How many verified tokens are remembered (default 4096). */
  cacheMaxEntries?: number;
  /** The clock, in ms since the epoch; tests move it. */
  now?: () => number;
}

export interface JwtAuthentication {
  authenticator: Authenticator;
  /** Why each issuer that cannot verify tokens yet cannot (upstream's HealthCheck); empty when all can. */
  healthCheck(): string[];
  /** Stops discovery and key refreshes and drops cached users. */
  close(): void;
}

interface ConfiguredIssuer {
  config: JWTAuthenticator;
  mappings: CompiledMappings;
  keys: IssuerKeys;
}

/** The outcome for one token: a user, or why not. */
type Outcome = { user: UserInfo; expiresAt: number } | { reason: string };

function copyOf(user: UserInfo): UserInfo {
  const copy: UserInfo = { username: user.username, groups: [...user.groups] };
  if (user.uid !== undefined) copy.uid = user.uid;
  if (user.extra) copy.extra = Object.fromEntries(Object.entries(user.extra).map(([key, values]) => [key, [...values]]));
  return copy;
}

/** Adds system:authenticated, as the apiserver's authenticated-group adder does after every authenticator. */
function authenticated(user: UserInfo): UserInfo {
  const copy = copyOf(user);
  if (!copy.groups.includes('system:authenticated')) copy.groups.push('system:authenticated');
  return copy;
}

/**
 * Builds the authenticator of `configuration`'s `jwt` list and starts
 * each issuer's discovery in the background. Throws when a JWT
 * authenticator is invalid (parseAuthenticationConfiguration has usually
 * said so already).
 */
export function jwtAuthenticator(configuration: AuthenticationConfiguration, options: JwtAuthenticatorOptions = {}): JwtAuthentication {
  const now = options.now ?? Date.now;
  const log = options.log;
  const issuers = new Map<string, ConfiguredIssuer>();
  for (const config of configuration.jwt) {
    const { mappings, errors } = compileJwtAuthenticator(config, options.disallowedIssuers);
    if (!mappings) {
      const messages = errors.map(renderFieldError);
      throw new Error(messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`);
    }
    if (issuers.has(config.issuer.url)) throw new Error(`jwt issuer ${JSON.stringify(config.issuer.url)} is configured twice`);
    issuers.set(config.issuer.url, { config, mappings, keys: new IssuerKeys(config.issuer, { ...options, log }) });
  }
  for (const issuer of issuers.values()) issuer.keys.start();

  const cache = new TokenCache(options.cacheTtlMs, options.cacheMaxEntries);
  /** Concurrent requests with one token share one verification. */
  const inFlight = new Map<string, Promise<Outcome>>();

  const authenticate = async (issuer: ConfiguredIssuer, token: string): Promise<Outcome> => {
    const message = (err: unknown) => (err as Error)?.message ?? String(err);
    if (!issuer.keys.current()) return { reason: 'oidc: authenticator not initialized' };
    let verified: Awaited<ReturnType<typeof verifyToken>>;
    try {
      verified = await verifyToken(token, issuer.config.issuer, issuer.keys, now());
    } catch (err) {
      return { reason: `oidc: verify token: ${message(err)}` };
    }
    try {
      return { user: userOfClaims(issuer.config, issuer.mappings, verified.claims), expiresAt: verified.expiresAt };
    } catch (err) {
      return { reason: message(err) };
    }
  };

  const authenticator: Authenticator = async (req) => {
    const token = bearerToken(req);
    if (token === undefined || !looksLikeJwt(token)) return undefined;
    const iss = untrustedIssuer(token);
    const issuer = iss === undefined ? undefined : issuers.get(iss);
    if (!issuer) return undefined;

    const hash = tokenHash(token);
    const cached = cache.get(hash, now());
    if (cached) return authenticated(cached);
    let pending = inFlight.get(hash);
    if (!pending) {
      pending = authenticate(issuer, token).finally(() => inFlight.delete(hash));
      inFlight.set(hash, pending);
    }
    const outcome = await pending;
    if ('reason' in outcome) {
      log?.({ component: 'jwt-authenticator', msg: 'token rejected', v: 2, issuer: issuer.config.issuer.url, why: outcome.reason });
      return undefined;
    }
    cache.set(hash, outcome.user, now(), outcome.expiresAt);
    return authenticated(outcome.user);
  };

  return {
    authenticator,
    healthCheck: () => [...issuers.values()].map((issuer) => issuer.keys.healthError()).filter((error): error is string => error !== undefined),
    close: () => {
      for (const issuer of issuers.values()) issuer.keys.close();
      cache.clear();
    },
  };
}
