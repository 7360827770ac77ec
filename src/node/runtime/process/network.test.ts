import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { BridgeNetwork, podHostCommands, podMacAddress, podNamespaceCommands } from './network.js';
import { canIsolate } from './host.js';

test('a pod IP always comes with the same MAC, so a neighbour entry left by an earlier pod is still right', () => {
  assert.equal(podMacAddress('10.42.0.5'), '0a:58:0a:2a:00:05');
  assert.equal(podMacAddress('10.42.1.254'), '0a:58:0a:2a:01:fe');
  assert.ok(podNamespaceCommands({ ip: '10.42.0.5', gateway: '10.42.0.1' }).includes('link set eth0 address 0a:58:0a:2a:00:05'));
});

test('plugging a pod in flushes the host\'s neighbour entry for its IP, in the same ip batch', () => {
  const commands = podHostCommands({ netns: 'skiff-abc', veth: 'skabc', bridge: 'skiff-42-0', ip: '10.42.0.5' });
  assert.ok(commands.includes('neigh flush to 10.42.0.5 dev skiff-42-0'), commands.join('\n'));
  // The flush comes after the veth is on the bridge (nothing can re-learn the old MAC in between).
  assert.ok(commands.indexOf('neigh flush to 10.42.0.5 dev skiff-42-0') > commands.indexOf('link set skabc master skiff-42-0 up'));
});

/** Connects to a closed port: "refused" means the pod's kernel answered, so the address is reachable. */
function refusedWithin(ip: string, deadlineMs: number): Promise<'refused' | 'no answer' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port: 9 });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer');
    }, deadlineMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code === 'ECONNREFUSED' ? 'refused' : String(err.code));
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
  });
}

const root = typeof process.getuid === 'function' && process.getuid() === 0;
test(
  'a pod given a deleted pod\'s IP is reachable from the host at once',
  { skip: !root ? 'needs root (network namespaces and a bridge)' : !canIsolate() ? 'this machine cannot create namespaces' : false },
  async (t) => {
    const network = new BridgeNetwork('10.254.77.0/24');
    t.after(() => network.remove());
    // Another pod stays on the bridge, as on a real node: with no port left the bridge loses its carrier and the kernel forgets all its neighbours.
    const neighbour = await network.setUp('cccccccc-0000-0000-0000-ipamtest0003');
    t.after(() => network.tearDown(neighbour));
    const first = await network.setUp('aaaaaaaa-0000-0000-0000-ipamtest0001');
    // The host learns the first pod's MAC.
    assert.equal(await refusedWithin(first.ip, 5000), 'refused');
    await network.tearDown(first);
    const second = await network.setUp('bbbbbbbb-0000-0000-0000-ipamtest0002');
    t.after(() => network.tearDown(second));
    assert.equal(second.ip, first.ip, 'the lowest free address is reused');
    // Before the fix the host sent to the old MAC until its entry went stale (8–37 s).
    assert.equal(await refusedWithin(second.ip, 3000), 'refused');
  },
);
