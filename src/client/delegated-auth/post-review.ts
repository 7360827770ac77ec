/**
 * Sends one review (TokenReview, SubjectAccessReview) to the apiserver and
 * returns its answer. Retries are the REST client's (429, a connection that
 * never took the request); the whole exchange is cut at `timeoutMs`.
 */
import { performance } from 'node:perf_hooks';
import { isStatusError } from '../../machinery/status.js';
import type { ReviewMetrics } from './metrics.js';
import type { ReviewClient } from './types.js';

export interface PostReviewOptions {
  timeoutMs: number;
  metrics?: ReviewMetrics;
}

export async function postReview<T>(client: ReviewClient, path: string, review: object, options: PostReviewOptions): Promise<T> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const response = await client.rest.requestRaw('POST', path, { body: review, signal: AbortSignal.timeout(options.timeoutMs) });
    options.metrics?.record(String(response.status), seconds());
    return JSON.parse(response.body) as T;
  } catch (err) {
    options.metrics?.record(isStatusError(err) ? String(err.code) : '<error>', seconds());
    throw err;
  }
}
