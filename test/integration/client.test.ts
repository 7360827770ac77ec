/** The client library against a real in-process apiserver. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { StatusError, isStatusError } from '../../src/machinery/status.js';
import type { ResourceClient } from '../../src/client/resource-client.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { Client } from '../../src/client/client.js';
import { SharedInformer } from '../../src/client/informer.js';
import { LeaderElector } from '../../src/client/leader-election.js';
import { EventRecorder } from '../../src/client/events.js';
import { Manager } from '../../src/client/manager.js';

const configmaps = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
const secrets = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true };

/** Waits, with a deadline, for a condition that events will make true. */
async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

let api: TestServer;
let client: Client;
before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
});
after(async () => {
  client.close();
  await api.close();
});

describe('ResourceClient', () => {
  it('creates, reads, updates, patches and deletes', async () => {
    const cms = client.resource<KubeObject & { data?: Record<string, string> }>(configmaps);
    const created = await cms.create({ metadata: { name: 'c1', namespace: 'default' }, data: { a: '1' } });
    assert.equal(created.kind, 'ConfigMap');
    const updated = await cms.update({ ...created, data: { a: '2' } });
    assert.equal(updated.data!.a, '2');
    const patched = await cms.patch('default', 'c1', { data: { b: '3' } });
    assert.deepEqual(patched.data, { a: '2', b: '3' });
    assert.equal((await cms.list('default')).items.some((item) => item.metadata.name === 'c1'), true);
    await cms.delete('default', 'c1');
    assert.equal(await cms.find('default', 'c1'), undefined);
  });

  it('concurrent patches without a resourceVersion all apply; one naming a stale resourceVersion conflicts', async () => {
    const cms = client.resource<KubeObject & { data?: Record<string, string> }>(configmaps);
    const created = await cms.create({ metadata: { name: 'contended', namespace: 'default' }, data: {} });
    await Promise.all(Array.from({ length: 20 }, (_, i) => cms.patch('default', 'contended', { data: { [`k${i}`]: String(i) } }, 'merge')));
    assert.equal(Object.keys((await cms.get('default', 'contended')).data ?? {}).length, 20, 'no patch lost, none refused');
    await assert.rejects(
      cms.patch('default', 'contended', { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { late: 'x' } }, 'merge'),
      (err: Error & { code?: number }) => err.code === 409,
    );
  });

  it('turns Status answers into StatusErrors', async () => {
    await assert.rejects(client.resource(configmaps).get('default', 'missing'), (err) => isStatusError(err, 'NotFound') && err.code === 404);
  });

  it('finds built-in kinds by apiVersion and kind', () => {
    assert.equal(client.forKind('apps/v1', 'Deployment')?.path('default', 'web'), '/apis/apps/v1/namespaces/default/deployments/web');
  });
});

describe('SharedInformer', () => {
  it('lists, then follows changes, with handlers after the cache', async () => {
    const cms = client.resource(configmaps);
    await cms.create({ metadata: { name: 'before', namespace: 'default' } });
    const informer = new SharedInformer(cms, { namespace: 'default' });
    const seen: string[] = [];
    informer.addEventHandler({
      add: (object, initial) => seen.push(`add ${object.metadata.name} ${initial}`),
      update: (_previous, object) => seen.push(`update ${object.metadata.name} ${informer.lister.get('default', object.metadata.name!)?.metadata.labels?.x}`),
      delete: (object) => seen.push(`delete ${object.metadata.name}`),
    });
    const abort = new AbortController();
    informer.start(abort.signal);
    await informer.waitForSync();
    assert.ok(informer.lister.get('default', 'before'));
    await cms.create({ metadata: { name: 'after', namespace: 'default' } });
    await cms.patch('default', 'after', { metadata: { labels: { x: 'y' } } });
    await cms.delete('default', 'after');
    await eventually(() => seen.includes('delete after'), `the delete event (seen: ${seen.join('; ')})`);
    assert.deepEqual(seen.filter((s) => s.includes('after')), ['add after false', 'update after y', 'delete after']);
    assert.ok(seen.includes('add before true'));
    abort.abort();
  });

  it('relists after 410 Gone and reports deletions it missed as final-state-unknown', async () => {
    // A scripted resource: the first watch answers 410 Gone, as after a long disconnect.
    const lists = [
      { items: [{ metadata: { name: 'stays', namespace: 'x', resourceVersion: '1' } }, { metadata: { name: 'vanishes', namespace: 'x', resourceVersion: '2' } }], resourceVersion: '2' },
      { items: [{ metadata: { name: 'stays', namespace: 'x', resourceVersion: '1' } }], resourceVersion: '9' },
    ];
    const watchedFrom: string[] = [];
    const scripted = {
      apiVersion: 'v1',
      ref: configmaps,
      listAll: async () => structuredClone(lists.shift() ?? { items: [{ metadata: { name: 'stays', namespace: 'x', resourceVersion: '1' } }], resourceVersion: '9' }),
      watch: (_ns: unknown, options: { resourceVersion?: string }, _onEvent: unknown, signal: AbortSignal) => {
        watchedFrom.push(options.resourceVersion ?? '');
        if (watchedFrom.length === 1) return { done: Promise.reject(new StatusError(410, 'Expired', 'too old resource version')) };
        return { done: new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())) };
      },
    } as unknown as ResourceClient;
    const informer = new SharedInformer(scripted);
    const deleted: [string, boolean][] = [];
    informer.addEventHandler({ delete: (object, unknown) => deleted.push([object.metadata.name!, unknown]) });
    const abort = new AbortController();
    informer.start(abort.signal);
    await eventually(() => deleted.length === 1, 'the deletion found by the relist');
    assert.deepEqual(deleted, [['vanishes', true]]);
    assert.deepEqual(watchedFrom, ['2', '9']);
    abort.abort();
  });
});

describe('LeaderElector', () => {
  it('lets exactly one candidate lead, and another take over when it stops', async () => {
    const leaders: string[] = [];
    const make = (identity: string) =>
      new LeaderElector(client, {
        name: 'test-election',
        identity,
        leaseDurationMs: 1000,
        renewDeadlineMs: 800,
        retryPeriodMs: 50,
        onStartedLeading: () => leaders.push(identity),
      });
    const first = make('one');
    const second = make('two');
    const stopFirst = new AbortController();
    const stopSecond = new AbortController();
    const runFirst = first.run(stopFirst.signal);
    await eventually(() => leaders.length === 1, 'a leader');
    const runSecond = second.run(stopSecond.signal);
    assert.equal(await second.tryAcquireOrRenew(), false);
    stopFirst.abort(); // releases the Lease
    await runFirst;
    await eventually(() => leaders.length === 2, 'the second leader');
    assert.deepEqual(leaders, ['one', 'two']);
    stopSecond.abort();
    await runSecond;
  });
});

describe('EventRecorder', () => {
  it('writes an Event and counts repeats on it', async () => {
    const cm = await client.resource(configmaps).create({ metadata: { name: 'noisy', namespace: 'default' } });
    const recorder = new EventRecorder(client, 'test-controller');
    recorder.event({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }, 'Normal', 'Poked', 'poked once');
    recorder.event({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }, 'Normal', 'Poked', 'poked once');
    await recorder.flush();
    const events = (await client.resource({ group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true }).list('default', { fieldSelector: 'involvedObject.name=noisy' })).items as (KubeObject & { count: number; reason: string; source: { component: string } })[];
    assert.equal(events.length, 1);
    assert.equal(events[0].count, 2);
    assert.equal(events[0].reason, 'Poked');
    assert.equal(events[0].source.component, 'test-controller');
  });
});

describe('Manager and controllers', () => {
  it('reconciles primaries and the owners of changed children', async () => {
    const reconciled: string[] = [];
    const manager = new Manager(client).add(() => ({
      name: 'test',
      for: configmaps,
      owns: [secrets],
      async reconcile(key) {
        reconciled.push(key);
      },
    }));
    const abort = new AbortController();
    const running = manager.run(abort.signal);
    const owner = await client.resource(configmaps).create({ metadata: { name: 'owner', namespace: 'kube-node-lease' } });
    await eventually(() => reconciled.includes('kube-node-lease/owner'), 'the primary');
    reconciled.length = 0;
    await client.resource(secrets).create({
      metadata: {
        name: 'child',
        namespace: 'kube-node-lease',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid!, controller: true }],
      },
    });
    await eventually(() => reconciled.includes('kube-node-lease/owner'), 'the owner of the child');
    abort.abort();
    await running;
  });
});
