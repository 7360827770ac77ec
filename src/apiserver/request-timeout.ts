/**
 * The request timeout, as kube-apiserver's --request-timeout (default one
 * minute): a request that is not long-running and has not been answered
 * by its deadline gets 504 Timeout, and the handler still running behind it
 * can no longer write to the response. A client may ask for a shorter
 * deadline with `?timeout=` (kubectl --request-timeout sends it), never a
 * longer one. Watches keep their own timeoutSeconds / --min-request-timeout.
 */
import type { ServerResponse } from 'node:http';
import { parseGoDuration } from '../machinery/duration.js';
import { errors, type StatusError } from '../machinery/status.js';
import { sendStatus } from './http.js';

/** Upstream's default --request-timeout. */
export const defaultRequestTimeoutMs = 60_000;

/** Upstream's default --min-request-timeout: a watch without timeoutSeconds ends after 30–60 minutes. */
export const defaultMinRequestTimeoutSeconds = 1800;

/**
 * The deadline for one request: the server's timeout, or the client's
 * `timeout` parameter when shorter (0 or a negative one means "no timeout
 * of mine": the server's applies). A malformed one is 400 BadRequest.
 */
export function requestTimeoutMs(url: URL, serverTimeoutMs: number): number {
  const value = url.searchParams.get('timeout');
  if (!value) return serverTimeoutMs;
  let requested: number;
  try {
    requested = parseDuration(value);
  } catch (err) {
    throw errors.badRequest(`invalid timeout specified in the request URL - ${(err as Error).message}`);
  }
  return requested > 0 && requested < serverTimeoutMs ? requested : serverTimeoutMs;
}

/** Go's time.ParseDuration, which the `timeout` parameter is read with: an optional sign, "0", or numbers with units. */
function parseDuration(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const unsigned = text.replace(/^[-+]/, '');
  if (unsigned === '0') return 0;
  try {
    return sign * parseGoDuration(unsigned);
  } catch {
    throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
  }
}

/** The Status upstream answers a timed-out request with (the finisher's wording for writes, the filter's for the rest). */
export function timeoutError(mutating: boolean): StatusError {
  return errors.timeout(
    mutating ? 'Timeout: request did not complete within requested timeout - context deadline exceeded' : 'Timeout: request did not complete within the allotted timeout',
  );
}

/**
 * Arms the deadline of one response. At the deadline an unanswered response
 * gets the 504 and is then sealed: whatever the handler writes later is
 * dropped (as upstream's timeout writer does), so the connection stays
 * usable. A response already under way cannot be answered twice: its
 * connection is closed instead. Returns a disarm function; the deadline
 * also disarms itself when the response ends.
 */
export function armRequestTimeout(res: ServerResponse, timeoutMs: number, timedOut: () => StatusError, onTimeout?: () => void): () => void {
  const timer = setTimeout(() => {
    onTimeout?.();
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendStatus(res, timedOut().status);
    seal(res);
  }, timeoutMs);
  const disarm = () => clearTimeout(timer);
  res.once('close', disarm);
  res.once('finish', disarm);
  return disarm;
}

/** Makes a response ignore every further write: the late handler's answer goes nowhere. */
function seal(res: ServerResponse): void {
  const ignore = function (this: ServerResponse) {
    return this;
  };
  res.writeHead = ignore as unknown as ServerResponse['writeHead'];
  res.setHeader = ignore as unknown as ServerResponse['setHeader'];
  res.removeHeader = (() => undefined) as ServerResponse['removeHeader'];
  res.flushHeaders = () => undefined;
  res.write = (() => true) as ServerResponse['write'];
  res.end = ignore as unknown as ServerResponse['end'];
  res.destroy = ignore as unknown as ServerResponse['destroy'];
}
