/**
 * The max-in-flight limit, as kube-apiserver's --max-requests-inflight and
 * --max-mutating-requests-inflight: at most so many read-only (get, list)
 * and so many mutating requests are served at once; one more is answered at
 * once with 429 TooManyRequests and `Retry-After: 1`, so a client that floods
 * the server cannot stall everyone else. Long-running requests (watches,
 * exec, attach, port-forward, proxy, logs) are not counted: they hold a
 * connection, not the server's attention.
 */
import type { IncomingMessage } from 'node:http';
import { errors, StatusError } from '../machinery/status.js';
import type { UserInfo } from './authentication.js';
import type { RequestInfo } from './request-info.js';

/** Upstream's defaults for the two flags. */
export const defaultMaxRequestsInFlight = 400;
export const defaultMaxMutatingRequestsInFlight = 200;

/** Upstream answers every rejected request with this fixed hint, in seconds. */
const retryAfterSeconds = 1;

/** Upstream's long-running check (kube-apiserver's BasicLongRunningRequestCheck): these verbs and subresources. */
const longRunningVerbs = new Set(['watch', 'proxy']);
const longRunningSubresources = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

/** Read-only verbs share one limit; every other verb counts as mutating. */
const readOnlyVerbs = new Set(['get', 'list', 'watch']);

/** Health probes are never refused: like v1.32's exempt `probes` FlowSchema, a busy server still answers them. */
const probePaths = new Set(['/healthz', '/livez', '/readyz']);

/** system:masters always gets an answer (upstream: a super-admin or a loopback connection). */
const privilegedGroup = 'system:masters';

/** Whether a request holds its connection open for long (and so is neither limited nor timed out). */
export function isLongRunning(info: Pick<RequestInfo, 'verb' | 'subresource'> | undefined): boolean {
  if (!info) return false;
  return longRunningVerbs.has(info.verb) || (info.subresource !== undefined && longRunningSubresources.has(info.subresource));
}

/** The verb of a request for the limits: its resource verb, or the method for non-resource paths (as upstream). */
export function isMutating(req: IncomingMessage, info: RequestInfo | undefined): boolean {
  const verb = info?.verb ?? (req.method === 'HEAD' ? 'get' : (req.method ?? 'GET').toLowerCase());
  return !readOnlyVerbs.has(verb);
}

export function tooManyRequests(): StatusError {
  return errors.tooManyRequests('Too many requests, please try again later.', retryAfterSeconds);
}

export class MaxInFlightLimit {
  private readOnly = 0;
  private mutating = 0;
  /** How many requests were refused with 429, by kind (for logs and benchmarks). */
  readonly rejected = { readOnly: 0, mutating: 0 };

  /** A limit of 0 means no limit, as upstream. */
  constructor(
    private readonly maxReadOnly = defaultMaxRequestsInFlight,
    private readonly maxMutating = defaultMaxMutatingRequestsInFlight,
  ) {}

  /**
   * Takes a seat for the request, or throws 429 TooManyRequests. Returns the
   * function that gives the seat back (call it once, when the response ends).
   */
  acquire(req: IncomingMessage, path: string, info: RequestInfo | undefined, user: UserInfo): () => void {
    if (isLongRunning(info) || probePaths.has(path)) return () => {};
    const mutating = isMutating(req, info);
    const limit = mutating ? this.maxMutating : this.maxReadOnly;
    const current = mutating ? this.mutating : this.readOnly;
    if (limit > 0 && current >= limit) {
      // Served without a seat: system:masters is never refused.
      if (user.groups.includes(privilegedGroup)) return () => {};
      if (mutating) this.rejected.mutating++;
      else this.rejected.readOnly++;
      throw tooManyRequests();
    }
    if (mutating) this.mutating++;
    else this.readOnly++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (mutating) this.mutating--;
      else this.readOnly--;
    };
  }

  /** Requests being served now, by kind. */
  inFlight(): { readOnly: number; mutating: number } {
    return { readOnly: this.readOnly, mutating: this.mutating };
  }
}
