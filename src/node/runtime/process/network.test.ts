import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeNetwork, podMacAddress } from './network.js';
import { canIsolate } from './host.js';
import { ProcessRuntime } from './runtime.js';

test('a pod IP always comes with the same MAC, so a neighbour entry left by an earlier pod is still right', () => {
  assert.equal(podMacAddress('10.42.0.5'), '0a:58:0a:2a:00:05');
  assert.equal(podMacAddress('10.42.1.254'), '0a:58:0a:2a:01:fe');
  const network = new BridgeNetwork('10.42.3.0/24');
  const plan = network.plan('0123abcd-4567-89ef-0000-000000000000');
  assert.deepEqual(plan, { veth: 'sk0123abcd4567', ip: '10.42.3.2', prefixLength: 24, gateway: '10.42.3.1', bridge: 'skiff-42-3', mac: '0a:58:0a:2a:03:02' });
});

test('the lowest free address comes first, a released one again at once', () => {
  const network = new BridgeNetwork('10.42.4.0/24');
  const [a, b] = [network.plan('a'), network.plan('b')];
  assert.deepEqual([a.ip, b.ip], ['10.42.4.2', '10.42.4.3']);
  network.release(a.ip);
  assert.equal(network.plan('c').ip, '10.42.4.2');
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
    const dir = mkdtempSync(join(tmpdir(), 'skiff-ipreuse-'));
    const runtime = new ProcessRuntime({ logDir: join(dir, 'logs'), stateDir: join(dir, 'state'), hostIP: '127.0.0.1', podCIDR: '10.254.77.0/24', stopOnShutdown: true });
    t.after(async () => {
      await runtime.shutdown();
      rmSync(dir, { recursive: true, force: true });
    });
    // Another pod stays on the bridge, as on a real node: with no port left the bridge loses its carrier and the kernel forgets all its neighbours.
    await runtime.runPodSandbox({ uid: 'neighbour', namespace: 'default', name: 'neighbour' });
    const first = await runtime.runPodSandbox({ uid: 'first', namespace: 'default', name: 'first' });
    // The host learns the first pod's MAC.
    assert.equal(await refusedWithin(first.ip, 5000), 'refused');
    await runtime.removePodSandbox(first.id);
    const second = await runtime.runPodSandbox({ uid: 'second', namespace: 'default', name: 'second' });
    assert.equal(second.ip, first.ip, 'the lowest free address is reused');
    // Before the fix the host sent to the old MAC until its entry went stale (8–37 s).
    assert.equal(await refusedWithin(second.ip, 3000), 'refused');
  },
);
