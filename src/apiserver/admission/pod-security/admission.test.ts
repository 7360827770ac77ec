/**
 * The PodSecurity plugin, after upstream's admission_test.go: what it
 * refuses, warns and annotates for pods, pod templates and namespaces, its
 * exemptions, and the bounded check of existing pods when a namespace's
 * enforce level gets stricter.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceType } from '../../../api/resource.js';
import type { KubeObject } from '../../../machinery/object.js';
import { StatusError } from '../../../machinery/status.js';
import type { AdmissionAttributes, Operation } from '../chain.js';
import { podSecurity, type PodSecurityOptions } from './admission.js';
import { podSecurityDefaultsFromFlag } from './configuration.js';
import { newEvaluator, type Evaluator } from './evaluator.js';
import { evaluatePodsInNamespace } from './namespace-pods.js';
import { latestVersion } from './levels.js';

const type = (group: string, resource: string, kind: string, namespaced = true) => ({ group, resource, kind, namespaced, version: 'v1' }) as unknown as ResourceType;
const podsType = type('', 'pods', 'Pod');
const namespacesType = type('', 'namespaces', 'Namespace', false);
const deploymentsType = type('apps', 'deployments', 'Deployment');
const cronJobsType = type('batch', 'cronjobs', 'CronJob');
const replicationControllersType = type('', 'replicationcontrollers', 'ReplicationController');

const namespaceObject = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const namespaces: Record<string, KubeObject> = {
  open: namespaceObject('open'),
  baseline: namespaceObject('baseline', { 'pod-security.kubernetes.io/enforce': 'baseline' }),
  restricted: namespaceObject('restricted', { 'pod-security.kubernetes.io/enforce': 'restricted' }),
  warnonly: namespaceObject('warnonly', { 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/audit': 'baseline' }),
  audited: namespaceObject('audited', { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/audit': 'restricted', 'pod-security.kubernetes.io/audit-version': 'v1.24' }),
  broken: namespaceObject('broken', { 'pod-security.kubernetes.io/enforce': 'strict' }),
  system: namespaceObject('system', { 'pod-security.kubernetes.io/enforce': 'restricted' }),
};

function plugin(overrides: Partial<PodSecurityOptions> = {}) {
  return podSecurity({
    getNamespace: async (name) => namespaces[name],
    listPods: async () => [],
    exemptions: { usernames: ['admin'], namespaces: ['system'], runtimeClasses: ['kata'] },
    ...overrides,
  });
}

interface Seen {
  warnings: string[];
  annotations: Record<string, string>;
  error?: StatusError;
}

async function admit(p: ReturnType<typeof plugin>, attributes: Partial<AdmissionAttributes> & { operation: Operation; type: ResourceType }): Promise<Seen> {
  const seen: Seen = { warnings: [], annotations: {} };
  const a: AdmissionAttributes = {
    user: { username: 'alice', groups: ['system:authenticated'] },
    dryRun: false,
    name: attributes.object?.metadata.name,
    ...attributes,
    warn: (text) => seen.warnings.push(text),
    annotate: (key, value) => (seen.annotations[key] = value),
  };
  try {
    await p.validate!(a);
  } catch (err) {
    if (!(err instanceof StatusError)) throw err;
    seen.error = err;
  }
  return seen;
}

const pod = (namespace: string, spec: Record<string, unknown> = {}, name = 'x'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});
const createPod = (p: ReturnType<typeof plugin>, namespace: string, spec?: Record<string, unknown>, extra: Partial<AdmissionAttributes> = {}) =>
  admit(p, { operation: 'CREATE', type: podsType, namespace, object: pod(namespace, spec), ...extra });

const restrictedDetail =
  'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
  'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

const restrictedSpec = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'c', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
};

describe('PodSecurity: pods', () => {
  it('refuses a pod that violates the enforce level with upstream message, 403 Forbidden', async () => {
    const seen = await createPod(plugin(), 'restricted');
    assert.equal(seen.error?.code, 403);
    assert.equal(seen.error?.reason, 'Forbidden');
    assert.equal(seen.error?.message, `pods "x" is forbidden: violates PodSecurity "restricted:latest": ${restrictedDetail}`);
    assert.deepEqual(seen.error?.status.details, { name: 'x', group: undefined, kind: 'pods' });
    assert.deepEqual(seen.warnings, [], 'no warnings on a refused request');
    assert.deepEqual(seen.annotations, { 'pod-security.kubernetes.io/enforce-policy': 'restricted:latest' });
  });

  it('admits a pod that meets the level and records the enforced policy', async () => {
    const seen = await createPod(plugin(), 'restricted', restrictedSpec);
    assert.equal(seen.error, undefined);
    assert.deepEqual(seen.warnings, []);
    assert.deepEqual(seen.annotations, { 'pod-security.kubernetes.io/enforce-policy': 'restricted:latest' });
  });

  it('warns and audits without refusing', async () => {
    const seen = await createPod(plugin(), 'warnonly', { hostNetwork: true });
    assert.equal(seen.error, undefined);
    assert.deepEqual(seen.warnings, [`would violate PodSecurity "restricted:latest": host namespaces (hostNetwork=true), ${restrictedDetail}`]);
    assert.deepEqual(seen.annotations, {
      'pod-security.kubernetes.io/enforce-policy': 'privileged:latest',
      'pod-security.kubernetes.io/audit-violations': 'would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)',
    });
  });

  it('audits at its own version while a refusal carries the audit annotation too', async () => {
    const seen = await createPod(plugin(), 'audited', { hostPID: true });
    assert.equal(seen.error?.message, 'pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)');
    assert.match(seen.annotations['pod-security.kubernetes.io/audit-violations'], /^would violate PodSecurity "restricted:v1.24": host namespaces \(hostPID=true\), allowPrivilegeEscalation != false/);
  });

  it('says only the privileged policy for a fully privileged namespace', async () => {
    const seen = await createPod(plugin(), 'open', { hostNetwork: true, containers: [{ name: 'c', securityContext: { privileged: true } }] });
    assert.deepEqual(seen, { warnings: [], annotations: { 'pod-security.kubernetes.io/enforce-policy': 'privileged:latest' } });
  });

  it('enforces restricted for invalid labels and notes the parse error', async () => {
    const seen = await createPod(plugin(), 'broken');
    assert.equal(seen.error?.message, `pods "x" is forbidden: violates PodSecurity "restricted:latest": ${restrictedDetail}`);
    assert.equal(
      seen.annotations['pod-security.kubernetes.io/error'],
      'Failed to parse policy: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
    );
  });

  it('exempts usernames, namespaces and runtime classes (none by default)', async () => {
    assert.deepEqual(await createPod(plugin(), 'restricted', {}, { user: { username: 'admin', groups: [] } }), { warnings: [], annotations: { 'pod-security.kubernetes.io/exempt': 'user' } });
    assert.deepEqual(await createPod(plugin(), 'system'), { warnings: [], annotations: { 'pod-security.kubernetes.io/exempt': 'namespace' } });
    assert.deepEqual(await createPod(plugin(), 'restricted', { runtimeClassName: 'kata' }), { warnings: [], annotations: { 'pod-security.kubernetes.io/exempt': 'runtimeClass' } });
    const noExemptions = plugin({ exemptions: undefined, getNamespace: async (name) => (name === 'kube-system' ? namespaceObject('kube-system', { 'pod-security.kubernetes.io/enforce': 'baseline' }) : undefined) });
    assert.equal((await createPod(noExemptions, 'kube-system', { hostNetwork: true })).error?.code, 403);
  });

  it('takes the cluster default from --pod-security for unlabelled namespaces', async () => {
    const seen = await createPod(plugin({ defaults: podSecurityDefaultsFromFlag('baseline') }), 'open', { hostIPC: true });
    assert.equal(seen.error?.message, 'pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostIPC=true)');
  });

  it('judges only updates that change images or add ephemeral containers', async () => {
    const p = plugin();
    const old = pod('restricted');
    const relabelled = { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } };
    assert.deepEqual(await admit(p, { operation: 'UPDATE', type: podsType, namespace: 'restricted', object: relabelled, oldObject: old }), { warnings: [], annotations: {} });
    const newImage = pod('restricted', { containers: [{ name: 'c', image: 'nginx' }] });
    assert.equal((await admit(p, { operation: 'UPDATE', type: podsType, namespace: 'restricted', object: newImage, oldObject: old })).error?.code, 403);
  });

  it('judges pods/ephemeralcontainers, and ignores pods/status and other read-only subresources', async () => {
    const p = plugin();
    const old = pod('baseline');
    const debugged = pod('baseline', { ephemeralContainers: [{ name: 'debug', image: 'busybox', securityContext: { privileged: true } }] });
    const seen = await admit(p, { operation: 'UPDATE', type: podsType, subresource: 'ephemeralcontainers', namespace: 'baseline', object: debugged, oldObject: old });
    assert.equal(seen.error?.message, 'pods "x" is forbidden: violates PodSecurity "baseline:latest": privileged (container "debug" must not set securityContext.privileged=true)');
    const status = await admit(p, { operation: 'UPDATE', type: podsType, subresource: 'status', namespace: 'baseline', object: debugged, oldObject: old });
    assert.deepEqual(status, { warnings: [], annotations: {} });
  });

  it('fails a pod whose namespace cannot be read with 500, as upstream', async () => {
    const seen = await createPod(plugin(), 'missing');
    assert.equal(seen.error?.code, 500);
    assert.equal(seen.error?.message, 'Internal error occurred: failed to lookup namespace "missing"');
    assert.equal(seen.annotations['pod-security.kubernetes.io/error'], 'Internal error occurred: failed to lookup namespace "missing": namespaces "missing" not found');
  });

  it('ignores deletes and connects', async () => {
    assert.deepEqual(await admit(plugin(), { operation: 'DELETE', type: podsType, namespace: 'restricted', oldObject: pod('restricted') }), { warnings: [], annotations: {} });
  });
});

describe('PodSecurity: workload resources', () => {
  const deployment = (namespace: string, template: unknown): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace }, spec: { template } });

  it('warns and audits a pod template but never refuses it', async () => {
    const seen = await admit(plugin(), { operation: 'CREATE', type: deploymentsType, namespace: 'restricted', object: deployment('restricted', { spec: { containers: [{ name: 'c' }] } }) });
    assert.equal(seen.error, undefined);
    assert.deepEqual(seen.warnings, [`would violate PodSecurity "restricted:latest": ${restrictedDetail}`]);
    assert.deepEqual(seen.annotations, {}, 'audit stays privileged; no enforce-policy for templates');
    const audited = await admit(plugin(), { operation: 'UPDATE', type: deploymentsType, namespace: 'warnonly', object: deployment('warnonly', { spec: { hostNetwork: true, containers: [] } }), oldObject: deployment('warnonly', {}) });
    assert.equal(audited.annotations['pod-security.kubernetes.io/audit-violations'], 'would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)');
  });

  it('finds the template of a CronJob; skips a ReplicationController without one and subresources', async () => {
    const cronJob: KubeObject = { metadata: { name: 'nightly', namespace: 'baseline' }, spec: { jobTemplate: { spec: { template: { spec: { hostPID: true, containers: [{ name: 'c' }] } } } } } };
    const seen = await admit(plugin(), { operation: 'CREATE', type: cronJobsType, namespace: 'baseline', object: cronJob });
    assert.deepEqual(seen.warnings, ['would violate PodSecurity "baseline:latest": host namespaces (hostPID=true)']);
    const rc: KubeObject = { metadata: { name: 'rc', namespace: 'baseline' }, spec: { replicas: 1 } };
    assert.deepEqual(await admit(plugin(), { operation: 'CREATE', type: replicationControllersType, namespace: 'baseline', object: rc }), { warnings: [], annotations: {} });
    const scale = await admit(plugin(), { operation: 'UPDATE', type: deploymentsType, subresource: 'scale', namespace: 'baseline', object: deployment('baseline', { spec: { hostPID: true } }) });
    assert.deepEqual(scale, { warnings: [], annotations: {} });
  });

  it('notes a failed namespace lookup without refusing', async () => {
    const seen = await admit(plugin(), { operation: 'CREATE', type: deploymentsType, namespace: 'missing', object: deployment('missing', {}) });
    assert.deepEqual(seen, { warnings: [], annotations: { 'pod-security.kubernetes.io/error': 'failed to lookup namespace "missing": namespaces "missing" not found' } });
  });
});

/** Upstream's testEvaluator: a pod fails with the reason in its "error" annotation. */
const annotationEvaluator: Evaluator = {
  evaluatePod: (_lv, metadata) => (metadata.annotations?.error ? [{ allowed: false, forbiddenReason: metadata.annotations.error }] : [{ allowed: true }]),
};
const annotatedPod = (name: string, error: string, extra: Partial<KubeObject['metadata']> = {}, spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, annotations: { error }, ...extra },
  spec,
});
const upstreamPods = () => [
  annotatedPod('noruntimeclasspod', 'message'),
  annotatedPod('runtimeclass1pod', 'message', {}, { runtimeClassName: 'runtimeclass1' }),
  annotatedPod('runtimeclass2pod', 'message', {}, { runtimeClassName: 'runtimeclass2' }),
  { metadata: { name: 'runtimeclass3pod', annotations: { error: 'message, message2' } }, spec: { runtimeClassName: 'runtimeclass3' } },
];

describe('PodSecurity: namespaces', () => {
  const namespaceAdmit = (p: ReturnType<typeof plugin>, newLabels: Record<string, string>, oldLabels?: Record<string, string>) =>
    admit(p, {
      operation: oldLabels ? 'UPDATE' : 'CREATE',
      type: namespacesType,
      name: 'test',
      object: namespaceObject('test', newLabels),
      oldObject: oldLabels ? namespaceObject('test', oldLabels) : undefined,
    });

  it('refuses invalid labels on create with upstream 422', async () => {
    const seen = await namespaceAdmit(plugin(), { 'pod-security.kubernetes.io/enforce': 'unknown' });
    assert.equal(seen.error?.code, 422);
    assert.equal(seen.error?.reason, 'Invalid');
    assert.equal(seen.error?.message, 'Namespace "test" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "unknown": must be one of privileged, baseline, restricted');
    assert.deepEqual(seen.error?.status.details?.causes, [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "unknown": must be one of privileged, baseline, restricted', field: 'metadata.labels[pod-security.kubernetes.io/enforce]' },
    ]);
    const version = await namespaceAdmit(plugin(), { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/enforce-version': 'unknown' });
    assert.match(version.error?.message ?? '', /must be "latest" or "v1.x"/);
  });

  it('lets an update keep labels that were already invalid the same way, but not introduce them', async () => {
    const p = plugin();
    assert.equal((await namespaceAdmit(p, { 'pod-security.kubernetes.io/enforce': 'unknown' }, { 'pod-security.kubernetes.io/enforce': 'unknown' })).error, undefined);
    assert.equal((await namespaceAdmit(p, { 'pod-security.kubernetes.io/enforce': 'unknown' }, { 'pod-security.kubernetes.io/enforce': 'restricted' })).error?.code, 422);
    assert.equal((await namespaceAdmit(p, { 'pod-security.kubernetes.io/enforce': 'unknown' }, { 'pod-security.kubernetes.io/enforce': 'other' })).error?.code, 422);
  });

  it('warns about labels on an exempt namespace', async () => {
    const p = plugin({ exemptions: { namespaces: ['test'] } });
    assert.deepEqual((await namespaceAdmit(p, { 'pod-security.kubernetes.io/enforce': 'restricted' })).warnings, [
      'namespace "test" is exempt from Pod Security, and the policy (enforce=restricted:latest) will be ignored',
    ]);
    const update = await namespaceAdmit(
      p,
      { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.0', 'pod-security.kubernetes.io/audit': 'restricted', 'pod-security.kubernetes.io/warn': 'baseline' },
      {},
    );
    assert.deepEqual(update.warnings, ['namespace "test" is exempt from Pod Security, and the policy (enforce=restricted:v1.0, audit=restricted:latest, warn=baseline:latest) will be ignored']);
  });

  it('does not list pods unless the enforce level gets stricter', async () => {
    let listed = 0;
    const p = plugin({ listPods: async () => (listed++, []) });
    const none: Record<string, string>[][] = [
      [{ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.0' }, { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.0' }],
      [{ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.0' }, { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.0' }],
      [{ 'pod-security.kubernetes.io/enforce': 'baseline' }, { 'pod-security.kubernetes.io/enforce': 'restricted' }],
      [{ 'pod-security.kubernetes.io/enforce': 'privileged' }, { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.0' }],
      [{}, { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.0' }],
    ];
    for (const [next, old] of none) assert.deepEqual(await namespaceAdmit(p, next, old), { warnings: [], annotations: {} });
    assert.equal(listed, 0);
    await namespaceAdmit(p, { 'pod-security.kubernetes.io/enforce': 'restricted' }, { 'pod-security.kubernetes.io/enforce': 'baseline' });
    assert.equal(listed, 1);
  });

  it('warns about existing pods that violate a stricter enforce level (real checks)', async () => {
    const existing = [pod('test', { hostNetwork: true }, 'web-1'), pod('test', { hostNetwork: true }, 'web-0'), pod('test', restrictedSpec, 'ok'), pod('test', {}, 'plain')];
    const p = plugin({ listPods: async (namespace) => (namespace === 'test' ? existing : []) });
    const seen = await namespaceAdmit(p, { 'pod-security.kubernetes.io/enforce': 'restricted' }, { 'pod-security.kubernetes.io/enforce': 'baseline' });
    assert.equal(seen.error, undefined);
    assert.deepEqual(seen.warnings, [
      'existing pods in namespace "test" violate the new PodSecurity enforce level "restricted:latest"',
      'plain: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
      'web-0 (and 1 other pod): host namespaces, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
    ]);
  });

  it('groups pods by warning and skips exempt runtime classes (upstream cases)', async () => {
    const p = plugin({ evaluator: annotationEvaluator, exemptions: {}, defaults: { enforce: 'restricted' }, listPods: async () => upstreamPods() });
    assert.deepEqual((await namespaceAdmit(p, {}, { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.0' })).warnings, [
      'existing pods in namespace "test" violate the new PodSecurity enforce level "restricted:latest"',
      'noruntimeclasspod (and 2 other pods): message',
      'runtimeclass3pod: message, message2',
    ]);
    const exempting = plugin({ evaluator: annotationEvaluator, exemptions: { runtimeClasses: ['runtimeclass1'] }, listPods: async () => upstreamPods() });
    assert.deepEqual((await namespaceAdmit(exempting, { 'pod-security.kubernetes.io/enforce': 'restricted' }, { 'pod-security.kubernetes.io/enforce': 'baseline' })).warnings, [
      'existing pods in namespace "test" violate the new PodSecurity enforce level "restricted:latest"',
      'noruntimeclasspod (and 1 other pod): message',
      'runtimeclass3pod: message, message2',
    ]);
  });

  it('checks at most the pod limit, one pod per controller first (upstream "prioritized pods")', async () => {
    const owned = (name: string, error: string, uid: string) => annotatedPod(name, error, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, controller: true }] });
    const pods = [
      ...[1, 2, 3, 4].map((i) => annotatedPod(`exemptpod${i}`, 'message1', {}, { runtimeClassName: 'runtimeclass1' })),
      ...[1, 2, 3, 4].map((i) => owned(`replicaset1pod${i}`, 'replicaset1error', '1')),
      ...[1, 2, 3, 4].map((i) => owned(`replicaset2pod${i}`, 'replicaset2error', '2')),
      ...[1, 2, 3, 4].map((i) => annotatedPod(`uniquepod${i}`, `uniquemessage${i}`)),
    ];
    const p = plugin({ evaluator: annotationEvaluator, exemptions: { runtimeClasses: ['runtimeclass1'] }, listPods: async () => pods, namespacePodCheckLimits: { maxPods: 4, timeoutMs: 1000 } });
    assert.deepEqual((await namespaceAdmit(p, { 'pod-security.kubernetes.io/enforce': 'restricted' }, { 'pod-security.kubernetes.io/enforce': 'baseline' })).warnings, [
      'new PodSecurity enforce level only checked against the first 4 of 12 existing pods',
      'existing pods in namespace "test" violate the new PodSecurity enforce level "restricted:latest"',
      'replicaset1pod1: replicaset1error',
      'replicaset2pod1: replicaset2error',
      'uniquepod1: uniquemessage1',
      'uniquepod2: uniquemessage2',
    ]);
  });

  it('gives up on a slow pod list within the time limit', async () => {
    const p = plugin({ listPods: () => new Promise(() => {}), namespacePodCheckLimits: { maxPods: 3000, timeoutMs: 20 } });
    const seen = await namespaceAdmit(p, { 'pod-security.kubernetes.io/enforce': 'restricted' }, { 'pod-security.kubernetes.io/enforce': 'baseline' });
    assert.deepEqual(seen.warnings, ['failed to list pods while checking new PodSecurity enforce level']);
    const failing = plugin({ listPods: async () => Promise.reject(new Error('boom')) });
    assert.deepEqual((await namespaceAdmit(failing, { 'pod-security.kubernetes.io/enforce': 'restricted' }, {})).warnings, ['failed to list pods while checking new PodSecurity enforce level']);
  });

  it('stops judging pods when the time is up (upstream "timeout on evaluate")', async () => {
    let clock = 0;
    const slowEvaluator: Evaluator = { evaluatePod: (lv, metadata, spec) => ((clock += 550), annotationEvaluator.evaluatePod(lv, metadata, spec)) };
    const warnings = await evaluatePodsInNamespace({
      namespace: 'test',
      enforce: { level: 'restricted', version: latestVersion },
      listPods: async () => upstreamPods(),
      evaluator: slowEvaluator,
      exemptRuntimeClass: () => false,
      now: () => clock,
    });
    assert.deepEqual(warnings, [
      'new PodSecurity enforce level only checked against the first 2 of 4 existing pods',
      'existing pods in namespace "test" violate the new PodSecurity enforce level "restricted:latest"',
      'noruntimeclasspod (and 1 other pod): message',
    ]);
  });

  it('ignores namespace subresources', async () => {
    const seen = await admit(plugin(), { operation: 'UPDATE', type: namespacesType, subresource: 'finalize', name: 'test', object: namespaceObject('test', { 'pod-security.kubernetes.io/enforce': 'bogus' }), oldObject: namespaceObject('test') });
    assert.deepEqual(seen, { warnings: [], annotations: {} });
  });
});

describe('PodSecurity: construction', () => {
  it('is the validating PodSecurity plugin and refuses an invalid configuration at start', () => {
    const p = plugin();
    assert.equal(p.name, 'PodSecurity');
    assert.equal(p.admit, undefined);
    assert.throws(() => plugin({ defaults: { warn: 'loud' } }), /PodSecurity invalid: defaults.warn: Invalid value: "loud"/);
    assert.ok(newEvaluator());
  });
});
