/**
 * Service account credentials for the controllers of a controller manager,
 * as kube-controller-manager's `--use-service-account-credentials`: each
 * controller acts as `system:serviceaccount:kube-system:<its name>`, so RBAC
 * grants it only its own role. The manager's own client (which may create
 * service accounts and their tokens in kube-system) makes sure the account
 * exists and asks TokenRequest for a token, renewed at 80% of its life;
 * failures are retried with the work queue's per-key backoff.
 */
import type { Client } from './client.js';
import { WorkQueue } from './workqueue.js';
import { StatusError } from '../machinery/status.js';
import { whenAborted } from '../machinery/abort.js';

/** What a client sends as its bearer token, read on every request. */
export interface TokenSource {
  current(): string | undefined;
}

const namespace = 'kube-system';
const lifetimeSeconds = 3600;

interface TokenRequestAnswer {
  status?: { token?: string; expirationTimestamp?: string };
}

export class ServiceAccountCredentials {
  private readonly tokens = new Map<string, string>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 200, maxDelayMs: 60_000 });

  constructor(
    private readonly root: Client,
    private readonly signal: AbortSignal,
    private readonly log: (event: Record<string, unknown>) => void = () => {},
  ) {
    whenAborted(signal, () => this.queue.shutDown());
    // A few workers: a controller manager's twenty accounts get their first tokens together, not one after another.
    for (let i = 0; i < 4; i++) void this.work();
  }

  /** The token source of one account; its first token is being fetched when this returns. */
  sourceFor(account: string): TokenSource {
    if (!this.tokens.has(account) && !this.waiting.has(account)) {
      this.waiting.set(account, []);
      this.queue.add(account);
    }
    return { current: () => this.tokens.get(account) };
  }

  /** Resolves once the account has a token (or the signal aborts). */
  ready(account: string): Promise<void> {
    if (this.tokens.has(account) || this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.get(account)?.push(resolve);
      whenAborted(this.signal, () => resolve());
    });
  }

  private async work(): Promise<void> {
    for (;;) {
      const account = await this.queue.get();
      if (account === undefined) return;
      try {
        const expiresInMs = await this.refresh(account);
        this.queue.forget(account);
        this.queue.addAfter(account, Math.max(1000, expiresInMs * 0.8));
      } catch (err) {
        if (!this.signal.aborted) {
          this.log({ msg: 'service account token not issued', account, error: (err as Error).message });
          this.queue.addRateLimited(account);
        }
      } finally {
        this.queue.done(account);
      }
    }
  }

  /** Makes sure the account exists, then gets it a fresh token; answers how long the token lives. */
  private async refresh(account: string): Promise<number> {
    const accounts = this.root.rest;
    const base = `/api/v1/namespaces/${namespace}/serviceaccounts`;
    try {
      await accounts.request('POST', base, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account, namespace } }, signal: this.signal });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
    }
    const answer = await accounts.request<TokenRequestAnswer>('POST', `${base}/${account}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: lifetimeSeconds } },
      signal: this.signal,
    });
    const token = answer.status?.token;
    if (!token) throw new Error('TokenRequest answered without a token');
    this.tokens.set(account, token);
    for (const resolve of this.waiting.get(account) ?? []) resolve();
    this.waiting.delete(account);
    const expires = Date.parse(answer.status?.expirationTimestamp ?? '');
    return Number.isFinite(expires) ? expires - Date.now() : lifetimeSeconds * 1000;
  }
}
