/**
 * Priority admission through a real apiserver: the PriorityClasses it reads
 * come from the watch cache, synced before each read, so a class created just
 * before a pod already counts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing.js';
import { Client, type ResourceClient } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';

type Pod = KubeObject & { spec?: { priority?: number; priorityClassName?: string; preemptionPolicy?: string } };

let api: TestServer;
let client: Client;
let pods: ResourceClient<Pod>;
let classes: ResourceClient<KubeObject>;

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  pods = client.resource<Pod>({ group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true });
  classes = client.resource({ group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass', namespaced: false });
});
after(async () => {
  client.close();
  await api.close();
});

const pod = (name: string, spec: Record<string, unknown> = {}) => ({ metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } }) as Pod;

test('a pod without a class gets the globalDefault class created just before it; one naming a class gets that class', async () => {
  assert.equal((await pods.create(pod('before-default'))).spec?.priority, 0);
  await classes.create({ metadata: { name: 'everyday' }, value: 7, globalDefault: true, preemptionPolicy: 'Never' } as KubeObject);
  const defaulted = await pods.create(pod('after-default'));
  assert.deepEqual([defaulted.spec?.priorityClassName, defaulted.spec?.priority, defaulted.spec?.preemptionPolicy], ['everyday', 7, 'Never']);
  await classes.create({ metadata: { name: 'urgent' }, value: 1000 } as KubeObject);
  const named = await pods.create(pod('named', { priorityClassName: 'urgent' }));
  assert.deepEqual([named.spec?.priority, named.spec?.preemptionPolicy], [1000, 'PreemptLowerPriority']);
});

test('a pod may not bring its own priority, nor name a class that does not exist (403)', async () => {
  await assert.rejects(pods.create(pod('own-number', { priorityClassName: 'urgent', priority: 5 })), (err: { code?: number; message?: string }) => err.code === 403 && /must not be provided/.test(err.message ?? ''));
  await assert.rejects(pods.create(pod('no-class', { priorityClassName: 'missing' })), (err: { code?: number; message?: string }) => err.code === 403 && /no PriorityClass with name missing/.test(err.message ?? ''));
});
