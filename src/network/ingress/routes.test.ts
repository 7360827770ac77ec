import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ingress } from '../../api/networking/index.js';
import { route, tlsSecretFor } from './routes.js';

const backend = (name: string) => ({ service: { name, port: { number: 80 } } });
const ingresses: Ingress[] = [
  {
    metadata: { name: 'a', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      defaultBackend: backend('fallback'),
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }, { hosts: ['*.wild.example.com'], secretName: 'wild-tls' }],
      rules: [
        { host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web') }, { path: '/api', pathType: 'Prefix', backend: backend('api') }, { path: '/api/v1', pathType: 'Exact', backend: backend('v1') }] } },
        { host: '*.wild.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('wild') }] } },
        { http: { paths: [{ path: '/health', pathType: 'Exact', backend: backend('health') }] } },
      ],
    },
  },
];
const to = (host: string, path: string) => route(ingresses, host, path)?.backend.service?.name;

test('hosts: exact, one-label wildcards, any; paths: Prefix by element, Exact, the longest wins', () => {
  assert.equal(to('shop.example.com', '/'), 'web');
  assert.equal(to('SHOP.example.com:443', '/cart'), 'web');
  assert.equal(to('shop.example.com', '/api'), 'api');
  assert.equal(to('shop.example.com', '/api/orders'), 'api');
  assert.equal(to('shop.example.com', '/apiary'), 'web', 'a prefix matches whole path elements');
  assert.equal(to('shop.example.com', '/api/v1'), 'v1', 'Exact wins over a shorter Prefix');
  assert.equal(to('a.wild.example.com', '/x'), 'wild');
  assert.equal(to('a.b.wild.example.com', '/x'), 'fallback', 'a wildcard covers one label');
  assert.equal(to('other.example.com', '/health'), 'health');
  assert.equal(to('other.example.com', '/'), 'fallback');
  assert.equal(route([], 'x', '/'), undefined);
});

test('TLS secrets by server name', () => {
  assert.equal(tlsSecretFor(ingresses, 'shop.example.com'), 'shop/shop-tls');
  assert.equal(tlsSecretFor(ingresses, 'x.wild.example.com'), 'shop/wild-tls');
  assert.equal(tlsSecretFor(ingresses, 'none.example.com'), undefined);
});
