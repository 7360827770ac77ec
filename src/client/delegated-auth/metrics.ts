/**
 * Upstream's metrics of delegated authentication and authorization
 * (k8s.io/apiserver authenticatorfactory and authorizerfactory): every
 * TokenReview and SubjectAccessReview sent, counted and timed by the HTTP
 * code of its answer ("<error>" when none came). Registered on the
 * component's own Registry, never the global one.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** Upstream's buckets for both request-duration histograms. */
const reviewDurationBuckets = [0.25, 0.5, 0.7, 1, 1.5, 3, 5, 10];

/** Records one kind of review: `record(code, seconds)`. */
export interface ReviewMetrics {
  record(code: string, seconds: number): void;
}

function reviewMetrics(registry: Registry, prefix: string): ReviewMetrics {
  const total = new Counter({ name: `${prefix}_request_total`, help: 'Number of HTTP requests partitioned by status code.', labelNames: ['code'], registers: [registry] });
  const duration = new Histogram({
    name: `${prefix}_request_duration_seconds`,
    help: 'Request latency in seconds. Broken down by status code.',
    labelNames: ['code'],
    buckets: reviewDurationBuckets,
    registers: [registry],
  });
  return {
    record(code, seconds) {
      total.inc({ code });
      duration.observe({ code }, seconds);
    },
  };
}

/** apiserver_delegated_authn_request_total and apiserver_delegated_authn_request_duration_seconds. */
export function delegatedAuthenticationMetrics(registry: Registry): ReviewMetrics {
  return reviewMetrics(registry, 'apiserver_delegated_authn');
}

/** apiserver_delegated_authz_request_total and apiserver_delegated_authz_request_duration_seconds. */
export function delegatedAuthorizationMetrics(registry: Registry): ReviewMetrics {
  return reviewMetrics(registry, 'apiserver_delegated_authz');
}
