/**
 * Admission with kubectl 1.32: Pod Security (enforce, warn, a namespace made
 * stricter, the cluster-wide level of --pod-security); a validating and a
 * mutating webhook served by the test; LimitRanger defaults and
 * ResourceQuota enforcement; the audit log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, waitFor, type Cluster } from './harness.js';
import { repositoryRoot } from './tools.js';
import { createCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';

describe('Pod Security admission', () => {
  let cluster: Cluster;
  const kubectl = (args: string[], input?: string) => cluster.kubectl(args, { allowFailure: true, input });

  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('restricted refuses a privileged pod in upstream words', async () => {
    await cluster.kubectl(['create', 'namespace', 'locked']);
    await cluster.kubectl(['label', 'namespace', 'locked', 'pod-security.kubernetes.io/enforce=restricted']);
    const refused = await kubectl(['run', 'priv', '--image=busybox', '--privileged', '-n', 'locked']);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr.trim(),
      'Error from server (Forbidden): pods "priv" is forbidden: violates PodSecurity "restricted:latest": privileged (container "priv" must not set securityContext.privileged=true), ' +
        'allowPrivilegeEscalation != false (container "priv" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "priv" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "priv" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "priv" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    // A pod that meets restricted is admitted.
    const compliant = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'fine', namespace: 'locked' },
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{ name: 'app', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      },
    };
    const admitted = await kubectl(['create', '-f', '-'], JSON.stringify(compliant));
    assert.equal(admitted.code, 0, admitted.stderr);
  });

  test('warn admits and tells; making a namespace stricter warns about its pods', async () => {
    await cluster.kubectl(['create', 'namespace', 'loose']);
    await cluster.kubectl(['label', 'namespace', 'loose', 'pod-security.kubernetes.io/warn=baseline']);
    const warned = await kubectl(['run', 'priv', '--image=busybox', '--privileged', '-n', 'loose']);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /^Warning: would violate PodSecurity "baseline:latest": privileged \(container "priv" must not set securityContext.privileged=true\)$/m);
    const stricter = await kubectl(['label', 'namespace', 'loose', 'pod-security.kubernetes.io/enforce=baseline']);
    assert.equal(stricter.code, 0, stricter.stderr);
    assert.match(stricter.stderr, /Warning: existing pods in namespace "loose" violate the new PodSecurity enforce level "baseline:latest"/);
    assert.match(stricter.stderr, /Warning: priv: privileged/);
  });

  test('a bad level label is refused', async () => {
    const bad = await kubectl(['label', 'namespace', 'loose', 'pod-security.kubernetes.io/audit=strictest']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /pod-security\.kubernetes\.io\/audit/);
  });
});

describe('a cluster-wide Pod Security level', () => {
  let cluster: Cluster;
  before(async () => {
    // Exemptions come, as upstream, from the PodSecurity configuration of an AdmissionConfiguration.
    const dir = mkdtempSync(join(tmpdir(), 'skiff-admission-'));
    const config = join(dir, 'admission.yaml');
    writeFileSync(
      config,
      'apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n  - name: PodSecurity\n    configuration:\n' +
        '      apiVersion: pod-security.admission.config.k8s.io/v1\n      kind: PodSecurityConfiguration\n      exemptions: { namespaces: [exempt] }\n',
    );
    cluster = await startCluster({ args: ['--pod-security=baseline', '--admission-control-config-file', config] });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('namespaces without labels get --pod-security', async () => {
    const refused = await cluster.kubectl(['run', 'priv', '--image=busybox', '--privileged'], { allowFailure: true });
    assert.equal(refused.stderr.trim(), 'Error from server (Forbidden): pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "priv" must not set securityContext.privileged=true)');
    // A label still decides for its namespace.
    await cluster.kubectl(['create', 'namespace', 'open']);
    await cluster.kubectl(['label', 'namespace', 'open', 'pod-security.kubernetes.io/enforce=privileged']);
    assert.equal((await cluster.kubectl(['run', 'priv', '--image=busybox', '--privileged', '-n', 'open'], { allowFailure: true })).code, 0);
    // An exempt namespace is not checked at all.
    await cluster.kubectl(['create', 'namespace', 'exempt']);
    const exempt = await cluster.kubectl(['run', 'priv', '--image=busybox', '--privileged', '-n', 'exempt'], { allowFailure: true });
    assert.equal(exempt.code, 0, exempt.stderr);
  });
});

/** An HTTPS admission webhook on loopback: denies ConfigMaps labelled deny=yes, labels the rest mutated=yes. */
async function startWebhookServer(): Promise<{ port: number; caBundle: string; reviews: unknown[]; close(): void }> {
  const ca = await createCertificateAuthority('webhook-ca', 1);
  const serving = await issueCertificate(ca, { commonName: 'webhook', subjectAltNames: ['127.0.0.1', 'localhost'], usage: 'server', days: 1 });
  const reviews: unknown[] = [];
  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const review = JSON.parse(body) as { request: { uid: string; object: { metadata: { labels?: Record<string, string> } } } };
      reviews.push(review);
      const labels = review.request.object?.metadata?.labels ?? {};
      // The apiserver adds ?timeout=10s to the configured path.
      const path = new URL(req.url ?? '/', 'https://webhook').pathname;
      const response: Record<string, unknown> = { uid: review.request.uid, allowed: true };
      // No reason, as a hand-written webhook answers: kubectl then says "Error from server" without one.
      if (path === '/validate' && labels.deny === 'yes') Object.assign(response, { allowed: false, status: { code: 403, message: 'labelled deny=yes' } });
      if (path === '/validate' && labels.warn === 'yes') response.warnings = ['this ConfigMap asked for a warning'];
      if (path === '/mutate') {
        const patch = labels && Object.keys(labels).length > 0 ? [{ op: 'add', path: '/metadata/labels/mutated', value: 'yes' }] : [{ op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } }];
        Object.assign(response, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, caBundle: Buffer.from(ca.certPem).toString('base64'), reviews, close: () => server.close() };
}

describe('admission webhooks, LimitRanger, ResourceQuota and the audit log', () => {
  let cluster: Cluster;
  let webhook: Awaited<ReturnType<typeof startWebhookServer>>;
  const kubectl = (args: string[], input?: string) => cluster.kubectl(args, { allowFailure: true, input });

  before(async () => {
    [cluster, webhook] = await Promise.all([startCluster(), startWebhookServer()]);
  });
  after(async () => {
    webhook?.close();
    await cluster?.stop();
  });

  test('a validating and a mutating webhook see ConfigMaps of the namespace they select', async () => {
    await cluster.kubectl(['create', 'namespace', 'hooked']);
    await cluster.kubectl(['label', 'namespace', 'hooked', 'webhooks=on']);
    const rules = [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }];
    const hook = (path: string, name: string) => ({
      name,
      clientConfig: { url: `https://127.0.0.1:${webhook.port}${path}`, caBundle: webhook.caBundle },
      rules,
      namespaceSelector: { matchLabels: { webhooks: 'on' } },
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
    });
    const configurations = [
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'deny-labelled' }, webhooks: [hook('/validate', 'deny.example.com')] },
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'label-all' }, webhooks: [{ ...hook('/mutate', 'label.example.com'), reinvocationPolicy: 'Never' }] },
    ];
    for (const configuration of configurations) await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(configuration) });
    // kubectl create cannot set labels: a manifest does.
    const labelled = (name: string, labels: Record<string, string>) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'hooked', labels } });
    // Configurations take effect once the apiserver's caches have them (as upstream, eventually): a dry-run marker tells when.
    await waitFor(async () => (await kubectl(['create', '--dry-run=server', '-f', '-'], labelled('marker', { deny: 'yes' }))).code === 1, { message: 'the webhook configuration in effect' });
    const refused = await kubectl(['create', '-f', '-'], labelled('refused', { deny: 'yes' }));
    assert.equal(refused.stderr.trim(), 'Error from server: error when creating "STDIN": admission webhook "deny.example.com" denied the request: labelled deny=yes');
    const warned = await kubectl(['create', '-f', '-'], labelled('warned', { warn: 'yes' }));
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /^Warning: this ConfigMap asked for a warning$/m);
    const mutated = JSON.parse((await cluster.kubectl(['get', 'configmap', 'warned', '-n', 'hooked', '-o', 'json'])).stdout);
    assert.equal(mutated.metadata.labels.mutated, 'yes');
    // Outside the selected namespace the webhooks are not called.
    const before = webhook.reviews.length;
    assert.equal((await kubectl(['create', '-f', '-'], labelled('elsewhere', { deny: 'yes' }).replace('"hooked"', '"default"'))).code, 0);
    assert.equal(webhook.reviews.length, before);
  });

  test('a ValidatingAdmissionPolicy admits images only from a trusted registry', async () => {
    const policy = readFileSync(join(repositoryRoot(), 'examples', 'policies', 'trusted-registry.yaml'), 'utf8');
    await cluster.kubectl(['apply', '-f', '-'], { input: policy });
    // Policies take effect once the apiserver's caches have them: a dry-run tells when.
    await waitFor(async () => (await kubectl(['run', 'probe', '--image=nginx', '--dry-run=server'])).code === 1, { message: 'the policy in effect' });
    const refused = await kubectl(['run', 'web', '--image=nginx']);
    assert.equal(refused.stderr.trim(), "Error from server (Forbidden): pods \"web\" is forbidden: ValidatingAdmissionPolicy 'trusted-registry' with binding 'trusted-registry' denied request: images must come from registry.example.com, not nginx");
    const deployment = await kubectl(['create', 'deployment', 'web', '--image=nginx']);
    assert.match(deployment.stderr, /ValidatingAdmissionPolicy 'trusted-registry' with binding 'trusted-registry' denied request: images must come from registry.example.com, not nginx/);
    const admitted = await kubectl(['run', 'app', '--image=registry.example.com/app:1']);
    assert.equal(admitted.code, 0, admitted.stderr);
    await cluster.kubectl(['delete', '-f', '-'], { input: policy });
    // A typo in an expression is reported in the policy's status (the policy still applies as written).
    const typo = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'typo' }, spec: { matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] }, validations: [{ expression: 'object.spec.replicaz <= 5' }] } };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(typo) });
    const warnings = await waitFor(async () => JSON.parse((await cluster.kubectl(['get', 'validatingadmissionpolicy', 'typo', '-o', 'json'])).stdout).status?.typeChecking?.expressionWarnings, { message: 'the type-checking warnings' });
    assert.equal(warnings[0].fieldRef, 'spec.validations[0].expression');
  });

  test('LimitRanger fills in defaults; ResourceQuota refuses what exceeds it', async () => {
    await cluster.kubectl(['create', 'namespace', 'quota']);
    const limits = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'defaults', namespace: 'quota' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '250m', memory: '64Mi' } }] } };
    const quota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: 'quota' }, spec: { hard: { 'requests.cpu': '400m', pods: '5' } } };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [limits, quota] }) });
    // The quota controller fills status.used; until then admission refuses, as upstream.
    await waitFor(async () => JSON.parse((await cluster.kubectl(['get', 'resourcequota', 'compute', '-n', 'quota', '-o', 'json'])).stdout).status?.used, { message: 'the quota usage' });
    await cluster.kubectl(['run', 'first', '--image=busybox', '-n', 'quota']);
    const pod = JSON.parse((await cluster.kubectl(['get', 'pod', 'first', '-n', 'quota', '-o', 'json'])).stdout);
    assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } });
    assert.match(pod.metadata.annotations['kubernetes.io/limit-ranger'], /LimitRanger plugin set: cpu, memory request for container first; cpu, memory limit for container first/);
    const second = await kubectl(['run', 'second', '--image=busybox', '-n', 'quota']);
    assert.equal(second.code, 1);
    assert.equal(second.stderr.trim(), 'Error from server (Forbidden): pods "second" is forbidden: exceeded quota: compute, requested: requests.cpu=250m, used: requests.cpu=250m, limited: requests.cpu=400m');
  });

  test('the audit log records a create with its user and verb', async () => {
    await cluster.kubectl(['create', 'configmap', 'audited', '--from-literal=a=b']);
    const path = join(cluster.dataDir, 'audit.log');
    const event = await waitFor(
      () => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((e) => e.verb === 'create' && e.objectRef?.name === 'audited' && e.stage === 'ResponseComplete'),
      { message: 'the audit event of the create' },
    );
    assert.equal(event.apiVersion, 'audit.k8s.io/v1');
    assert.equal(event.level, 'Metadata');
    assert.equal(event.user.username, 'skiff-admin');
    assert.deepEqual(event.objectRef, { resource: 'configmaps', namespace: 'default', name: 'audited', apiVersion: 'v1' });
    assert.equal(event.responseStatus.code, 201);
    assert.equal(event.annotations['authorization.k8s.io/decision'], 'allow');
    assert.equal(event.requestObject, undefined, 'Metadata level records no bodies');
  });
});
