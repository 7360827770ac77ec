/**
 * The CEL authorizer library through the plugin: the questions asked (attributes and user), answers, errors and cost.
 */
import { describe } from 'node:test';
import { binding, check, policy, refused, type Case, type Decide } from './testing.js';

describe('ValidatingAdmissionPolicy: the authorizer library', () => {
  const alice = { name: 'alice', groups: ['system:authenticated'], uid: undefined, extra: undefined };
  const onlyAlice: Decide = (_attributes, user) => (user.name === 'alice' ? 'allow' : 'deny');
  const authorizing = (expression: string) => policy('p', { validations: [{ expression, message: 'not authorized' }] });
  const cases: Case[] = [
    {
      name: 'a resource check, allowed',
      policies: [authorizing("authorizer.group('').resource('pods').namespace('default').check('create').allowed()")],
      bindings: [binding('b', 'p')],
      decide: onlyAlice,
      asked: [{ attributes: { verb: 'create', resourceRequest: true, apiGroup: '', apiVersion: '*', resource: 'pods', subresource: '', namespace: 'default', name: '' }, user: alice }],
    },
    {
      name: 'a resource check, denied',
      policies: [authorizing("authorizer.group('').resource('pods').namespace('default').check('create').allowed()")],
      bindings: [binding('b', 'p')],
      decide: onlyAlice,
      request: { user: { username: 'bob', groups: [] } },
      denied: refused('not authorized'),
    },
    {
      name: 'authorizer.requestResource is the request',
      policies: [authorizing("authorizer.requestResource.subresource('scale').check('update').allowed()")],
      bindings: [binding('b', 'p')],
      decide: onlyAlice,
      asked: [{ attributes: { verb: 'update', resourceRequest: true, apiGroup: 'apps', apiVersion: '*', resource: 'deployments', subresource: 'scale', namespace: 'default', name: 'web' }, user: alice }],
    },
    {
      name: 'a service account',
      policies: [authorizing("authorizer.serviceAccount('kube-system', 'deployer').group('apps').resource('deployments').check('create').allowed()")],
      bindings: [binding('b', 'p')],
      decide: onlyAlice,
      denied: refused('not authorized'),
      asked: [
        {
          attributes: { verb: 'create', resourceRequest: true, apiGroup: 'apps', apiVersion: '*', resource: 'deployments', subresource: '', namespace: '', name: '' },
          user: { name: 'system:serviceaccount:kube-system:deployer', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] },
        },
      ],
    },
    {
      name: 'a path check and its reason',
      policies: [authorizing("authorizer.path('/healthz').check('get').reason() == 'allowed by test'")],
      bindings: [binding('b', 'p')],
      decide: onlyAlice,
      asked: [{ attributes: { verb: 'get', resourceRequest: false, path: '/healthz' }, user: alice }],
    },
    {
      name: 'an authorizer that fails is an errored decision',
      policies: [authorizing("authorizer.path('/x').check('get').errored() && authorizer.path('/x').check('get').error() == 'webhook down'")],
      bindings: [binding('b', 'p')],
      decide: () => new Error('webhook down'),
    },
    {
      name: 'each question is asked once per request',
      policies: [authorizing("authorizer.path('/x').check('get').allowed() && authorizer.path('/x').check('get').allowed()"), policy('q', { validations: [{ expression: "authorizer.path('/x').check('get').allowed()" }] })],
      bindings: [binding('b', 'p'), binding('c', 'q')],
      decide: onlyAlice,
      asked: [{ attributes: { verb: 'get', resourceRequest: false, path: '/x' }, user: alice }],
    },
    {
      name: 'a third check is over the expression limit',
      policies: [authorizing("authorizer.path('/a').check('get').allowed() && authorizer.path('/b').check('get').allowed() && authorizer.path('/c').check('get').allowed()")],
      bindings: [binding('b', 'p')],
      decide: onlyAlice,
      denied: refused(
        "expression 'authorizer.path('/a').check('get').allowed() && authorizer.path('/b').check('get').allowed() && authorizer.path('/c').check('get').allowed()' resulted in error: operation cancelled: actual cost limit exceeded",
      ),
    },
    {
      name: 'an empty path is an error',
      policies: [authorizing("authorizer.path(' ').check('get').allowed()")],
      bindings: [binding('b', 'p')],
      denied: refused("expression 'authorizer.path(' ').check('get').allowed()' resulted in error: path must not be empty"),
    },
    {
      name: 'message expressions have no authorizer',
      policies: [policy('p', { validations: [{ expression: 'false', messageExpression: "authorizer.path('/x').check('get').reason()", message: 'fallback' }] })],
      bindings: [binding('b', 'p')],
      denied: refused('fallback'),
    },
  ];
  for (const c of cases) check(c);
});
