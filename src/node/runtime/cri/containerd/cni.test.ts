import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeNetwork } from '../../process/network.js';
import { CNI_VERSION, renderCniConfig, skiffBridgeFor } from './cni.js';

test("pods join the process runtime's bridge, gateway .1, on the node's range", () => {
  const { bridge, gateway } = skiffBridgeFor('10.42.3.0/24');
  const processRuntime = new BridgeNetwork('10.42.3.0/24');
  assert.deepEqual({ bridge, gateway }, { bridge: processRuntime.bridge, gateway: processRuntime.gateway });
  const conflist = JSON.parse(renderCniConfig({ podCIDR: '10.42.3.0/24', bridge, mtu: 1450, ipamDataDir: '/var/lib/skiff/containerd/cni/ipam' }));
  assert.equal(conflist.cniVersion, CNI_VERSION);
  assert.equal(conflist.name, 'skiff');
  assert.deepEqual(conflist.plugins, [
    {
      type: 'bridge',
      bridge: 'skiff-42-3',
      isGateway: true,
      ipMasq: false,
      hairpinMode: true,
      mtu: 1450,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.42.3.0/24', gateway: '10.42.3.1' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/var/lib/skiff/containerd/cni/ipam' },
    },
    { type: 'portmap', capabilities: { portMappings: true } },
  ]);
});

test('a bad range, bridge name or MTU is refused with the reason', () => {
  assert.throws(() => renderCniConfig({ podCIDR: '10.42.3.7/24', bridge: 'skiff-42-3' }), /host bits are set \(the range starts at 10\.42\.3\.0\)/);
  assert.throws(() => renderCniConfig({ podCIDR: 'fd00::/64', bridge: 'skiff-42-3' }), /expected an IPv4 range/);
  assert.throws(() => renderCniConfig({ podCIDR: '10.42.3.0/24', bridge: 'a-very-long-bridge-name' }), /not a valid interface name/);
  assert.throws(() => renderCniConfig({ podCIDR: '10.42.3.0/24', bridge: 'br0', mtu: 100 }), /MTU 100/);
  assert.throws(() => skiffBridgeFor('10.42.0.0/16'), /needs a \/24/);
});
