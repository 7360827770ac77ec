/**
 * `skiff up` on the same data dir continues the same cluster: objects,
 * their uids and resourceVersions survive a graceful stop, and Service
 * ClusterIPs handed out before the restart are not handed out again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness.js';

const namespace = 'durable';

function servicesManifest(prefix: string, count: number): string {
  return Array.from(
    { length: count },
    (_, i) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${prefix}-${i}\nspec:\n  selector:\n    app: ${prefix}\n  ports:\n  - port: ${8000 + i}\n`,
  ).join('---\n');
}

interface Summary {
  uid: string;
  resourceVersion: string;
  clusterIP?: string;
}

describe('restart', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  const snapshot = async (): Promise<Map<string, Summary>> => {
    const list = JSON.parse((await cluster.kubectl(['get', 'namespaces,configmaps,deployments,services,secrets', '-A', '-o', 'json'])).stdout);
    const summary = new Map<string, Summary>();
    for (const item of list.items) {
      const key = `${item.kind}/${item.metadata.namespace ?? ''}/${item.metadata.name}`;
      summary.set(key, { uid: item.metadata.uid, resourceVersion: item.metadata.resourceVersion, clusterIP: item.spec?.clusterIP });
    }
    return summary;
  };

  test('objects survive a graceful stop and start on the same data dir', async () => {
    await cluster.kubectl(['create', 'namespace', namespace]);
    await cluster.kubectl(['-n', namespace, 'create', 'configmap', 'kept', '--from-literal=a=1']);
    await cluster.kubectl(['-n', namespace, 'create', 'secret', 'generic', 'kept', '--from-literal=password=s3cret']);
    await cluster.kubectl(['-n', namespace, 'create', 'deployment', 'kept', '--image=nginx:1.27', '--replicas=2']);
    await cluster.kubectl(['-n', namespace, 'apply', '-f', '-'], { input: servicesManifest('before', 10) });
    const kubeconfigBefore = cluster.kubeconfig;
    const before = await snapshot();

    await cluster.restart();

    assert.equal(cluster.kubeconfig, kubeconfigBefore);
    const afterRestart = await snapshot();
    for (const [key, summary] of before) {
      const now = afterRestart.get(key);
      assert.ok(now, `${key} is gone after the restart`);
      assert.equal(now.uid, summary.uid, `${key} uid`);
      // Only kinds no controller writes to: their resourceVersion must be exactly what it was.
      if (/^(ConfigMap|Secret)\//.test(key) && key.includes(`/${namespace}/`)) assert.equal(now.resourceVersion, summary.resourceVersion, `${key} resourceVersion`);
    }
    const secret = JSON.parse((await cluster.kubectl(['-n', namespace, 'get', 'secret', 'kept', '-o', 'json'])).stdout);
    assert.equal(Buffer.from(secret.data.password, 'base64').toString(), 's3cret');

    // The store continues: a write after the restart works and a list still sees everything.
    await cluster.kubectl(['-n', namespace, 'label', 'configmap', 'kept', 'after=restart']);
    assert.equal((await cluster.kubectl(['-n', namespace, 'get', 'configmap', '-l', 'after=restart', '-o', 'name'])).stdout, 'configmap/kept\n');
  });

  test('ClusterIPs allocated before a restart are not handed out again after it', async () => {
    await cluster.kubectl(['-n', namespace, 'apply', '-f', '-'], { input: servicesManifest('after', 20) });
    const ips = JSON.parse((await cluster.kubectl(['get', 'services', '-A', '-o', 'json'])).stdout).items.map(
      (item: { metadata: { namespace: string; name: string }; spec: { clusterIP: string } }) => `${item.spec.clusterIP} ${item.metadata.namespace}/${item.metadata.name}`,
    ) as string[];
    assert.equal(ips.length, 32, ips.join('\n')); // kubernetes, kube-dns, 10 + 20
    const byIp = new Map<string, string[]>();
    for (const entry of ips) {
      const [ip, name] = entry.split(' ');
      byIp.set(ip, [...(byIp.get(ip) ?? []), name]);
    }
    const duplicates = [...byIp].filter(([, names]) => names.length > 1);
    assert.deepEqual(duplicates, [], 'a ClusterIP was handed out twice');
    for (const ip of byIp.keys()) assert.match(ip, /^10\.43\.\d+\.\d+$/);
  });

  test('a second restart after deleting a Service keeps the others and frees nothing twice', async () => {
    await cluster.kubectl(['-n', namespace, 'delete', 'service', 'before-0']);
    const before = await snapshot();
    await cluster.restart();
    const afterRestart = await snapshot();
    assert.equal(afterRestart.has(`Service/${namespace}/before-0`), false);
    for (const [key, summary] of before) assert.equal(afterRestart.get(key)?.clusterIP, summary.clusterIP, key);
  });
});
