/**
 * The official JavaScript client, `@kubernetes/client-node` 1.x, against a
 * real `skiff up` whose pods run as plain processes: CRUD, a dry-run delete
 * with a DeleteOptions body, a watch, an informer, exec with stdin, logs
 * that follow, and port-forward — the calls operators and tools written in
 * JavaScript make.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer } from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { freePort, waitFor, type Cluster, startHostProcessCluster } from './harness.js';

/** Collects what a stream is written, for assertions. */
function sink(): Writable & { text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  }) as Writable & { text(): string };
  stream.text = () => Buffer.concat(chunks).toString('utf8');
  return stream;
}

describe('@kubernetes/client-node', () => {
  let cluster: Cluster;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  const namespace = 'js';

  before(async () => {
    // Pods as plain host processes (skiff as nobody when the tests run as root): no network lock needed.
    cluster = await startHostProcessCluster();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a CRD through ApiextensionsV1Api, its objects through CustomObjectsApi, server-side apply through KubernetesObjectApi', async () => {
    const extensions = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await extensions.createCustomResourceDefinition({
      body: {
        metadata: { name: 'tasks.js.example.com' },
        spec: {
          group: 'js.example.com',
          scope: 'Namespaced',
          names: { plural: 'tasks', singular: 'task', kind: 'Task' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { done: { type: 'boolean' } } } } } } }],
        },
      },
    });
    await waitFor(async () => (await extensions.readCustomResourceDefinition({ name: 'tasks.js.example.com' })).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'), { message: 'the CRD to be Established' });
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const where = { group: 'js.example.com', version: 'v1', namespace, plural: 'tasks' };
    await custom.createNamespacedCustomObject({ ...where, body: { apiVersion: 'js.example.com/v1', kind: 'Task', metadata: { name: 'write-docs' }, spec: { done: false } } });
    const listed = (await custom.listNamespacedCustomObject(where)) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(listed.items.map((item) => item.metadata.name), ['write-docs']);
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const applied = await objects.patch(
      { apiVersion: 'js.example.com/v1', kind: 'Task', metadata: { name: 'write-docs', namespace }, spec: { done: true } } as k8s.KubernetesObject,
      undefined, undefined, 'js-operator', true, k8s.PatchStrategy.ServerSideApply,
    );
    assert.equal((applied as { spec?: { done?: boolean } }).spec?.done, true);
    assert.ok(applied.metadata?.managedFields?.some((entry) => entry.manager === 'js-operator' && entry.operation === 'Apply'));
  });

  test('create, read, patch, list by label and delete a ConfigMap; a dry-run delete with a body deletes nothing', async () => {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'js', labels: { from: 'js' } }, data: { a: '1' } } });
    assert.deepEqual((await core.readNamespacedConfigMap({ name: 'js', namespace })).data, { a: '1' });
    await core.patchNamespacedConfigMap({ name: 'js', namespace, body: { data: { b: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    const listed = await core.listNamespacedConfigMap({ namespace, labelSelector: 'from=js' });
    assert.deepEqual(listed.items.map((item) => [item.metadata?.name, item.data]), [['js', { a: '1', b: '2' }]]);

    await core.deleteNamespacedConfigMap({ name: 'js', namespace, body: { dryRun: ['All'] } });
    assert.deepEqual((await core.readNamespacedConfigMap({ name: 'js', namespace })).data, { a: '1', b: '2' }, 'still there after the dry run');
    await core.deleteNamespacedConfigMap({ name: 'js', namespace });
    await assert.rejects(core.readNamespacedConfigMap({ name: 'js', namespace }), (err: { code?: number }) => err.code === 404);
  });

  test('a watch and an informer see an object created meanwhile', async () => {
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const request = await watch.watch(
      `/api/v1/namespaces/${namespace}/configmaps`,
      {},
      (type: string, object: k8s.V1ConfigMap) => {
        if (object.metadata?.name?.startsWith('seen-')) seen.push(`${type} ${object.metadata.name}`);
      },
      () => {},
    );
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, () => core.listNamespacedConfigMap({ namespace }));
    const informed: string[] = [];
    informer.on('add', (object: k8s.V1ConfigMap) => {
      if (object.metadata?.name?.startsWith('seen-')) informed.push(object.metadata.name);
    });
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'seen-1' } } });
      await waitFor(() => seen.includes('ADDED seen-1') && informed.includes('seen-1'), { message: 'the watch and the informer saw seen-1' });
    } finally {
      request.abort();
      await informer.stop();
    }
  });

  test('exec with stdin, logs that follow, and port-forward reach a running pod', async () => {
    const port = await freePort();
    const server = `require('http').createServer((q, s) => s.end('hello from the pod')).listen(${port}); console.log('line one'); setTimeout(() => console.log('line two'), 1500)`;
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name: 'app' }, spec: { runtimeClassName: 'host', containers: [{ name: 'app', image: 'node', command: [process.execPath, '-e', server] }] } },
    });
    await waitFor(async () => (await core.readNamespacedPod({ name: 'app', namespace })).status?.phase === 'Running', { message: 'the pod runs' });

    // exec: stdin goes in, stdout comes out, the exit status arrives.
    const stdout = sink();
    const stdin = Readable.from(['from stdin\n']);
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(kc).exec(namespace, 'app', 'app', ['cat'], stdout, null, stdin, false, resolve).catch(reject);
    });
    assert.equal(status.status, 'Success');
    assert.equal(stdout.text(), 'from stdin\n');

    // logs with follow: the second line arrives after the call began.
    const logs = new PassThrough();
    let text = '';
    logs.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const following = await new k8s.Log(kc).log(namespace, 'app', 'app', logs, { follow: true });
    try {
      await waitFor(() => text.includes('line one') && text.includes('line two'), { message: 'both log lines, the second while following' });
    } finally {
      following.abort();
    }

    // port-forward: a local listener whose connections go to the pod's port.
    const forward = new k8s.PortForward(kc);
    const local = createNetServer((socket) => {
      void forward.portForward(namespace, 'app', [port], socket, null, socket);
    });
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    try {
      const address = local.address() as { port: number };
      let body = '';
      await waitFor(
        async () => {
          body = await fetch(`http://127.0.0.1:${address.port}/`).then(
            (response) => response.text(),
            () => '',
          );
          return body === 'hello from the pod';
        },
        { message: 'an HTTP answer through port-forward' },
      );
    } finally {
      local.close();
    }
  });
});
