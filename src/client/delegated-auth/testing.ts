/**
 * A fake apiserver for tests of delegating servers: answers TokenReviews
 * from a table of tokens and SubjectAccessReviews with a function, and
 * keeps every review it was sent (so tests can prove what was cached).
 */
import type { SubjectAccessReview } from '../../api/authorization/index.js';
import { StatusError } from '../../machinery/status.js';
import type { TokenReview } from './authenticate.js';
import type { ReviewClient, User } from './types.js';

export interface FakeReviewer {
  client: ReviewClient;
  tokenReviews: TokenReview[];
  accessReviews: SubjectAccessReview[];
  /** Makes the next reviews fail as a broken connection would, until set back to false. */
  failing: boolean;
}

export interface FakeReviewerOptions {
  /** Known tokens and their users; a token answering an object with `error` is refused with that message. */
  tokens?: Record<string, User | { error: string }>;
  /** Audiences the review reports for a known token (none by default). */
  tokenAudiences?: string[];
  /** The status of a SubjectAccessReview (default: refuse everything). */
  decide?: (spec: SubjectAccessReview['spec']) => NonNullable<SubjectAccessReview['status']>;
}

export function fakeReviewer(options: FakeReviewerOptions = {}): FakeReviewer {
  const reviewer: FakeReviewer = {
    tokenReviews: [],
    accessReviews: [],
    failing: false,
    client: {
      rest: {
        async requestRaw(method, path, request = {}) {
          if (reviewer.failing) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
          const body = structuredClone(request.body) as TokenReview | SubjectAccessReview;
          if (method === 'POST' && path === '/apis/authentication.k8s.io/v1/tokenreviews') {
            const review = body as TokenReview;
            reviewer.tokenReviews.push(review);
            const known = options.tokens?.[review.spec.token];
            const status: TokenReview['status'] =
              known === undefined
                ? { authenticated: false }
                : 'error' in known
                  ? { authenticated: false, error: known.error }
                  : { authenticated: true, user: known, ...(options.tokenAudiences ? { audiences: options.tokenAudiences } : {}) };
            return { status: 201, headers: {}, body: JSON.stringify({ ...review, status }) };
          }
          if (method === 'POST' && path === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
            const review = body as SubjectAccessReview;
            reviewer.accessReviews.push(review);
            const status = options.decide?.(review.spec) ?? { allowed: false };
            return { status: 201, headers: {}, body: JSON.stringify({ ...review, status }) };
          }
          throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${method} ${path})`);
        },
      },
    },
  };
  return reviewer;
}
