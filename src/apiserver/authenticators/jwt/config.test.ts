/** AuthenticationConfiguration decoding and validation: upstream's validation_test.go cases, in upstream's words. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderFieldError } from '../../../machinery/status.js';
import { AuthenticationConfigurationError, parseAuthenticationConfiguration, type AuthenticationConfiguration, type JWTAuthenticator } from './config.js';
import { goUrlParts, validateAuthenticationConfiguration } from './validation.js';

/** A valid authenticator; each case changes what it tests. */
function jwt(change: (a: JWTAuthenticator) => void = () => {}): JWTAuthenticator {
  const authenticator: JWTAuthenticator = {
    issuer: { url: 'https://issuer-url', discoveryURL: '', certificateAuthority: '', audiences: ['audience'], audienceMatchPolicy: '' },
    claimValidationRules: [{ claim: 'foo', requiredValue: 'bar', expression: '', message: '' }],
    claimMappings: {
      username: { claim: 'sub', prefix: 'prefix', expression: '' },
      groups: { claim: '', expression: '' },
      uid: { claim: '', expression: '' },
      extra: [],
    },
    userValidationRules: [],
  };
  change(authenticator);
  return authenticator;
}

const configuration = (...authenticators: JWTAuthenticator[]): AuthenticationConfiguration => ({ apiVersion: 'apiserver.config.k8s.io/v1beta1', kind: 'AuthenticationConfiguration', jwt: authenticators });

/** upstream's errString of an aggregate: one error alone, several in brackets. */
function errorText(config: AuthenticationConfiguration, disallowedIssuers: string[] = []): string {
  const errors = validateAuthenticationConfiguration(config, disallowedIssuers).map(renderFieldError);
  return errors.length === 0 ? '' : errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
}

const emailVerifiedRule =
  'claims.email_verified must be used in claimMappings.username.expression or claimMappings.extra[*].valueExpression or claimValidationRules[*].expression when claims.email is used in claimMappings.username.expression';
const usernameExpression = (expression: string) => (a: JWTAuthenticator) => (a.claimMappings.username = { claim: '', expression });

describe('AuthenticationConfiguration validation', () => {
  const cases: { name: string; config: AuthenticationConfiguration; disallowed?: string[]; want: string }[] = [
    { name: 'no jwt authenticators', config: configuration(), want: '' },
    { name: 'valid', config: configuration(jwt()), want: '' },
    { name: 'duplicate issuer', config: configuration(jwt(), jwt()), want: 'jwt[1].issuer.url: Duplicate value: "https://issuer-url"' },
    {
      name: 'duplicate discoveryURL',
      config: configuration(
        jwt((a) => (a.issuer.discoveryURL = 'https://discovery-url/.well-known/openid-configuration')),
        jwt((a) => ((a.issuer.url = 'https://different-issuer-url'), (a.issuer.discoveryURL = 'https://discovery-url/.well-known/openid-configuration'))),
      ),
      want: 'jwt[1].issuer.discoveryURL: Duplicate value: "https://discovery-url/.well-known/openid-configuration"',
    },
    { name: 'issuer url not https', config: configuration(jwt((a) => (a.issuer.url = 'invalid-url'))), want: 'jwt[0].issuer.url: Invalid value: "invalid-url": URL scheme must be https' },
    { name: 'issuer url empty', config: configuration(jwt((a) => (a.issuer.url = ''))), want: 'jwt[0].issuer.url: Required value: URL is required' },
    {
      name: 'issuer url bad port',
      config: configuration(jwt((a) => (a.issuer.url = 'https://issuer-url:invalid-port'))),
      want: 'jwt[0].issuer.url: Invalid value: "https://issuer-url:invalid-port": parse "https://issuer-url:invalid-port": invalid port ":invalid-port" after host',
    },
    { name: 'issuer url with user', config: configuration(jwt((a) => (a.issuer.url = 'https://user:pass@issuer-url'))), want: 'jwt[0].issuer.url: Invalid value: "https://user:pass@issuer-url": URL must not contain a username or password' },
    { name: 'issuer url with query', config: configuration(jwt((a) => (a.issuer.url = 'https://issuer-url?query'))), want: 'jwt[0].issuer.url: Invalid value: "https://issuer-url?query": URL must not contain a query' },
    { name: 'issuer url with fragment', config: configuration(jwt((a) => (a.issuer.url = 'https://issuer-url#fragment'))), want: 'jwt[0].issuer.url: Invalid value: "https://issuer-url#fragment": URL must not contain a fragment' },
    {
      name: 'disallowed issuer',
      config: configuration(jwt()),
      disallowed: ['a', 'b', 'https://issuer-url', 'c'],
      want: 'jwt[0].issuer.url: Invalid value: "https://issuer-url": URL must not overlap with disallowed issuers: [a b c https://issuer-url]',
    },
    { name: 'discoveryURL same as url', config: configuration(jwt((a) => (a.issuer.discoveryURL = 'https://issuer-url///'))), want: 'jwt[0].issuer.discoveryURL: Invalid value: "https://issuer-url///": discoveryURL must be different from URL' },
    { name: 'discoveryURL not https', config: configuration(jwt((a) => (a.issuer.discoveryURL = 'http://oidc.oidc-namespace.svc'))), want: 'jwt[0].issuer.discoveryURL: Invalid value: "http://oidc.oidc-namespace.svc": URL scheme must be https' },
    { name: 'audiences empty', config: configuration(jwt((a) => (a.issuer.audiences = []))), want: 'jwt[0].issuer.audiences: Required value: at least one jwt[0].issuer.audiences is required' },
    { name: 'audience empty', config: configuration(jwt((a) => (a.issuer.audiences = ['']))), want: "jwt[0].issuer.audiences[0]: Required value: audience can't be empty" },
    { name: 'audience duplicate', config: configuration(jwt((a) => ((a.issuer.audiences = ['audience', 'audience']), (a.issuer.audienceMatchPolicy = 'MatchAny')))), want: 'jwt[0].issuer.audiences[1]: Duplicate value: "audience"' },
    { name: 'several audiences need MatchAny', config: configuration(jwt((a) => (a.issuer.audiences = ['audience1', 'audience2']))), want: 'jwt[0].issuer.audienceMatchPolicy: Invalid value: "": audienceMatchPolicy must be MatchAny for multiple audiences' },
    { name: 'single audience bad policy', config: configuration(jwt((a) => (a.issuer.audienceMatchPolicy = 'MatchExact'))), want: 'jwt[0].issuer.audienceMatchPolicy: Invalid value: "MatchExact": audienceMatchPolicy must be empty or MatchAny for single audience' },
    { name: 'invalid certificate authority', config: configuration(jwt((a) => (a.issuer.certificateAuthority = 'invalid'))), want: 'jwt[0].issuer.certificateAuthority: Invalid value: "<omitted>": data does not contain any valid RSA or ECDSA certificates' },
    {
      name: 'duplicate claim validation rule',
      config: configuration(jwt((a) => a.claimValidationRules.push({ claim: 'foo', requiredValue: 'baz', expression: '', message: '' }))),
      want: 'jwt[0].claimValidationRules[1].claim: Duplicate value: "foo"',
    },
    { name: 'claim validation rule empty', config: configuration(jwt((a) => (a.claimValidationRules = [{ claim: '', requiredValue: '', expression: '', message: '' }]))), want: 'jwt[0].claimValidationRules[0]: Required value: claim or expression is required' },
    {
      name: 'claim validation rule with both',
      config: configuration(jwt((a) => (a.claimValidationRules = [{ claim: 'claim', requiredValue: '', expression: 'expression', message: '' }]))),
      want: 'jwt[0].claimValidationRules[0]: Invalid value: "claim": claim and expression can\'t both be set',
    },
    {
      name: 'claim validation rule message with claim',
      config: configuration(jwt((a) => (a.claimValidationRules = [{ claim: 'claim', requiredValue: '', expression: '', message: 'message' }]))),
      want: 'jwt[0].claimValidationRules[0].message: Invalid value: "message": message can\'t be set when claim is set',
    },
    {
      name: 'claim validation rule requiredValue with expression',
      config: configuration(jwt((a) => (a.claimValidationRules = [{ claim: '', requiredValue: 'value', expression: "claims.foo == 'bar'", message: '' }]))),
      want: 'jwt[0].claimValidationRules[0].requiredValue: Invalid value: "value": requiredValue can\'t be set when expression is set',
    },
    {
      name: 'claim validation expression not bool',
      config: configuration(jwt((a) => (a.claimValidationRules = [{ claim: '', requiredValue: '', expression: 'claims.foo', message: '' }]))),
      want: 'jwt[0].claimValidationRules[0].expression: Invalid value: "claims.foo": must evaluate to bool',
    },
    {
      name: 'claim validation expression does not compile',
      config: configuration(jwt((a) => (a.claimValidationRules = [{ claim: '', requiredValue: '', expression: 'foo.bar', message: '' }]))),
      want: `jwt[0].claimValidationRules[0].expression: Invalid value: "foo.bar": compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo.bar\n | ^`,
    },
    { name: 'username required', config: configuration(jwt((a) => (a.claimMappings.username = { claim: '', prefix: 'prefix', expression: '' }))), want: 'jwt[0].claimMappings.username: Required value: claim or expression is required' },
    {
      name: 'username prefix required with claim',
      config: configuration(jwt((a) => (a.claimMappings.username = { claim: 'claim', expression: '' }))),
      want: 'jwt[0].claimMappings.username.prefix: Required value: prefix is required when claim is set. It can be set to an empty string to disable prefixing',
    },
    {
      name: 'username prefix with expression',
      config: configuration(jwt((a) => (a.claimMappings.username = { claim: '', prefix: 'prefix', expression: 'claims.username' }))),
      want: 'jwt[0].claimMappings.username.prefix: Invalid value: "prefix": prefix can\'t be set when expression is set',
    },
    {
      name: 'groups claim and expression',
      config: configuration(jwt((a) => (a.claimMappings.groups = { claim: 'claim', expression: 'claims.groups' }))),
      want: 'jwt[0].claimMappings.groups: Invalid value: "": claim and expression can\'t both be set',
    },
    {
      name: 'uid claim and expression',
      config: configuration(jwt((a) => (a.claimMappings.uid = { claim: 'claim', expression: 'claims.uid' }))),
      want: 'jwt[0].claimMappings.uid: Invalid value: "": claim and expression can\'t both be set',
    },
    { name: 'extra key empty', config: configuration(jwt((a) => (a.claimMappings.extra = [{ key: '', valueExpression: 'claims.extra' }]))), want: 'jwt[0].claimMappings.extra[0].key: Required value' },
    {
      name: 'extra key not a domain-prefixed path',
      config: configuration(jwt((a) => (a.claimMappings.extra = [{ key: 'foo', valueExpression: 'claims.extra' }]))),
      want: 'jwt[0].claimMappings.extra[0].key: Invalid value: "foo": must be a domain-prefixed path (such as "acme.io/foo")',
    },
    { name: 'extra key not lowercase', config: configuration(jwt((a) => (a.claimMappings.extra = [{ key: 'example.org/Foo', valueExpression: 'claims.extra' }]))), want: 'jwt[0].claimMappings.extra[0].key: Invalid value: "example.org/Foo": key must be lowercase' },
    {
      name: 'extra key reserved',
      config: configuration(jwt((a) => (a.claimMappings.extra = [{ key: 'foo.k8s.io/bar', valueExpression: 'claims.extra' }]))),
      want: 'jwt[0].claimMappings.extra[0].key: Invalid value: "foo.k8s.io/bar": k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use',
    },
    {
      name: 'extra key duplicate',
      config: configuration(jwt((a) => (a.claimMappings.extra = [{ key: 'example.org/foo', valueExpression: 'claims.extra' }, { key: 'example.org/foo', valueExpression: 'claims.extras' }]))),
      want: 'jwt[0].claimMappings.extra[1].key: Duplicate value: "example.org/foo"',
    },
    { name: 'extra valueExpression empty', config: configuration(jwt((a) => (a.claimMappings.extra = [{ key: 'example.org/foo', valueExpression: '' }]))), want: 'jwt[0].claimMappings.extra[0].valueExpression: Required value: valueExpression is required' },
    { name: 'email without email_verified', config: configuration(jwt(usernameExpression('claims.email'))), want: `jwt[0].claimMappings.username.expression: Invalid value: "claims.email": ${emailVerifiedRule}` },
    { name: 'almost email', config: configuration(jwt(usernameExpression('claims.email_'))), want: '' },
    { name: 'optional email without email_verified', config: configuration(jwt(usernameExpression('claims.?email'))), want: `jwt[0].claimMappings.username.expression: Invalid value: "claims.?email": ${emailVerifiedRule}` },
    {
      name: 'email in a comprehension',
      config: configuration(jwt(usernameExpression('["a"].map(i, i + claims.email)'))),
      want: `jwt[0].claimMappings.username.expression: Invalid value: "[\\"a\\"].map(i, i + claims.email)": ${emailVerifiedRule}`,
    },
    {
      name: 'email verified by a claim validation rule',
      config: configuration(jwt((a) => ((a.claimValidationRules = [{ claim: '', requiredValue: '', expression: 'string(claims.email_verified) == "panda"', message: '' }]), usernameExpression("['yay', string(claims.email), 'panda'].join(' ')")(a)))),
      want: '',
    },
    {
      name: 'email verified by an extra mapping',
      config: configuration(jwt((a) => (usernameExpression("['yay', string(claims.email), 'panda'].join(' ')")(a), (a.claimMappings.extra = [{ key: 'panda.io/foo', valueExpression: 'claims.?email_verified' }])))),
      want: '',
    },
    { name: 'email verified in the username expression', config: configuration(jwt(usernameExpression('claims.?email_verified.orValue(true) ? claims.email : claims.sub'))), want: '' },
    {
      name: 'duplicate user validation rule',
      config: configuration(jwt((a) => (a.userValidationRules = [{ expression: "user.username == 'foo'", message: '' }, { expression: "user.username == 'foo'", message: '' }]))),
      want: 'jwt[0].userValidationRules[1].expression: Duplicate value: "user.username == \'foo\'"',
    },
    { name: 'user validation rule empty', config: configuration(jwt((a) => (a.userValidationRules = [{ expression: '', message: '' }]))), want: 'jwt[0].userValidationRules[0].expression: Required value: expression is required' },
    { name: 'user validation rule not bool', config: configuration(jwt((a) => (a.userValidationRules = [{ expression: 'user.username', message: '' }]))), want: 'jwt[0].userValidationRules[0].expression: Invalid value: "user.username": must evaluate to bool' },
    {
      name: 'too many authenticators',
      config: configuration(...Array.from({ length: 65 }, (_, i) => jwt((a) => (a.issuer.url = `https://issuer-${i}`)))),
      want: 'jwt: Too many: 65: must have at most 64 items',
    },
    {
      name: 'anonymous conditions without enabled',
      config: { ...configuration(), anonymous: { enabled: false, conditions: [{ path: '/livez' }] } },
      want: 'anonymous.conditions: Invalid value: []apiserver.AnonymousAuthCondition{apiserver.AnonymousAuthCondition{Path:"/livez"}}: enabled should be set to true when conditions are defined',
    },
  ];
  for (const { name, config, disallowed, want } of cases) {
    it(name, () => assert.equal(errorText(config, disallowed), want));
  }

  it('reads URLs as Go does', () => {
    assert.deepEqual(goUrlParts('https://issuer.example.com/path'), { scheme: 'https', hasUser: false, query: '', fragment: '' });
    assert.deepEqual(goUrlParts('issuer.example.com'), { scheme: '', hasUser: false, query: '', fragment: '' });
    assert.deepEqual(goUrlParts(':nope'), { error: 'parse ":nope": missing protocol scheme' });
    assert.deepEqual(goUrlParts('https://a b'), { error: 'parse "https://a b": invalid character " " in host name' });
  });
});

describe('AuthenticationConfiguration decoding', () => {
  const valid = `
apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: https://issuer.example.com
    audiences: [kubernetes]
  claimMappings:
    username: {claim: sub, prefix: "oidc:"}
    groups: {expression: 'claims.groups.map(g, "oidc:" + g)'}
`;
  it('reads YAML (and both versions) into the typed configuration', () => {
    const config = parseAuthenticationConfiguration(valid);
    assert.equal(config.jwt[0].issuer.url, 'https://issuer.example.com');
    assert.deepEqual(config.jwt[0].claimMappings.username, { claim: 'sub', prefix: 'oidc:', expression: '' });
    assert.equal(config.jwt[0].claimMappings.groups.prefix, undefined);
    assert.equal(parseAuthenticationConfiguration(valid.replace('v1beta1', 'v1alpha1')).jwt.length, 1);
  });

  const failures: [string, string, RegExp | string][] = [
    ['empty', '', 'empty config data'],
    ['not an object', '[]', /couldn't get version\/kind/],
    ['no kind', 'apiVersion: apiserver.config.k8s.io/v1beta1', "Object 'Kind' is missing"],
    ['unknown version', valid.replace('v1beta1', 'v1'), 'no kind "AuthenticationConfiguration" is registered for version "apiserver.config.k8s.io/v1"'],
    ['unknown fields', valid.replace('audiences: [kubernetes]', 'audiences: [kubernetes]\n    audience: x\n    foo: 1'), 'strict decoding error: unknown field "jwt[0].issuer.audience", unknown field "jwt[0].issuer.foo"'],
    ['mistyped field', valid.replace('url: https://issuer.example.com', 'url: 42'), 'json: cannot unmarshal number into Go struct field Issuer.jwt.issuer.url of type string'],
    ['mistyped list', valid.replace('audiences: [kubernetes]', 'audiences: kubernetes'), 'json: cannot unmarshal string into Go struct field Issuer.jwt.issuer.audiences of type []string'],
    ['null prefix is unset', valid.replace('prefix: "oidc:"', 'prefix: null'), /jwt\[0\]\.claimMappings\.username\.prefix: Required value/],
    ['not YAML', 'jwt: [', /error converting YAML to JSON/],
  ];
  for (const [name, text, want] of failures) {
    it(`refuses: ${name}`, () => {
      assert.throws(
        () => parseAuthenticationConfiguration(text),
        (err: Error) => err instanceof AuthenticationConfigurationError && (typeof want === 'string' ? err.message === want : want.test(err.message)),
      );
    });
  }

  it('names disallowed issuers (the service account issuers)', () => {
    assert.throws(() => parseAuthenticationConfiguration(valid, { disallowedIssuers: ['https://issuer.example.com'] }), /URL must not overlap with disallowed issuers/);
  });
});
