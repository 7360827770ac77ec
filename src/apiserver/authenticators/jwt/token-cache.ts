/**
 * Recently verified tokens, keyed by their SHA-256, as upstream's token
 * cache in front of its authenticators (successes kept 10 s, failures not
 * at all): a client sending the same token on every request costs one
 * signature check per window. Bounded; the oldest entry goes first.
 */
import { createHash } from 'node:crypto';
import type { UserInfo } from '../../authentication.js';

export const defaultSuccessTtlMs = 10_000;
export const defaultMaxEntries = 4096;

interface Entry {
  user: UserInfo;
  expiresAt: number;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = defaultSuccessTtlMs,
    private readonly maxEntries = defaultMaxEntries,
  ) {}

  get(hash: string, now: number): UserInfo | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.user;
  }

  /** Keeps `user` for the TTL, but never past the token's own expiry. */
  set(hash: string, user: UserInfo, now: number, tokenExpiresAt: number): void {
    const expiresAt = Math.min(now + this.ttlMs, tokenExpiresAt);
    if (expiresAt <= now || this.ttlMs <= 0) return;
    this.entries.delete(hash);
    this.entries.set(hash, { user, expiresAt });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  clear(): void {
    this.entries.clear();
  }
}
