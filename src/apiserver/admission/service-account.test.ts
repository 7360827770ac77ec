import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../machinery/object.js';
import { serviceAccountMountPath, serviceAccountPlugin } from './service-account.js';
import type { AdmissionAttributes } from './chain.js';

const accounts = new Map<string, KubeObject & { automountServiceAccountToken?: boolean }>([
  ['ns/default', { metadata: { name: 'default', namespace: 'ns' } }],
  ['ns/quiet', { metadata: { name: 'quiet', namespace: 'ns' }, automountServiceAccountToken: false }],
]);
const plugin = serviceAccountPlugin({ get: async (ns, name) => accounts.get(`${ns}/${name}`) });

async function admit(spec: Record<string, unknown>): Promise<{ spec: Record<string, unknown> & { volumes?: { name: string; projected?: unknown }[]; containers: { volumeMounts?: { name: string; mountPath: string }[] }[] } }> {
  const pod = { metadata: { name: 'p', namespace: 'ns' }, spec };
  await plugin.admit!({ operation: 'CREATE', type: { group: '', resource: 'pods' }, namespace: 'ns', object: pod } as unknown as AdmissionAttributes);
  return pod as never;
}

test('a pod runs as default and gets the kube-api-access volume in every container', async () => {
  const pod = await admit({ containers: [{ name: 'a' }, { name: 'b', volumeMounts: [{ name: 'x', mountPath: '/x' }] }] });
  assert.equal(pod.spec.serviceAccountName, 'default');
  const volume = pod.spec.volumes![0];
  assert.match(volume.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(
    pod.spec.containers.map((c) => c.volumeMounts?.find((m) => m.mountPath === serviceAccountMountPath)?.name),
    [volume.name, volume.name],
  );
});

test('automountServiceAccountToken false (pod or account) and an existing mount leave the pod alone', async () => {
  assert.equal((await admit({ automountServiceAccountToken: false, containers: [{ name: 'a' }] })).spec.volumes, undefined);
  assert.equal((await admit({ serviceAccountName: 'quiet', containers: [{ name: 'a' }] })).spec.volumes, undefined);
  assert.ok((await admit({ serviceAccountName: 'quiet', automountServiceAccountToken: true, containers: [{ name: 'a' }] })).spec.volumes, 'the pod overrides its account');
  assert.equal((await admit({ containers: [{ name: 'a', volumeMounts: [{ name: 'mine', mountPath: serviceAccountMountPath }] }] })).spec.volumes, undefined);
});
