/**
 * The two plugins against a real HTTPS webhook server on loopback, its
 * certificate issued by a CA made for the test (the webhooks' caBundle).
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Webhook, WebhookConfiguration } from '../../../api/admissionregistration/index.js';
import { mutatingwebhookconfigurations } from '../../../api/admissionregistration/index.js';
import { horizontalpodautoscalersV1, horizontalpodautoscalersV2 } from '../../../api/autoscaling/index.js';
import { namespaces } from '../../../api/core/namespace.js';
import { pods } from '../../../api/core/pod.js';
import type { ResourceType } from '../../../api/resource.js';
import type { KubeObject } from '../../../machinery/object.js';
import { StatusError } from '../../../machinery/status.js';
import { createCertificateAuthority, issueCertificate } from '../../pki/certificates.js';
import type { AdmissionAttributes } from '../chain.js';
import { admissionWebhooks, type AdmissionWebhookDependencies } from './index.js';

// --- the webhook server -------------------------------------------------------

type Review = { apiVersion: string; kind: string; request: Record<string, any> };
type Answer = Record<string, unknown> | { status: number; body: string; contentType?: string } | 'hang';
type Handler = (review: Review) => Answer | Promise<Answer>;

let server: Server;
let port: number;
let caBundle: string;
const handlers = new Map<string, Handler>();
const received: { path: string; query: string; review: Review }[] = [];

function allow(review: Review, response: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, ...response } };
}

function deny(review: Review, result: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: false, status: result } };
}

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

function patch(review: Review, operations: unknown[]): Record<string, unknown> {
  return allow(review, { patchType: 'JSONPatch', patch: base64(operations) });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

before(async () => {
  const ca = await createCertificateAuthority('admission webhook test CA', 1);
  const certificate = await issueCertificate(ca, { commonName: 'webhook', subjectAltNames: ['127.0.0.1', 'hook.webhooks.svc'], usage: 'server', days: 1 });
  caBundle = Buffer.from(ca.certPem).toString('base64');
  server = createHttpsServer({ cert: certificate.certPem, key: certificate.keyPem }, async (req, res) => {
    const url = new URL(req.url ?? '/', 'https://webhook');
    const review = JSON.parse(await readBody(req)) as Review;
    received.push({ path: url.pathname, query: url.search, review });
    const handler = handlers.get(url.pathname);
    const answer = handler ? await handler(review) : allow(review);
    if (answer === 'hang') return;
    if ('status' in answer && typeof answer.status === 'number' && typeof answer.body === 'string') {
      res.writeHead(answer.status, { 'Content-Type': (answer.contentType as string) ?? 'text/plain' });
      res.end(answer.body);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  handlers.clear();
  received.length = 0;
});

// --- configurations and requests ---------------------------------------------

function hook(name: string, path: string, extra: Partial<Webhook> = {}): Webhook {
  return {
    name,
    clientConfig: { url: `https://127.0.0.1:${port}${path}`, caBundle },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    namespaceSelector: {},
    objectSelector: {},
    sideEffects: 'None',
    timeoutSeconds: 5,
    admissionReviewVersions: ['v1'],
    ...extra,
  };
}

function configuration(name: string, ...webhooks: Webhook[]): WebhookConfiguration {
  return { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name }, webhooks };
}

interface Setup {
  mutating?: WebhookConfiguration[];
  validating?: WebhookConfiguration[];
  namespaces?: Record<string, Record<string, string>>;
  resolveService?: AdmissionWebhookDependencies['resolveService'];
  types?: ResourceType[];
}

function plugins(setup: Setup) {
  const webhooks = admissionWebhooks({
    mutatingConfigurations: () => setup.mutating ?? [],
    validatingConfigurations: () => setup.validating ?? [],
    getNamespace: async (name) => {
      const labels = setup.namespaces?.[name];
      return labels ? { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } : undefined;
    },
    resolveService: setup.resolveService ?? (async () => undefined),
    resourceTypes: setup.types ? () => setup.types! : undefined,
  });
  after(() => webhooks.close());
  return webhooks;
}

type Recorded = AdmissionAttributes & { warnings: string[]; annotations: Map<string, string> };

function podAttributes(extra: Partial<AdmissionAttributes> = {}): Recorded {
  const warnings: string[] = [];
  const annotations = new Map<string, string>();
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
  };
  return {
    operation: 'CREATE',
    type: pods,
    namespace: 'ns',
    name: 'web',
    object: pod,
    user: { username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['a'] } },
    dryRun: false,
    warn: (text) => warnings.push(text),
    annotate: (key, value) => annotations.set(key, value),
    warnings,
    annotations,
    ...extra,
  };
}

async function refusal(promise: Promise<unknown> | unknown): Promise<StatusError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StatusError, `expected a StatusError, got ${err}`);
    return err;
  }
  assert.fail('the request was not refused');
}

async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const free = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

// --- tests -----------------------------------------------------------------------

describe('ValidatingAdmissionWebhook', () => {
  it('sends an AdmissionReview v1 with the request, the user and the options', async () => {
    const { validating } = plugins({ validating: [configuration('c', hook('check.example.com', '/allow'))] });
    await validating.validate!(podAttributes());
    assert.equal(received.length, 1);
    const { review, query } = received[0];
    assert.equal(query, '?timeout=5s');
    assert.equal(review.apiVersion, 'admission.k8s.io/v1');
    assert.equal(review.kind, 'AdmissionReview');
    const r = review.request;
    assert.match(r.uid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(r.kind, { group: '', version: 'v1', kind: 'Pod' });
    assert.deepEqual(r.resource, { group: '', version: 'v1', resource: 'pods' });
    assert.deepEqual(r.requestKind, { group: '', version: 'v1', kind: 'Pod' });
    assert.deepEqual(r.requestResource, { group: '', version: 'v1', resource: 'pods' });
    assert.equal(r.subResource, undefined);
    assert.equal(r.name, 'web');
    assert.equal(r.namespace, 'ns');
    assert.equal(r.operation, 'CREATE');
    assert.deepEqual(r.userInfo, { username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['a'] } });
    assert.equal(r.object.metadata.name, 'web');
    assert.equal(r.oldObject, null);
    assert.equal(r.dryRun, false);
    assert.deepEqual(r.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' });
  });

  it('sends v1beta1 to a webhook that lists only v1beta1, and reads its answer without a uid check', async () => {
    handlers.set('/beta', () => ({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', response: { allowed: false, status: { message: 'old style' } } }));
    const { validating } = plugins({ validating: [configuration('c', hook('beta.example.com', '/beta', { admissionReviewVersions: ['v1beta1'] }))] });
    const err = await refusal(validating.validate!(podAttributes({ operation: 'UPDATE', oldObject: { metadata: { name: 'web' } } })));
    assert.equal(received[0].review.apiVersion, 'admission.k8s.io/v1beta1');
    assert.deepEqual(received[0].review.request.options, { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' });
    assert.equal(err.message, 'admission webhook "beta.example.com" denied the request: old style');
  });

  it('a denial is the webhook\'s status with upstream\'s prefix; code 400 unless the webhook says otherwise', async () => {
    handlers.set('/deny', (review) => deny(review, { message: 'no pods named web' }));
    handlers.set('/deny-403', (review) => deny(review, { code: 403, reason: 'Forbidden', message: 'not here' }));
    handlers.set('/deny-bare', (review) => deny(review, {}));
    const cases: [string, number, string | undefined, string][] = [
      ['/deny', 400, undefined, 'admission webhook "deny.example.com" denied the request: no pods named web'],
      ['/deny-403', 403, 'Forbidden', 'admission webhook "deny.example.com" denied the request: not here'],
      ['/deny-bare', 400, undefined, 'admission webhook "deny.example.com" denied the request without explanation'],
    ];
    for (const [path, code, reason, message] of cases) {
      const { validating } = plugins({ validating: [configuration('c', hook('deny.example.com', path))] });
      const err = await refusal(validating.validate!(podAttributes()));
      assert.equal(err.code, code, path);
      assert.equal(err.status.reason, reason, path);
      assert.equal(err.message, message, path);
    }
  });

  it('passes warnings to the client and audit annotations as <webhook>/<key>', async () => {
    handlers.set('/warn', (review) => allow(review, { warnings: ['image is old', 'image is old'], auditAnnotations: { reason: 'looked fine', 'bad/key': 'dropped' } }));
    const { validating } = plugins({ validating: [configuration('c', hook('warn.example.com', '/warn'))] });
    const attributes = podAttributes();
    await validating.validate!(attributes);
    assert.deepEqual(attributes.warnings, ['image is old', 'image is old']);
    assert.deepEqual([...attributes.annotations], [['warn.example.com/reason', 'looked fine']]);
  });

  it('calls the webhooks in parallel and returns the first refusal', async () => {
    let arrived = 0;
    let bothArrived!: () => void;
    const barrier = new Promise<void>((resolve) => (bothArrived = resolve));
    const meet = async (answer: Answer) => {
      if (++arrived === 2) bothArrived();
      await barrier;
      return answer;
    };
    handlers.set('/a', (review) => meet(allow(review)));
    handlers.set('/b', (review) => meet(deny(review, { message: 'b says no' })));
    const { validating } = plugins({ validating: [configuration('c', hook('a.example.com', '/a'), hook('b.example.com', '/b'))] });
    const err = await refusal(validating.validate!(podAttributes()));
    assert.equal(err.message, 'admission webhook "b.example.com" denied the request: b says no');
  });

  it('failurePolicy: a timeout or a refused connection fails the request (Fail) or is recorded and passed (Ignore)', async () => {
    handlers.set('/hang', () => 'hang');
    const refused = await closedPort();
    const slow = hook('slow.example.com', '/hang', { timeoutSeconds: 1 });
    const down = { ...hook('down.example.com', '/allow'), clientConfig: { url: `https://127.0.0.1:${refused}/allow`, caBundle } };

    const failing = plugins({ validating: [configuration('c', slow)] });
    const timeout = await refusal(failing.validating.validate!(podAttributes()));
    assert.equal(timeout.code, 500);
    assert.equal(timeout.message, `Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: Post "https://127.0.0.1:${port}/hang?timeout=1s": context deadline exceeded`);

    const closed = await refusal(plugins({ validating: [configuration('c', down)] }).validating.validate!(podAttributes()));
    assert.equal(closed.message, `Internal error occurred: failed calling webhook "down.example.com": failed to call webhook: Post "https://127.0.0.1:${refused}/allow?timeout=5s": dial tcp 127.0.0.1:${refused}: connect: connection refused`);

    const ignoring = plugins({ validating: [configuration('c', { ...slow, failurePolicy: 'Ignore' }, { ...down, failurePolicy: 'Ignore' })] });
    const attributes = podAttributes();
    await ignoring.validating.validate!(attributes);
    assert.deepEqual(Object.fromEntries(attributes.annotations), {
      'failed-open.validating.webhook.admission.k8s.io/round_0_index_0': 'slow.example.com',
      'failed-open.validating.webhook.admission.k8s.io/round_0_index_1': 'down.example.com',
    });
  });

  it('reaches a webhook through its Service, checking the certificate against <service>.<namespace>.svc', async () => {
    const service = { ...hook('svc.example.com', ''), clientConfig: { service: { namespace: 'webhooks', name: 'hook', path: '/by-service', port: 443 }, caBundle } };
    const resolveService: AdmissionWebhookDependencies['resolveService'] = async (namespace, name, servicePort) =>
      namespace === 'webhooks' && name === 'hook' && servicePort === 443 ? { host: '127.0.0.1', port } : undefined;
    await plugins({ validating: [configuration('c', service)], resolveService }).validating.validate!(podAttributes());
    assert.equal(received[0].path, '/by-service');

    const missing = { ...service, clientConfig: { ...service.clientConfig, service: { ...service.clientConfig.service, name: 'missing' } } };
    const err = await refusal(plugins({ validating: [configuration('c', missing)], resolveService }).validating.validate!(podAttributes()));
    assert.equal(err.message, 'Internal error occurred: failed calling webhook "svc.example.com": failed to call webhook: Post "https://missing.webhooks.svc:443/by-service?timeout=5s": service "missing" not found');
  });

  it('refuses a server whose certificate the caBundle does not vouch for', async () => {
    const other = await createCertificateAuthority('another CA', 1);
    const stranger = { ...hook('tls.example.com', '/allow'), clientConfig: { url: `https://127.0.0.1:${port}/allow`, caBundle: Buffer.from(other.certPem).toString('base64') } };
    const err = await refusal(plugins({ validating: [configuration('c', stranger)] }).validating.validate!(podAttributes()));
    assert.match(err.message, /failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/allow\?timeout=5s": tls: failed to verify certificate: x509: certificate signed by unknown authority$/);
  });

  it('dry run: refused for webhooks with side effects, sent with dryRun for None/NoneOnDryRun', async () => {
    const some = plugins({ validating: [configuration('c', hook('effects.example.com', '/allow', { sideEffects: 'Some' }))] });
    const err = await refusal(some.validating.validate!(podAttributes({ dryRun: true })));
    assert.equal(err.code, 400);
    assert.equal(err.message, 'admission webhook "effects.example.com" does not support dry run');
    assert.equal(received.length, 0);
    // Not a call failure: Ignore does not let it through.
    const ignoring = plugins({ validating: [configuration('c', hook('effects.example.com', '/allow', { sideEffects: 'Unknown', failurePolicy: 'Ignore' }))] });
    await refusal(ignoring.validating.validate!(podAttributes({ dryRun: true })));

    await plugins({ validating: [configuration('c', hook('safe.example.com', '/allow', { sideEffects: 'NoneOnDryRun' }))] }).validating.validate!(podAttributes({ dryRun: true }));
    assert.equal(received[0].review.request.dryRun, true);
    assert.deepEqual(received[0].review.request.options.dryRun, ['All']);
  });

  it('namespaceSelector: the namespace\'s labels; a namespace itself offers its own; a missing namespace is 404', async () => {
    const selected = hook('ns.example.com', '/allow', { namespaceSelector: { matchLabels: { team: 'a' } } });
    const setup = { validating: [configuration('c', selected)], namespaces: { ns: { team: 'a' }, other: { team: 'b' } } };
    await plugins(setup).validating.validate!(podAttributes());
    assert.equal(received.length, 1);
    await plugins(setup).validating.validate!(podAttributes({ namespace: 'other', object: { metadata: { name: 'web', namespace: 'other' } } }));
    assert.equal(received.length, 1, 'not called for a namespace without the label');
    const err = await refusal(plugins(setup).validating.validate!(podAttributes({ namespace: 'gone' })));
    assert.equal(err.code, 404);
    assert.equal(err.message, 'namespaces "gone" not found');

    const onNamespaces = { ...selected, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], scope: '*' }] };
    const namespace = (labels: Record<string, string>) => podAttributes({ type: namespaces, namespace: undefined, name: 'fresh', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh', labels } } });
    await plugins({ validating: [configuration('c', onNamespaces)] }).validating.validate!(namespace({ team: 'a' }));
    assert.equal(received.length, 2);
    assert.equal(received[1].review.request.namespace, 'fresh', 'a namespace request names the namespace itself');
    await plugins({ validating: [configuration('c', onNamespaces)] }).validating.validate!(namespace({ team: 'c' }));
    assert.equal(received.length, 2);
  });

  it('objectSelector: the new or the old object\'s labels', async () => {
    const selected = hook('obj.example.com', '/allow', { objectSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] } });
    const { validating } = plugins({ validating: [configuration('c', selected)] });
    await validating.validate!(podAttributes());
    assert.equal(received.length, 0);
    await validating.validate!(podAttributes({ object: { metadata: { name: 'web', labels: { tier: 'db' } } } }));
    assert.equal(received.length, 1);
    await validating.validate!(podAttributes({ operation: 'UPDATE', object: { metadata: { name: 'web' } }, oldObject: { metadata: { name: 'web', labels: { tier: 'db' } } } }));
    assert.equal(received.length, 2);
  });

  it('matchConditions: false skips the webhook; an error fails the request (Fail) or skips it (Ignore)', async () => {
    const conditions = (expression: string, failurePolicy = 'Fail') =>
      plugins({ validating: [configuration('c', hook('cel.example.com', '/allow', { failurePolicy, matchConditions: [{ name: 'only-web', expression }] }))] }).validating;
    await conditions("object.metadata.name == 'db'").validate!(podAttributes());
    assert.equal(received.length, 0);
    await conditions("object.metadata.name == 'web' && request.userInfo.username == 'alice' && oldObject == null").validate!(podAttributes());
    assert.equal(received.length, 1);
    const err = await refusal(conditions("object.spec.missing == 'x'").validate!(podAttributes()));
    assert.equal(err.code, 403);
    assert.equal(err.message, `pods "web" is forbidden: expression 'object.spec.missing == 'x'' resulted in error: no such key: missing`);
    await conditions("object.spec.missing == 'x'", 'Ignore').validate!(podAttributes());
    assert.equal(received.length, 1);
    const compile = await refusal(conditions("authorizer.group('').resource('pods').check('get').allowed()").validate!(podAttributes()));
    assert.match(compile.message, /^pods "web" is forbidden: compilation failed: ERROR: <input>:1:1: undeclared reference to 'authorizer'/);
    const notBool = await refusal(conditions('1 + 1').validate!(podAttributes()));
    assert.equal(notBool.message, 'pods "web" is forbidden: must evaluate to bool but got int');
  });

  it('rules: resources, subresources and scope as upstream matches them; admission configurations are never sent', async () => {
    const statusOnly = hook('status.example.com', '/allow', { rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/status'], scope: 'Namespaced' }] });
    const { validating } = plugins({ validating: [configuration('c', statusOnly)] });
    await validating.validate!(podAttributes({ operation: 'UPDATE', oldObject: { metadata: { name: 'web' } } }));
    assert.equal(received.length, 0);
    await validating.validate!(podAttributes({ operation: 'UPDATE', subresource: 'status', oldObject: { metadata: { name: 'web' } } }));
    assert.equal(received.length, 1);
    assert.equal(received[0].review.request.subResource, 'status');

    const everything = hook('all.example.com', '/allow', { rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'], scope: '*' }] });
    const configurationWrite = podAttributes({ type: mutatingwebhookconfigurations, namespace: undefined, name: 'c', object: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'c' } } });
    await plugins({ validating: [configuration('c', everything)] }).validating.validate!(configurationWrite);
    assert.equal(received.length, 1, 'a webhook configuration is not sent to webhooks');
  });

  it('rejects malformed answers with upstream\'s reasons', async () => {
    const cases: [string, Handler, string][] = [
      ['/uid', (review) => ({ ...allow(review), response: { uid: 'other', allowed: true } }), `received invalid webhook response: expected response.uid=`],
      ['/no-response', () => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), 'received invalid webhook response: webhook response was absent'],
      ['/no-kind', (review) => ({ response: { uid: review.request.uid, allowed: true } }), 'received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got /, Kind='],
      ['/allowed-text', (review) => allow(review, { allowed: 'yes' }), 'failed to call webhook: json: cannot unmarshal string into Go struct field AdmissionResponse.response.allowed of type bool'],
      ['/patch', (review) => patch(review, []), 'received invalid webhook response: validating webhook may not return response.patch'],
      ['/500', () => ({ status: 500, body: 'boom' }), 'failed to call webhook: an error on the server ("boom") has prevented the request from succeeding'],
      ['/not-json', () => ({ status: 200, body: 'ok', contentType: 'application/json' }), "failed to call webhook: couldn't get version/kind; json parse error:"],
    ];
    for (const [path, handler, reason] of cases) {
      handlers.set(path, handler);
      const err = await refusal(plugins({ validating: [configuration('c', hook('bad.example.com', path))] }).validating.validate!(podAttributes()));
      assert.equal(err.code, 500, path);
      assert.ok(err.message.startsWith(`Internal error occurred: failed calling webhook "bad.example.com": ${reason}`), `${path}: ${err.message}`);
    }
    // A missing `allowed` is false: a denial without explanation, as upstream reads it.
    handlers.set('/no-allowed', (review) => ({ ...allow(review), response: { uid: review.request.uid } }));
    const denied = await refusal(plugins({ validating: [configuration('c', hook('bad.example.com', '/no-allowed'))] }).validating.validate!(podAttributes()));
    assert.equal(denied.message, 'admission webhook "bad.example.com" denied the request without explanation');
  });

  it('bounds the size of an answer', async () => {
    handlers.set('/huge', () => ({ status: 200, body: 'x'.repeat(17 * 1024 * 1024), contentType: 'application/json' }));
    const err = await refusal(plugins({ validating: [configuration('c', hook('huge.example.com', '/huge'))] }).validating.validate!(podAttributes()));
    assert.match(err.message, /failed to call webhook: Post "[^"]+": response body larger than 16777216 bytes$/);
  });
});

describe('MutatingAdmissionWebhook', () => {
  it('applies a JSON patch to the request\'s object in place, defaults what the patch added, and records the mutation', async () => {
    handlers.set('/label', (review) =>
      patch(review, [
        { op: 'add', path: '/metadata/labels/injected', value: 'yes' },
        { op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: 'proxy:latest' } },
      ]),
    );
    const { mutating } = plugins({ mutating: [configuration('inject', hook('inject.example.com', '/label'))] });
    const attributes = podAttributes();
    const object = attributes.object!;
    await mutating.admit!(attributes);
    assert.equal(attributes.object, object, 'the same object, changed in place');
    assert.deepEqual(object.metadata.labels, { app: 'web', injected: 'yes' });
    const sidecar = (object.spec as { containers: Record<string, unknown>[] }).containers[1];
    assert.equal(sidecar.imagePullPolicy, 'Always', 'the kind\'s defaults run after a patch');
    assert.equal(attributes.annotations.get('mutation.webhook.admission.k8s.io/round_0_index_0'), '{"configuration":"inject","webhook":"inject.example.com","mutated":true}');
  });

  it('calls webhooks in order, each seeing the changes before it', async () => {
    handlers.set('/one', (review) => patch(review, [{ op: 'add', path: '/metadata/labels/one', value: '1' }]));
    handlers.set('/two', (review) => {
      assert.equal(review.request.object.metadata.labels.one, '1');
      return allow(review);
    });
    const { mutating } = plugins({ mutating: [configuration('b-second', hook('two.example.com', '/two')), configuration('a-first', hook('one.example.com', '/one'))] });
    const attributes = podAttributes();
    await mutating.admit!(attributes);
    assert.deepEqual(received.map((r) => r.path), ['/one', '/two'], 'configurations by name');
    assert.equal(attributes.annotations.get('mutation.webhook.admission.k8s.io/round_0_index_1'), '{"configuration":"b-second","webhook":"two.example.com","mutated":false}');
  });

  it('reinvocationPolicy IfNeeded: called again when a later webhook changed the object', async () => {
    handlers.set('/first', (review) => (review.request.object.metadata.labels.first ? allow(review) : patch(review, [{ op: 'add', path: '/metadata/labels/first', value: '1' }])));
    handlers.set('/second', (review) => patch(review, [{ op: 'add', path: '/metadata/labels/second', value: '1' }]));
    const first = hook('first.example.com', '/first', { reinvocationPolicy: 'IfNeeded' });
    const second = hook('second.example.com', '/second', { reinvocationPolicy: 'Never' });
    const attributes = podAttributes();
    await plugins({ mutating: [configuration('m', first, second)] }).mutating.admit!(attributes);
    assert.deepEqual(received.map((r) => r.path), ['/first', '/second', '/first']);
    assert.equal(received[2].review.request.object.metadata.labels.second, '1');
    assert.deepEqual(attributes.object!.metadata.labels, { app: 'web', first: '1', second: '1' });
    assert.equal(attributes.annotations.get('mutation.webhook.admission.k8s.io/round_1_index_0'), '{"configuration":"m","webhook":"first.example.com","mutated":false}');

    received.length = 0;
    await plugins({ mutating: [configuration('m', { ...first, reinvocationPolicy: 'Never' }, second)] }).mutating.admit!(podAttributes());
    assert.deepEqual(received.map((r) => r.path), ['/first', '/second'], 'Never: called once');
  });

  it('a patch that cannot be decoded or applied fails the request whatever the failurePolicy', async () => {
    handlers.set('/garbage', (review) => allow(review, { patchType: 'JSONPatch', patch: Buffer.from('{not json').toString('base64') }));
    handlers.set('/missing-path', (review) => patch(review, [{ op: 'replace', path: '/spec/nothing', value: 1 }]));
    handlers.set('/no-type', (review) => allow(review, { patch: base64([]) }));
    handlers.set('/wrong-type', (review) => patch(review, [{ op: 'replace', path: '/metadata/labels', value: 'text' }]));
    for (const path of ['/garbage', '/missing-path', '/wrong-type']) {
      const err = await refusal(plugins({ mutating: [configuration('c', hook('patch.example.com', path, { failurePolicy: 'Ignore' }))] }).mutating.admit!(podAttributes()));
      assert.equal(err.code, 500, path);
      assert.match(err.message, /^Internal error occurred: /, path);
    }
    const noType = await refusal(plugins({ mutating: [configuration('c', hook('patch.example.com', '/no-type'))] }).mutating.admit!(podAttributes()));
    assert.equal(noType.message, 'Internal error occurred: failed calling webhook "patch.example.com": received invalid webhook response: webhook returned response.patch but not response.patchType');
  });

  it('caps what copy operations may add, as upstream\'s JSONPatchMaxCopyBytes', async () => {
    const big = 'x'.repeat(1024 * 1024);
    handlers.set('/copies', (review) =>
      patch(review, [
        { op: 'add', path: '/metadata/annotations', value: { big } },
        { op: 'copy', from: '/metadata/annotations', path: '/spec/a' },
        { op: 'copy', from: '/spec/a', path: '/spec/b' },
        { op: 'copy', from: '/spec/a', path: '/spec/c' },
        { op: 'copy', from: '/spec/a', path: '/spec/d' },
      ]),
    );
    const err = await refusal(plugins({ mutating: [configuration('c', hook('copy.example.com', '/copies'))] }).mutating.admit!(podAttributes()));
    assert.match(err.message, /^Internal error occurred: Unable to complete the copy, the accumulated size increase of copy is \d+, exceeding the limit 3145728$/);
  });

  it('matchPolicy Equivalent: a webhook for autoscaling/v1 sees a v2 request converted, and its patch comes back to v2', async () => {
    handlers.set('/hpa', (review) => {
      assert.equal(review.request.object.apiVersion, 'autoscaling/v1');
      return patch(review, [{ op: 'add', path: '/metadata/labels', value: { seen: 'v1' } }]);
    });
    const v1Only = hook('hpa.example.com', '/hpa', { rules: [{ operations: ['CREATE'], apiGroups: ['autoscaling'], apiVersions: ['v1'], resources: ['horizontalpodautoscalers'], scope: '*' }] });
    const hpa: KubeObject = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'ns' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, minReplicas: 1, maxReplicas: 3 },
    };
    const attributes = podAttributes({ type: horizontalpodautoscalersV2 as ResourceType, name: 'h', object: hpa });
    const types = [horizontalpodautoscalersV2, horizontalpodautoscalersV1] as ResourceType[];
    await plugins({ mutating: [configuration('c', v1Only)], types }).mutating.admit!(attributes);
    const request = received[0].review.request;
    assert.deepEqual(request.kind, { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' });
    assert.deepEqual(request.resource, { group: 'autoscaling', version: 'v1', resource: 'horizontalpodautoscalers' });
    assert.deepEqual(request.requestKind, { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' });
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.metadata.labels, { seen: 'v1' });

    received.length = 0;
    await plugins({ mutating: [configuration('c', { ...v1Only, matchPolicy: 'Exact' })], types }).mutating.admit!(podAttributes({ type: horizontalpodautoscalersV2 as ResourceType, object: structuredClone(hpa) }));
    assert.equal(received.length, 0, 'Exact: not called');
  });

  it('a delete is sent with its old object and DeleteOptions, and cannot be patched', async () => {
    handlers.set('/delete', (review) => patch(review, [{ op: 'add', path: '/metadata/labels/x', value: 'y' }]));
    const onDelete = hook('delete.example.com', '/delete', { rules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }] });
    const attributes = podAttributes({ operation: 'DELETE', object: undefined, oldObject: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'ns' } } });
    const err = await refusal(plugins({ mutating: [configuration('c', onDelete)] }).mutating.admit!(attributes));
    assert.equal(err.message, 'Internal error occurred: admission webhook "delete.example.com" attempted to modify the object, which is not supported for this operation');
    const request = received[0].review.request;
    assert.equal(request.operation, 'DELETE');
    assert.equal(request.object, null);
    assert.equal(request.oldObject.metadata.name, 'web');
    assert.deepEqual(request.options, { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' });
  });

  it('a refused connection: Fail refuses, Ignore goes on and records the failure', async () => {
    const refused = await closedPort();
    const down = (failurePolicy: string) => ({ ...hook('down.example.com', '/x', { failurePolicy }), clientConfig: { url: `https://127.0.0.1:${refused}/x`, caBundle } });
    const err = await refusal(plugins({ mutating: [configuration('c', down('Fail'))] }).mutating.admit!(podAttributes()));
    assert.match(err.message, /^Internal error occurred: failed calling webhook "down.example.com": failed to call webhook: Post .*connection refused$/);
    const attributes = podAttributes();
    await plugins({ mutating: [configuration('c', down('Ignore'))] }).mutating.admit!(attributes);
    assert.equal(attributes.annotations.get('failed-open.mutation.webhook.admission.k8s.io/round_0_index_0'), 'down.example.com');
    assert.equal(attributes.annotations.get('mutation.webhook.admission.k8s.io/round_0_index_0'), '{"configuration":"c","webhook":"down.example.com","mutated":false}');
  });
});
