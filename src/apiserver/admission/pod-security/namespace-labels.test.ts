/**
 * Namespace labels and levels, after upstream's api/helpers_test.go: parsing,
 * defaulting from the cluster defaults, invalid values failing closed for
 * enforce and open for audit and warn; and the configuration and flag.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderFieldError } from '../../../machinery/status.js';
import { completeDefaults, defaultPolicyFrom, podSecurityDefaultsFromFlag } from './configuration.js';
import { compareLevels, latestVersion, levelVersionString, majorMinorVersion, parseLevel, parseVersion, versionOlder } from './levels.js';
import { policyString, policyToEvaluate, type Policy } from './namespace-labels.js';

const privilegedLatest: Policy = {
  enforce: { level: 'privileged', version: latestVersion },
  audit: { level: 'privileged', version: latestVersion },
  warn: { level: 'privileged', version: latestVersion },
};

describe('levels and versions', () => {
  it('parses levels; an invalid one reads as restricted with upstream error', () => {
    assert.deepEqual(parseLevel('baseline'), { value: 'baseline' });
    assert.deepEqual(parseLevel('Baseline'), { value: 'restricted', error: 'must be one of privileged, baseline, restricted' });
  });

  it('parses versions as upstream: latest or v1.N without leading zeros; invalid reads as latest', () => {
    for (const [text, expected] of [
      ['latest', 'latest'],
      ['v1.0', 'v1.0'],
      ['v1.25', 'v1.25'],
      ['v1.999', 'v1.999'],
    ]) {
      assert.equal(levelVersionString({ level: 'baseline', version: parseVersion(text).value }), `baseline:${expected}`);
      assert.equal(parseVersion(text).error, undefined);
    }
    for (const text of ['', 'v1', 'v1.', 'v1.01', 'v2.0', '1.25', 'v1.25.0', 'Latest', 'v1.99999999999999999999']) {
      assert.deepEqual(parseVersion(text), { value: latestVersion, error: 'must be "latest" or "v1.x"' }, text);
    }
  });

  it('orders versions (latest newest) and levels', () => {
    assert.equal(versionOlder(majorMinorVersion(1, 9), majorMinorVersion(1, 10)), true);
    assert.equal(versionOlder(majorMinorVersion(1, 999), latestVersion), true);
    assert.equal(versionOlder(latestVersion, majorMinorVersion(1, 999)), false);
    assert.ok(compareLevels('restricted', 'baseline') > 0);
    assert.ok(compareLevels('privileged', 'baseline') < 0);
    assert.equal(compareLevels('baseline', 'baseline'), 0);
  });
});

describe('policyToEvaluate', () => {
  const cases: { name: string; labels: Record<string, string>; defaults?: Policy; expect: string; errors?: string[] }[] = [
    { name: 'no labels: the defaults', labels: {}, expect: 'enforce=privileged:latest, audit=privileged:latest, warn=privileged:latest' },
    {
      name: 'all set',
      labels: {
        'pod-security.kubernetes.io/enforce': 'baseline',
        'pod-security.kubernetes.io/enforce-version': 'v1.24',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/audit-version': 'v1.25',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/warn-version': 'latest',
      },
      expect: 'enforce=baseline:v1.24, audit=restricted:v1.25, warn=restricted:latest',
    },
    {
      name: 'enforce without warn raises warn to enforce, version too',
      labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.22' },
      expect: 'enforce=restricted:v1.22, audit=privileged:latest, warn=restricted:v1.22',
    },
    {
      name: 'enforce without warn keeps an explicit warn version',
      labels: { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v1.20' },
      expect: 'enforce=baseline:latest, audit=privileged:latest, warn=baseline:v1.20',
    },
    {
      name: 'an explicit warn level is kept even when lower',
      labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'privileged' },
      expect: 'enforce=restricted:latest, audit=privileged:latest, warn=privileged:latest',
    },
    {
      name: 'defaults fill what labels leave out',
      labels: { 'pod-security.kubernetes.io/audit': 'baseline' },
      defaults: { ...privilegedLatest, enforce: { level: 'baseline', version: majorMinorVersion(1, 23) }, warn: { level: 'restricted', version: latestVersion } },
      expect: 'enforce=baseline:v1.23, audit=baseline:latest, warn=restricted:latest',
    },
    {
      name: 'invalid enforce fails closed and does not raise warn',
      labels: { 'pod-security.kubernetes.io/enforce': 'unknown' },
      expect: 'enforce=restricted:latest, audit=privileged:latest, warn=privileged:latest',
      errors: ['metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "unknown": must be one of privileged, baseline, restricted'],
    },
    {
      name: 'invalid audit and warn fail open; invalid versions read as latest',
      labels: {
        'pod-security.kubernetes.io/enforce': 'baseline',
        'pod-security.kubernetes.io/enforce-version': 'v1.x',
        'pod-security.kubernetes.io/audit': 'strict',
        'pod-security.kubernetes.io/warn': '',
      },
      expect: 'enforce=baseline:latest, audit=privileged:latest, warn=privileged:latest',
      errors: [
        'metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "v1.x": must be "latest" or "v1.x"',
        'metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "strict": must be one of privileged, baseline, restricted',
        'metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "": must be one of privileged, baseline, restricted',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { policy, errors } = policyToEvaluate(c.labels, c.defaults ?? privilegedLatest);
      assert.equal(policyString(policy), c.expect);
      assert.deepEqual(errors.map(renderFieldError), c.errors ?? []);
    });
  }
});

describe('configuration', () => {
  it('defaults every mode to privileged:latest', () => {
    assert.deepEqual(completeDefaults({ enforce: 'baseline' }), { enforce: 'baseline', enforceVersion: 'latest', audit: 'privileged', auditVersion: 'latest', warn: 'privileged', warnVersion: 'latest' });
  });

  it('refuses invalid defaults and exemptions at start', () => {
    assert.throws(() => defaultPolicyFrom(completeDefaults({ enforce: 'strict' })), { message: 'PodSecurity invalid: defaults.enforce: Invalid value: "strict": must be one of privileged, baseline, restricted' });
    assert.throws(() => defaultPolicyFrom(completeDefaults({}), { usernames: ['a', 'a', ''] }), /exemptions.usernames\[1\]: Duplicate value: "a", exemptions.usernames\[2\]: Invalid value: "": username must not be empty/);
    assert.throws(() => defaultPolicyFrom(completeDefaults({}), { namespaces: ['Kube_System'] }), /exemptions.namespaces\[0\]: Invalid value: "Kube_System": a lowercase RFC 1123 label/);
  });

  it('reads a --pod-security flag', () => {
    assert.deepEqual(podSecurityDefaultsFromFlag('restricted'), completeDefaults({ enforce: 'restricted' }));
    assert.deepEqual(podSecurityDefaultsFromFlag(''), completeDefaults({}));
    assert.deepEqual(podSecurityDefaultsFromFlag('baseline:v1.30'), completeDefaults({ enforce: 'baseline', enforceVersion: 'v1.30' }));
    assert.throws(() => podSecurityDefaultsFromFlag('strict'), /invalid --pod-security level "strict": must be one of privileged, baseline, restricted/);
    assert.throws(() => podSecurityDefaultsFromFlag('baseline:1.30'), /must be "latest" or "v1.x"/);
  });
});
