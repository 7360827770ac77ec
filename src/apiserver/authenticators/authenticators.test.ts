/** Static token files and bootstrap tokens: parsing, and who a token is. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../../machinery/object.js';
import { parseTokenFile, tokenFileAuthenticator } from './token-file.js';
import { bootstrapTokenAuthenticator, bootstrapTokenSecret, checkBootstrapToken } from './bootstrap-tokens.js';

const withToken = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as IncomingMessage;

describe('token file', () => {
  it('reads token,user,uid and quoted groups, skipping blanks and comments', async () => {
    const users = parseTokenFile('# people\nt1,alice,u1,"devs,ops"\n\nt2,bob,u2\n');
    const authenticate = tokenFileAuthenticator(users);
    assert.deepEqual(await authenticate(withToken('t1')), { username: 'alice', uid: 'u1', groups: ['devs', 'ops', 'system:authenticated'] });
    assert.deepEqual(await authenticate(withToken('t2')), { username: 'bob', uid: 'u2', groups: ['system:authenticated'] });
    assert.equal(await authenticate(withToken('t3')), undefined);
    assert.equal(await authenticate({ headers: {} } as IncomingMessage), undefined);
  });

  const invalid: [string, string, RegExp][] = [
    ['too few columns', 't1,alice\n', /line 1: token file must have at least 3 columns/],
    ['an unclosed quote', 't1,alice,u1,"devs\n', /line 1: a quoted field is not closed/],
    ['a duplicate token', 't1,a,1\nt1,b,2\n', /line 2: duplicate token/],
  ];
  for (const [name, text, message] of invalid) it(`refuses ${name}`, () => assert.throws(() => parseTokenFile(text, 'tokens.csv'), message));
});

describe('bootstrap tokens', () => {
  const now = new Date('2026-12-05T00:00:00Z');
  const secrets = new Map<string, KubeObject>();
  const read = async (namespace: string, name: string) => secrets.get(`${namespace}/${name}`);
  const store = (secret: KubeObject) => secrets.set(`${secret.metadata.namespace}/${secret.metadata.name}`, secret);
  store(bootstrapTokenSecret('abcdef.0123456789abcdef', { extraGroups: ['system:bootstrappers:workers'] }));
  store(bootstrapTokenSecret('expird.0123456789abcdef', { expiration: '2026-12-04T00:00:00Z' }));
  store(bootstrapTokenSecret('signon.0123456789abcdef', { usages: ['signing'] }));
  store({ ...bootstrapTokenSecret('badgrp.0123456789abcdef'), data: { ...(bootstrapTokenSecret("badgrp.0123456789abcdef") as unknown as { data: object }).data, 'auth-extra-groups': Buffer.from('admins').toString('base64') } } as KubeObject);

  it('authenticates a valid token as system:bootstrap:<id> with its groups', async () => {
    const authenticate = bootstrapTokenAuthenticator(read, () => now);
    assert.deepEqual(await authenticate(withToken('abcdef.0123456789abcdef')), { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:workers', 'system:authenticated'] });
    assert.equal(await authenticate(withToken('not-a-bootstrap-token')), undefined);
  });

  const refused: [string, string, string][] = [
    ['a wrong secret', 'abcdef.0000000000000000', 'the token does not match its secret'],
    ['an unknown id', 'zzzzzz.0123456789abcdef', 'no secret bootstrap-token-zzzzzz'],
    ['an expired token', 'expird.0123456789abcdef', 'token expird expired at 2026-12-04T00:00:00Z'],
    ['a token not for authentication', 'signon.0123456789abcdef', 'token signon may not be used for authentication'],
    ['an extra group outside system:bootstrappers:', 'badgrp.0123456789abcdef', 'token badgrp has an invalid extra group "admins"'],
  ];
  for (const [name, token, why] of refused) it(`refuses ${name}`, async () => assert.deepEqual(await checkBootstrapToken(token, read, now), { why }));
});
