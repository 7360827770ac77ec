/**
 * Impersonation (`kubectl --as=alice --as-group=dev`): a user may act as
 * another when RBAC grants them the `impersonate` verb on what they claim —
 * `users`, `groups`, `serviceaccounts` (core group), `uids` and
 * `userextras/<key>` (authentication.k8s.io). Every claim is checked on its
 * own; the request then runs as the impersonated user, with
 * `system:authenticated` added as upstream does.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestAttributes } from '../api/rbac/authorize.js';
import { StatusError } from '../machinery/status.js';
import type { UserInfo } from './authentication.js';
import { forbiddenError, type Authorizer } from './authorization/authorizer.js';

const serviceAccountPrefix = 'system:serviceaccount:';

/** The values of a header sent once or many times. */
function headerValues(req: IncomingMessage, name: string): string[] {
  return (req.headersDistinct?.[name] ?? []).map((value) => value.trim()).filter((value) => value !== '');
}

/** Whether the request asks to impersonate anyone (any `Impersonate-*` header). */
export function wantsImpersonation(req: IncomingMessage): boolean {
  for (const header of Object.keys(req.headers)) if (header.startsWith('impersonate-')) return true;
  return false;
}

/** Runs the claims past the authorizer; the user the request then acts as, or a 403 naming the first claim refused. */
export async function impersonate(req: IncomingMessage, requester: UserInfo, authorizer: Authorizer): Promise<UserInfo> {
  const username = headerValues(req, 'impersonate-user')[0];
  const groups = headerValues(req, 'impersonate-group');
  const uid = headerValues(req, 'impersonate-uid')[0];
  const extra: Record<string, string[]> = {};
  for (const header of Object.keys(req.headers)) {
    if (!header.startsWith('impersonate-extra-')) continue;
    let key = header.slice('impersonate-extra-'.length);
    try {
      key = decodeURIComponent(key);
    } catch {
      throw new StatusError(400, 'BadRequest', `invalid Impersonate-Extra key ${JSON.stringify(key)}`);
    }
    extra[key.toLowerCase()] = headerValues(req, header);
  }
  if (!username) {
    // Upstream answers this with an internal error: a group, uid or extra means nothing without a user.
    throw new StatusError(500, 'InternalError', 'Internal error occurred: requested impersonation of groups, uid or extra without impersonating a user', {
      causes: [{ message: 'requested impersonation of groups, uid or extra without impersonating a user' }],
    });
  }

  const claims: RequestAttributes[] = [];
  let impliedGroups: string[] = [];
  if (username.startsWith(serviceAccountPrefix)) {
    const [namespace, name] = username.slice(serviceAccountPrefix.length).split(':');
    claims.push({ verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'serviceaccounts', namespace, name });
    impliedGroups = ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];
  } else {
    claims.push({ verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'users', name: username });
  }
  for (const group of groups) claims.push({ verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'groups', name: group });
  if (uid) claims.push({ verb: 'impersonate', resourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  for (const [key, values] of Object.entries(extra)) {
    for (const value of values) claims.push({ verb: 'impersonate', resourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: value });
  }

  const who = { name: requester.username, groups: requester.groups };
  for (const claim of claims) {
    const answer = await authorizer.authorize(claim, who);
    if (answer.decision !== 'allow') throw forbiddenError(claim, who, answer.reason);
  }

  const finalGroups = groups.length > 0 ? [...groups] : impliedGroups;
  if (username === 'system:anonymous') {
    if (!finalGroups.includes('system:unauthenticated')) finalGroups.push('system:unauthenticated');
  } else if (!finalGroups.includes('system:authenticated') && !finalGroups.includes('system:unauthenticated')) {
    finalGroups.push('system:authenticated');
  }
  return { username, groups: finalGroups, ...(uid ? { uid } : {}), ...(Object.keys(extra).length > 0 ? { extra } : {}) };
}
