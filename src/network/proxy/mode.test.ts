import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseProxyMode, describeProxyMode } from './mode.js';

const rootWithNft = { root: true, podNetwork: true };
const rootWithoutNft = { root: true, nftProblem: 'nft not found', podNetwork: true };
const user = { root: false, nftProblem: 'not root', podNetwork: false };

test('auto: nftables as root with nft; user space otherwise, with the reason', () => {
  assert.deepEqual(chooseProxyMode('auto', rootWithNft), { mode: 'nftables', reason: 'root, nft found' });
  assert.deepEqual(chooseProxyMode('auto', rootWithoutNft), { mode: 'userspace', clusterIPs: 'interface', reason: 'nft not found' });
  assert.deepEqual(chooseProxyMode('auto', user), { mode: 'userspace', clusterIPs: 'loopback', reason: 'not root' });
  assert.deepEqual(chooseProxyMode('auto', { root: true, podNetwork: false }), { mode: 'userspace', clusterIPs: 'interface', reason: 'pods run on the host network' });
});

test('--proxy-mode forces a mode; a forced nftables that cannot run is an error', () => {
  assert.deepEqual(chooseProxyMode('userspace', rootWithNft), { mode: 'userspace', clusterIPs: 'interface', reason: '--proxy-mode userspace' });
  assert.deepEqual(chooseProxyMode('nftables', rootWithNft), { mode: 'nftables', reason: '--proxy-mode nftables' });
  assert.throws(() => chooseProxyMode('nftables', rootWithoutNft), /--proxy-mode nftables: nft not found/);
  assert.throws(() => chooseProxyMode('nftables', user), /needs root/);
});

test('the start line says the mode and why', () => {
  assert.equal(describeProxyMode(chooseProxyMode('auto', rootWithoutNft), 'skiff-svc0'), 'service proxy: userspace, ClusterIPs on interface skiff-svc0 (nft not found)');
  assert.equal(describeProxyMode(chooseProxyMode('auto', rootWithNft), 'skiff-svc0'), 'service proxy: nftables (root, nft found)');
  assert.equal(describeProxyMode(chooseProxyMode('auto', user), 'skiff-svc0'), 'service proxy: userspace, ClusterIPs at their loopback twins 127.x.y.z (not root)');
});
