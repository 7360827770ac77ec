import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointslices } from './endpointslice.js';
import type { EndpointSlice } from './schema.js';
import { renderFieldError } from '../../machinery/status.js';

const slice = (over: Partial<EndpointSlice> = {}): EndpointSlice => ({
  metadata: { name: 'web-abc12', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' }, creationTimestamp: '2024-01-01T00:00:00Z' },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: true } }],
  ports: [{ name: 'http', port: 80 }],
  ...over,
});
const check = (obj: EndpointSlice) => {
  endpointslices.defaults!(obj);
  return endpointslices.validate!(obj, { operation: "create" }).map(renderFieldError);
};

test('ports default to TCP and an unnamed port gets the empty name', () => {
  const obj = slice({ ports: [{ port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] });
  endpointslices.defaults!(obj);
  assert.deepEqual(obj.ports, [{ name: '', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }]);
  assert.deepEqual(check(obj), []);
});

test('addresses must match the address type', () => {
  assert.deepEqual(check(slice({ endpoints: [{ addresses: ['fd00::1', '127.0.0.1'] }] })), [
    'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
    'endpoints[0].addresses[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
  ]);
  assert.deepEqual(check(slice({ addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1'] }] })), []);
  assert.deepEqual(check(slice({ addressType: 'FQDN', endpoints: [{ addresses: ['db.example.com'] }] })), []);
  assert.deepEqual(check(slice({ addressType: 'FQDN', endpoints: [{ addresses: ['localhost'] }] })), [
    'endpoints[0].addresses[0]: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
  ]);
});

test('address type is required, known and immutable', () => {
  assert.deepEqual(check(slice({ addressType: 'IP' })), ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"']);
  assert.deepEqual(endpointslices.validateUpdate!(slice({ addressType: 'IPv6' }), slice()).map(renderFieldError), [
    'addressType: Invalid value: "IPv6": field is immutable',
  ]);
});

test('endpoints need an address; port names are unique', () => {
  assert.deepEqual(check(slice({ endpoints: [{ addresses: [] }], ports: [{ name: 'a', protocol: 'TCP' }, { name: 'a', protocol: 'TCP' }] })), [
    'endpoints[0].addresses: Required value: must contain at least 1 address',
    'ports[1].name: Duplicate value: "a"',
  ]);
});

test('table: ports and endpoints, at most three each', () => {
  const obj = slice({
    endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.3'] }, { addresses: ['10.0.0.4'] }, { addresses: ['10.0.0.5'] }],
  });
  assert.deepEqual(endpointslices.table!.cells(obj, new Date('2024-01-01T01:00:00Z')), [
    'web-abc12', 'IPv4', '80', '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...', '60m',
  ]);
  assert.deepEqual(endpointslices.table!.cells(slice({ endpoints: [], ports: [] }), new Date('2024-01-01T00:00:30Z')).slice(2, 4), ['<unset>', '<unset>']);
});
