/**
 * The official Python client (`kubernetes`, Debian's python3-kubernetes)
 * against a real `skiff up`: each scenario in clients/python_scenarios.py
 * runs in a namespace of its own and prints what it saw as JSON.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type Cluster, startHostProcessCluster } from './harness.js';

/** Debian's python3 (the one python3-kubernetes installs into), not whatever python3 is first on PATH. */
const python = '/usr/bin/python3';
const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'e2e', 'clients', 'python_scenarios.py');
const available = spawnSync(python, ['-c', 'import kubernetes'], { encoding: 'utf8' }).status === 0;

describe('the Python client', { skip: available ? false : 'python3-kubernetes is not installed (apt-get install python3-kubernetes)' }, () => {
  let cluster: Cluster;
  before(async () => {
    // Pods as plain host processes (skiff as nobody when the tests run as root): no network lock needed.
    cluster = await startHostProcessCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  async function run(scenario: string, ...extra: string[]): Promise<Record<string, unknown>> {
    const namespace = `py-${scenario.replace(/_/g, '-')}`;
    await cluster.kubectl(['create', 'namespace', namespace]);
    const result = spawnSync(python, [script, scenario, namespace, ...extra], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
    if (result.status !== 0) assert.fail(`python scenario ${scenario} failed (${result.status ?? result.signal}):\n${result.stderr}\n--- server output (tail):\n${cluster.output().slice(-3000)}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  test('create, read, list by label, patch and delete a ConfigMap', async () => {
    assert.deepEqual(await run('crud'), { read: { a: '1' }, listed: ['py'], patched: { a: '1', b: '2' }, gone: true });
  });

  test('a CRD from the typed apiextensions client; its objects through CustomObjectsApi and server-side apply', async () => {
    assert.deepEqual(await run('custom_resources'), {
      listed: [['g', 2]],
      invalid: [422, 'Invalid'],
      applied: { size: 3 },
      managers: ['OpenAPI-Generator/Update', 'python/Apply'],
    });
  });

  test('the access reviews through AuthorizationV1Api answer as RBAC decides', async () => {
    assert.deepEqual(await run('access_reviews'), {
      self: true,
      alice_list: true,
      alice_delete: false,
      local_get: true,
      admin_may_do_anything: true,
      invalid: [422, 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified'],
    });
  });

  test('metrics.k8s.io through CustomObjectsApi, an autoscaling/v1 HPA and a TokenReview', async () => {
    assert.deepEqual(await run('metrics_autoscaling_tokens'), {
      node_kind: 'NodeMetricsList',
      node_cpu_nanocores: true,
      node_memory_ki: true,
      window: true,
      hpa: [1, 3, 60],
      token: [true, 'system:serviceaccount:py-metrics-autoscaling-tokens:reader'],
      bad_token: [false, 'invalid bearer token'],
    });
  });

  test('a dry-run delete (DeleteOptions body or query) deletes nothing', async () => {
    assert.deepEqual(await run('dry_run_delete'), { still_there: { a: '1' } });
  });

  test('watch=True is a watch: an object created meanwhile arrives as ADDED', async () => {
    assert.deepEqual(await run('watch'), { events: [['ADDED', 'seed'], ['ADDED', 'watched']] });
  });

  test('exec with stdin=True, logs with follow=True, and port-forward reach a running pod', async () => {
    const port = await freePort();
    assert.deepEqual(await run('exec_logs_portforward', String(port), process.execPath), { exec: 'from stdin\n', logs: ['line one', 'line two'], port_forward: true });
  });
});
