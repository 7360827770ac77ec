import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterCIDRFlag, isUsageError, nodeIpamFlags, podCIDRFlag, portFlag, UsageError } from './flags.js';

test('--pod-cidr is a /24', () => {
  assert.equal(podCIDRFlag(undefined), undefined);
  assert.equal(podCIDRFlag('10.42.7.0/24'), '10.42.7.0/24');
  for (const [value, message] of [
    ['10.61.0.0/16', /must be a \/24/],
    ['10.42.7.5/24', /starts at 10\.42\.7\.0\/24/],
    ['junk', /not an IPv4 CIDR/],
    ['10.300.0.0/24', /not an IPv4 CIDR/],
  ] as const) {
    assert.throws(() => podCIDRFlag(value), (err: Error) => err instanceof UsageError && message.test(err.message), value);
  }
});

test('--cluster-cidr is an IPv4 range that holds /24s', () => {
  assert.equal(clusterCIDRFlag(undefined), '10.42.0.0/16');
  assert.equal(clusterCIDRFlag('10.60.0.0/14'), '10.60.0.0/14');
  assert.throws(() => clusterCIDRFlag('junk'), /--cluster-cidr junk: junk is not an IPv4 CIDR/);
  assert.throws(() => clusterCIDRFlag('10.42.0.0/25'), /between 25 and 30/);
});

test('--port is 0 to 65535', () => {
  assert.equal(portFlag('port', undefined, 6443), 6443);
  assert.equal(portFlag('port', '0', 6443), 0);
  assert.throws(() => portFlag('port', '99999', 6443), /--port 99999: a port number from 0 to 65535/);
  assert.throws(() => portFlag('port', '-1', 6443), UsageError);
});

test('the controller manager gives node ranges only with --allocate-node-cidrs and --cluster-cidr', () => {
  assert.equal(nodeIpamFlags({ 'cluster-cidr': '10.42.0.0/16' }), undefined);
  assert.deepEqual(nodeIpamFlags({ 'allocate-node-cidrs': true, 'cluster-cidr': '10.42.0.0/16' }), { clusterCIDR: '10.42.0.0/16', nodeCIDRMaskSize: 24 });
  assert.deepEqual(nodeIpamFlags({ 'allocate-node-cidrs': true, 'cluster-cidr': '10.42.0.0/16', 'node-cidr-mask-size': '26' }), { clusterCIDR: '10.42.0.0/16', nodeCIDRMaskSize: 26 });
  assert.throws(() => nodeIpamFlags({ 'allocate-node-cidrs': true }), /needs --cluster-cidr/);
  assert.throws(() => nodeIpamFlags({ 'allocate-node-cidrs': true, 'cluster-cidr': '10.42.0.0/16', 'node-cidr-mask-size': 'x' }), UsageError);
});

test('parseArgs complaints are usage errors too', () => {
  assert.equal(isUsageError(Object.assign(new TypeError('Unknown option'), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' })), true);
  assert.equal(isUsageError(new Error('store failed')), false);
});
