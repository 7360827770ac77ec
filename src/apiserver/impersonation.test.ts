/** Impersonation (impersonation.ts): each claim authorized with the `impersonate` verb, groups completed as upstream. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { RequestAttributes } from '../api/rbac/authorize.js';
import { impersonate, wantsImpersonation } from './impersonation.js';
import type { Authorizer } from './authorization/authorizer.js';
import { StatusError } from '../machinery/status.js';

/** A request with these headers (lower-case names, as Node gives them; repeated ones as arrays). */
function request(headers: Record<string, string | string[]>): IncomingMessage {
  const distinct: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) distinct[name] = Array.isArray(value) ? value : [value];
  return { headers: Object.fromEntries(Object.entries(headers).map(([n, v]) => [n, Array.isArray(v) ? v.join(', ') : v])), headersDistinct: distinct } as unknown as IncomingMessage;
}

/** Allows exactly the claims listed as `resource/subresource:namespace:name`. */
function allowing(...claims: string[]): Authorizer & { asked: string[] } {
  const asked: string[] = [];
  const key = (a: RequestAttributes) => `${a.resource}${a.subresource ? `/${a.subresource}` : ''}:${a.namespace ?? ''}:${a.name}`;
  return {
    name: 'test',
    asked,
    authorize(a) {
      asked.push(key(a));
      assert.equal(a.verb, 'impersonate');
      return { decision: claims.includes(key(a)) ? 'allow' : 'no-opinion', reason: '' };
    },
  };
}

const admin = { username: 'bob', groups: ['ops', 'system:authenticated'] };

describe('impersonation', () => {
  it('is wanted when any Impersonate- header is sent', () => {
    assert.equal(wantsImpersonation(request({ 'impersonate-user': 'alice' })), true);
    assert.equal(wantsImpersonation(request({ accept: 'application/json' })), false);
  });

  const cases: [string, Record<string, string | string[]>, string[], object][] = [
    ['a user gets system:authenticated', { 'impersonate-user': 'alice' }, ['users::alice'], { username: 'alice', groups: ['system:authenticated'] }],
    ['groups as asked, each authorized', { 'impersonate-user': 'alice', 'impersonate-group': ['devs', 'qa'] }, ['users::alice', 'groups::devs', 'groups::qa'], { username: 'alice', groups: ['devs', 'qa', 'system:authenticated'] }],
    [
      'a service account is authorized as one, with its groups',
      { 'impersonate-user': 'system:serviceaccount:team:bot' },
      ['serviceaccounts:team:bot'],
      { username: 'system:serviceaccount:team:bot', groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'] },
    ],
    ['uid and extra (key unescaped and lower-cased)', { 'impersonate-user': 'alice', 'impersonate-uid': 'u-1', 'impersonate-extra-Scopes%2Fa': ['view', 'edit'] }, ['users::alice', 'uids::u-1', 'userextras/scopes/a::view', 'userextras/scopes/a::edit'], { username: 'alice', groups: ['system:authenticated'], uid: 'u-1', extra: { 'scopes/a': ['view', 'edit'] } }],
    ['system:anonymous is unauthenticated', { 'impersonate-user': 'system:anonymous' }, ['users::system:anonymous'], { username: 'system:anonymous', groups: ['system:unauthenticated'] }],
    ['an explicit system:unauthenticated is kept as is', { 'impersonate-user': 'alice', 'impersonate-group': 'system:unauthenticated' }, ['users::alice', 'groups::system:unauthenticated'], { username: 'alice', groups: ['system:unauthenticated'] }],
  ];
  for (const [name, headers, claims, expected] of cases) {
    it(name, async () => {
      const authorizer = allowing(...claims);
      assert.deepEqual(await impersonate(request(headers), admin, authorizer), expected);
      assert.deepEqual(authorizer.asked, claims);
    });
  }

  it('refuses the first claim not granted, in upstream words', async () => {
    await assert.rejects(impersonate(request({ 'impersonate-user': 'alice', 'impersonate-group': 'system:masters' }), admin, allowing('users::alice')), (err: StatusError) => {
      assert.equal(err.code, 403);
      assert.equal(err.message, 'groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope');
      return true;
    });
    await assert.rejects(impersonate(request({ 'impersonate-user': 'system:serviceaccount:team:bot' }), admin, allowing()), {
      message: 'serviceaccounts "bot" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "team"',
    });
  });

  it('refuses groups without a user, as upstream (an internal error)', async () => {
    await assert.rejects(impersonate(request({ 'impersonate-group': 'devs' }), admin, allowing()), (err: StatusError) => err.code === 500);
  });
});
