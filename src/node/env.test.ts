import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerEnv, EnvError, expand } from './env.js';

test('$(VAR) expands earlier variables; $$ escapes; unknown references stay', () => {
  assert.equal(expand('$(A)-$(B)-$$(A)-$(MISSING)', { A: 'x', B: 'y' }), 'x-y-$(A)-$(MISSING)');
});

test('service variables, envFrom and errors', async () => {
  const sources = {
    configMap: async (_ns: string, name: string) => (name === 'cm' ? { data: { k: 'v' } } : undefined),
    secret: async () => undefined,
    services: async (namespace: string) =>
      namespace === 'default'
        ? [{ metadata: { name: 'kubernetes' }, spec: { clusterIP: '10.43.0.1', ports: [{ name: 'https', port: 443 }] } }]
        : [{ metadata: { name: 'redis-main' }, spec: { clusterIP: '10.43.0.9', ports: [{ port: 6379 }] } }],
  };
  const pod = { metadata: { name: 'p', namespace: 'apps' }, spec: {} };
  const env = await containerEnv(pod, { name: 'c', envFrom: [{ configMapRef: { name: 'cm' } }] }, sources, {});
  assert.equal(env.REDIS_MAIN_SERVICE_HOST, '10.43.0.9');
  assert.equal(env.REDIS_MAIN_SERVICE_PORT, '6379');
  assert.equal(env.REDIS_MAIN_PORT_6379_TCP, 'tcp://10.43.0.9:6379');
  assert.equal(env.KUBERNETES_SERVICE_HOST, '10.43.0.1');
  assert.equal(env.k, 'v');
  await assert.rejects(containerEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'nope' } } }] }, sources, {}), (err: Error) => err instanceof EnvError && err.message === "couldn't find key nope in ConfigMap apps/cm");
  const optional = await containerEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } }] }, sources, {});
  assert.equal(optional.X, undefined);
});
