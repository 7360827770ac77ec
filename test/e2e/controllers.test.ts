/**
 * Desired state becomes objects: deployments, rollouts, rollbacks, cascading
 * deletion and namespace deletion, driven by the real kubectl against
 * `skiff up` and its controller manager. No node agent runs yet, so the
 * test plays the node: it marks pods Running and Ready with
 * `kubectl patch --subresource=status`, as a kubelet would report them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from './harness.js';

const namespace = 'apps';

interface Item {
  metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: { name: string }[]; labels?: Record<string, string> };
  spec?: { replicas?: number; template?: { spec?: { containers?: { image: string }[] } } };
}

describe('controllers through kubectl', () => {
  let cluster: Cluster;
  const k = (args: string[], options?: Parameters<Cluster['kubectl']>[1]) => cluster.kubectl(['-n', namespace, ...args], options);
  const items = async (what: string, selector?: string): Promise<Item[]> =>
    JSON.parse((await k(['get', what, '-o', 'json', ...(selector ? ['-l', selector] : [])])).stdout).items;

  /** Reports every pod of the namespace that is not yet ready as Running and Ready. */
  const playNode = async (): Promise<void> => {
    const pods = JSON.parse((await k(['get', 'pods', '-o', 'json'])).stdout).items as { metadata: { name: string; deletionTimestamp?: string }; status?: { phase?: string } }[];
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const status = JSON.stringify({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } });
    for (const pod of pods) {
      if (pod.status?.phase === 'Running' || pod.metadata.deletionTimestamp) continue;
      await k(['patch', 'pod', pod.metadata.name, '--subresource=status', '--type=merge', '-p', status], { allowFailure: true });
    }
  };

  before(async () => {
    cluster = await startCluster();
    await cluster.kubectl(['create', 'namespace', namespace]);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('create → scale → set image → rollout undo → rollout history', async () => {
    await k(['create', 'deployment', 'web', '--image=nginx:1.26', '--replicas=2']);
    await waitFor(async () => (await items('pods', 'app=web')).length === 2, { message: 'two pods' });

    await k(['scale', 'deployment', 'web', '--replicas=4']);
    await waitFor(async () => (await items('pods', 'app=web')).length === 4, { message: 'four pods' });

    await playNode();
    await k(['rollout', 'status', 'deployment/web', '--timeout=20s']);
    await k(['set', 'image', 'deployment/web', 'nginx=nginx:1.27']);
    const rolled = await waitFor(
      async () => {
        await playNode();
        const sets = await items('rs', 'app=web');
        const fresh = sets.find((rs) => rs.spec?.template?.spec?.containers?.[0].image === 'nginx:1.27');
        const old = sets.find((rs) => rs !== fresh);
        return fresh?.spec?.replicas === 4 && old?.spec?.replicas === 0 ? { fresh, old } : undefined;
      },
      { message: 'the new ReplicaSet at 4 and the old at 0' },
    );
    assert.equal(rolled.fresh.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.match((await k(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.annotations}'])).stdout, /"deployment.kubernetes.io\/revision":"2"/);

    assert.equal((await k(['rollout', 'undo', 'deployment/web'])).stdout, 'deployment.apps/web rolled back\n');
    await waitFor(
      async () => {
        await playNode();
        const sets = await items('rs', 'app=web');
        return sets.find((rs) => rs.metadata.name === rolled.old.metadata.name)?.spec?.replicas === 4;
      },
      { message: 'the first ReplicaSet back at 4 replicas' },
    );
    const history = (await k(['rollout', 'history', 'deployment/web'])).stdout;
    assert.match(history, /^REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n/m);
    const revision2 = (await k(['rollout', 'history', 'deployment/web', '--revision=2'])).stdout;
    assert.match(revision2, /Image:\s+nginx:1\.27/);
  });

  test('delete --cascade=orphan keeps the pods, background and foreground remove them', async () => {
    for (const name of ['keep', 'bg', 'fg']) await k(['create', 'deployment', name, '--image=busybox', '--replicas=1']);
    for (const name of ['keep', 'bg', 'fg']) await waitFor(async () => (await items('pods', `app=${name}`)).length === 1, { message: `the pod of ${name}` });

    await k(['delete', 'deployment', 'keep', '--cascade=orphan']);
    const sets = await waitFor(async () => {
      const list = await items('rs', 'app=keep');
      return list.length === 1 && !list[0].metadata.ownerReferences?.length ? list : undefined;
    }, { message: 'the orphaned ReplicaSet without owner' });
    assert.equal(sets.length, 1);
    assert.equal((await items('pods', 'app=keep')).length, 1);

    await k(['delete', 'deployment', 'bg', '--cascade=background']);
    await waitFor(async () => (await items('rs,pods', 'app=bg')).length === 0, { message: 'background cascade' });

    // Foreground: kubectl waits until the owner is gone, which is after its dependents.
    await k(['delete', 'deployment', 'fg', '--cascade=foreground', '--timeout=30s']);
    assert.deepEqual(await items('rs,pods', 'app=fg'), []);
  });

  test('deleting a namespace deletes what is in it', async () => {
    await cluster.kubectl(['create', 'namespace', 'short-lived']);
    await cluster.kubectl(['-n', 'short-lived', 'create', 'deployment', 'tmp', '--image=busybox', '--replicas=2']);
    await cluster.kubectl(['-n', 'short-lived', 'create', 'configmap', 'settings', '--from-literal=a=b']);
    await waitFor(async () => JSON.parse((await cluster.kubectl(['-n', 'short-lived', 'get', 'pods', '-o', 'json'])).stdout).items.length === 2, { message: 'pods in short-lived' });
    const deleted = await cluster.kubectl(['delete', 'namespace', 'short-lived', '--timeout=30s']);
    assert.equal(deleted.stdout, 'namespace "short-lived" deleted\n');
    const after = await cluster.kubectl(['get', 'namespace', 'short-lived'], { allowFailure: true });
    assert.equal(after.stderr, 'Error from server (NotFound): namespaces "short-lived" not found\n');
  });

  test('every namespace gets a default ServiceAccount', async () => {
    await waitFor(async () => (await k(['get', 'serviceaccount', 'default', '-o', 'name'], { allowFailure: true })).stdout === 'serviceaccount/default\n', {
      message: 'the default ServiceAccount',
    });
  });

  /** Ends a pod as a kubelet would report it. */
  const finishPod = async (name: string, phase: 'Succeeded' | 'Failed'): Promise<void> => {
    await k(['patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase } })]);
  };

  test('a Job completes once its pod succeeds; kubectl wait sees it', async () => {
    await k(['create', 'job', 'hello', '--image=busybox', '--', 'echo', 'hi']);
    const [pod] = await waitFor(async () => {
      const pods = await items('pods', 'batch.kubernetes.io/job-name=hello');
      return pods.length === 1 ? pods : undefined;
    }, { message: 'the job pod' });
    await finishPod(pod.metadata.name, 'Succeeded');
    await k(['wait', '--for=condition=complete', 'job/hello', '--timeout=20s']);
    const described = await k(['get', 'job', 'hello', '-o', 'jsonpath={.status.succeeded} {.status.completionTime}']);
    assert.match(described.stdout, /^1 \d{4}-\d\d-\d\dT/);
    const table = await k(['get', 'job', 'hello']);
    assert.match(table.stdout, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nhello\s+Complete\s+1\/1\s+/);
  });

  test('a CronJob creates Jobs on its schedule', async () => {
    await k(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=@every 2s', '--', 'date']);
    const created = await waitFor(async () => {
      const jobs = await items('jobs');
      const owned = jobs.filter((job) => job.metadata.ownerReferences?.[0]?.name === 'tick');
      return owned.length > 0 ? owned : undefined;
    }, { message: 'a Job from the CronJob', timeoutMs: 20_000 });
    assert.match(created[0].metadata.name, /^tick-\d+$/);
    const cron = await k(['get', 'cronjob', 'tick', '-o', 'jsonpath={.status.lastScheduleTime}']);
    assert.match(cron.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await k(['patch', 'cronjob', 'tick', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
  });

  test('StatefulSet: ordered names, rollout status, history and undo through ControllerRevisions', async () => {
    const manifest = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  podManagementPolicy: Parallel
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: main, image: "postgres:16"}]}
`;
    await k(['apply', '-f', '-'], { input: manifest });
    await waitFor(async () => {
      await playNode();
      return (await items('pods', 'app=db')).length === 2;
    }, { message: 'db-0 and db-1' });
    assert.deepEqual((await items('pods', 'app=db')).map((p) => p.metadata.name).sort(), ['db-0', 'db-1']);
    await waitFor(async () => {
      await playNode();
      return (await k(['rollout', 'status', 'statefulset/db', '--timeout=1s'], { allowFailure: true })).code === 0;
    }, { message: 'the first rollout' });
    await k(['set', 'image', 'statefulset/db', 'main=postgres:17']);
    await waitFor(async () => {
      await playNode();
      const pods = await items('pods', 'app=db');
      return pods.length === 2 && pods.every((p) => (p as { spec?: { containers?: { image: string }[] } }).spec?.containers?.[0].image === 'postgres:17');
    }, { message: 'both pods on postgres:17' });
    const history = await k(['rollout', 'history', 'statefulset/db']);
    assert.match(history.stdout, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    await k(['rollout', 'undo', 'statefulset/db']);
    const image = await k(['get', 'statefulset', 'db', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    assert.equal(image.stdout, 'postgres:16');
    await waitFor(async () => /\n2\s+<none>\n3\s+<none>/.test((await k(['rollout', 'history', 'statefulset/db'])).stdout), { message: 'revision 1 renumbered as 3' });
  });

  test('StatefulSet with volumeClaimTemplates: kubectl apply is accepted and each pod gets its claim (issue 11)', async () => {
    const manifest = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kv}
spec:
  replicas: 2
  podManagementPolicy: Parallel
  serviceName: kv
  selector: {matchLabels: {app: kv}}
  template:
    metadata: {labels: {app: kv}}
    spec:
      containers:
      - name: main
        image: "redis:7"
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`;
    const applied = await k(['apply', '-f', '-'], { input: manifest });
    assert.match(applied.stdout, /statefulset.apps\/kv created/);
    const claims = await waitFor(async () => {
      const out = (await k(['get', 'pvc', '-l', 'app=kv', '-o', 'name'])).stdout.trim();
      return out.split('\n').length === 2 ? out : undefined;
    }, { message: 'two claims' });
    assert.deepEqual(claims.split('\n').sort(), ['persistentvolumeclaim/data-kv-0', 'persistentvolumeclaim/data-kv-1']);
    const table = await k(['get', 'pvc', 'data-kv-0']);
    assert.match(table.stdout, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS/);
    await waitFor(async () => (await items('pods', 'app=kv')).length === 2, { message: 'kv-0 and kv-1' });
    const claimOfKv1 = await k(['get', 'pod', 'kv-1', '-o', 'jsonpath={.spec.volumes[?(@.name=="data")].persistentVolumeClaim.claimName}']);
    assert.equal(claimOfKv1.stdout, 'data-kv-1');
    // Deleting the StatefulSet keeps the claims (whenDeleted: Retain by default).
    await k(['delete', 'statefulset', 'kv']);
    await waitFor(async () => (await items('pods', 'app=kv')).length === 0, { message: 'the pods gone' });
    assert.equal((await k(['get', 'pvc', '-l', 'app=kv', '-o', 'name'])).stdout.trim().split('\n').length, 2);
  });
});
