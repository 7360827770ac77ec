/**
 * The evaluator as upstream's registry: which checks run at a level and
 * version, in what order, with the restricted overrides per version; and
 * upstream's minimal valid pods (test/fixtures.go) passing at their versions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateCheckResults, aggregateForbiddenDetail, aggregateForbiddenReason } from './checks.js';
import { newEvaluator } from './evaluator.js';
import { latestVersion, majorMinorVersion, type Level, type LevelVersion } from './levels.js';
import type { PodSpec } from './pod-spec.js';

const evaluator = newEvaluator();
const at = (level: Level, minor?: number): LevelVersion => ({ level, version: minor === undefined ? latestVersion : majorMinorVersion(1, minor) });
const judge = (lv: LevelVersion, spec: PodSpec, annotations?: Record<string, string>) => aggregateCheckResults(evaluator.evaluatePod(lv, { annotations }, spec));

const bare: PodSpec = { containers: [{ name: 'c', image: 'busybox' }] };

/** Upstream's minimal valid restricted pod at v1.22 and later. */
const restrictedPod: PodSpec = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  initContainers: [{ name: 'initcontainer1', image: 'registry.k8s.io/pause', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  containers: [{ name: 'container1', image: 'registry.k8s.io/pause', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
};

describe('the Pod Security evaluator', () => {
  it('runs nothing at privileged', () => {
    assert.deepEqual(evaluator.evaluatePod(at('privileged'), {}, { hostNetwork: true }), []);
  });

  it('runs eleven baseline checks, and restricted adds its own in place of the ones it overrides', () => {
    assert.equal(evaluator.evaluatePod(at('baseline'), {}, bare).length, 11);
    // 11 baseline - capabilities, hostPath, seccomp (overridden) + 6 restricted
    assert.equal(evaluator.evaluatePod(at('restricted'), {}, bare).length, 14);
    // Before v1.8 only runAsNonRoot and the volume check are restricted's own; nothing overrides capabilities or seccomp yet.
    assert.equal(evaluator.evaluatePod(at('restricted', 0), {}, bare).length, 12);
  });

  it('gives the reasons in upstream order, as kubectl users see them', () => {
    const result = judge(at('restricted'), bare);
    assert.equal(aggregateForbiddenReason(result), 'allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile');
    assert.equal(
      aggregateForbiddenDetail(result),
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    const baseline = judge(at('baseline'), { hostNetwork: true, containers: [{ name: 'c', securityContext: { privileged: true } }] });
    assert.equal(aggregateForbiddenDetail(baseline), 'host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)');
  });

  it('passes upstream minimal valid pods at every version from v1.0 to latest', () => {
    for (let minor = 0; minor <= 35; minor++) {
      assert.equal(judge(at('baseline', minor), { initContainers: [{ name: 'i' }], containers: [{ name: 'c' }] }).allowed, true, `baseline v1.${minor}`);
      assert.equal(judge(at('restricted', minor), restrictedPod).allowed, true, `restricted v1.${minor}`);
    }
    assert.equal(judge(at('restricted'), restrictedPod).allowed, true);
  });

  it('applies each check from its version: capabilities from v1.22, runAsUser from v1.23', () => {
    const noDrop: PodSpec = { ...restrictedPod, containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false } }], initContainers: [] };
    assert.equal(judge(at('restricted', 21), noDrop).allowed, true);
    assert.deepEqual(judge(at('restricted', 22), noDrop).forbiddenReasons, ['unrestricted capabilities']);
    const root: PodSpec = { ...restrictedPod, securityContext: { ...restrictedPod.securityContext, runAsUser: 0 } };
    assert.equal(judge(at('restricted', 22), root).allowed, true);
    assert.deepEqual(judge(at('restricted', 23), root).forbiddenReasons, ['runAsUser=0']);
  });

  it('keeps baseline capabilities and seccomp annotations at restricted until they are overridden', () => {
    const netRaw: PodSpec = { securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_RAW'] } } }] };
    assert.deepEqual(judge(at('restricted', 18), netRaw).forbiddenReasons, ['non-default capabilities']);
    const unconfined = { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' };
    assert.deepEqual(judge(at('restricted', 18), restrictedPod, unconfined).forbiddenReasons, ['seccompProfile']);
    assert.equal(judge(at('restricted', 19), restrictedPod, unconfined).allowed, true);
  });

  it('judges versions past the newest check as the newest (latest is v1.32 today)', () => {
    const sysctl: PodSpec = { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem' }] } };
    assert.equal(judge(at('baseline', 31), sysctl).allowed, false);
    assert.equal(judge(at('baseline', 32), sysctl).allowed, true);
    assert.equal(judge(at('baseline', 40), sysctl).allowed, true);
    assert.equal(judge(at('baseline'), sysctl).allowed, true);
  });

  it('lets Windows pods skip the Linux-only restricted checks from v1.25', () => {
    const windows: PodSpec = { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [{ name: 'c' }] };
    assert.equal(judge(at('restricted', 25), windows).allowed, true);
    assert.deepEqual(judge(at('restricted', 24), windows).forbiddenReasons, ['allowPrivilegeEscalation != false', 'unrestricted capabilities', 'seccompProfile']);
  });

  it('refuses check sets upstream refuses', () => {
    const check = { id: 'x', level: 'baseline' as const, versions: [{ minimumVersion: majorMinorVersion(1, 0), checkPod: () => ({ allowed: true }) }] };
    assert.throws(() => newEvaluator([check, check]), /multiple checks registered for ID x/);
    assert.throws(() => newEvaluator([{ ...check, versions: [] }]), /check x: empty/);
    assert.throws(() => newEvaluator([{ ...check, versions: [{ ...check.versions[0], overrideCheckIDs: ['y'] }] }]), /only restricted checks may set overrides/);
  });
});
