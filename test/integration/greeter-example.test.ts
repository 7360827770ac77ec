/** The operator example of docs/writing-an-operator.md keeps working. */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client, Manager } from '../../src/client/index.js';
import { garbageCollector } from '../../src/controllers/index.js';
import { greeterController } from '../../examples/greeter-operator.js';

const configMaps = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
let api: TestServer;
let client: Client;
const stop = new AbortController();

before(async () => {
  api = await startTestServer();
  client = new Client(api.credentials);
  const manager = new Manager(client).add(greeterController).addRunnable(garbageCollector);
  void manager.run(stop.signal);
  await manager.waitForSync();
});
after(async () => {
  stop.abort();
  client.close();
  await api.close();
});

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('greets labelled ConfigMaps, follows changes, and is cleaned up with its source', async () => {
  const cms = client.resource<{ metadata: { name?: string; namespace?: string; labels?: Record<string, string> }; data?: Record<string, string> }>(configMaps);
  await cms.create({ metadata: { name: 'visitor', namespace: 'default', labels: { greeter: 'enabled' } }, data: { name: 'Ada' } });
  const greeting = await eventually(() => cms.find('default', 'visitor-greeting'), (cm) => cm !== undefined, 'the greeting');
  assert.equal(greeting!.data!.greeting, 'Hello, Ada!');
  await cms.patch('default', 'visitor', { data: { name: 'Grace' } });
  await eventually(() => cms.find('default', 'visitor-greeting'), (cm) => cm?.data?.greeting === 'Hello, Grace!', 'the updated greeting');
  await cms.delete('default', 'visitor');
  await eventually(() => cms.find('default', 'visitor-greeting'), (cm) => cm === undefined, 'the greeting collected with its source');
});
