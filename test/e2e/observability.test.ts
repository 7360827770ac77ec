/**
 * Issue 15 with kubectl 1.32 on a node that runs real processes:
 * `kubectl top` shows a busy pod's use, an HPA scales a CPU-burning
 * Deployment up and back down, and every component's /metrics passes
 * promtool; the node's endpoint authorizes a token by SubjectAccessReview.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import https from 'node:https';
import { spawn } from 'node:child_process';
import { cliPath, freePort, hostDeployment, startHostProcessCluster, waitFor, type Cluster } from './harness.js';

const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => spawnSync(path, ['--version']).status === 0);
const burn = ['sh', '-c', 'while :; do :; done'];

/** A GET over HTTPS trusting the cluster CA, with a client certificate or a bearer token. */
function get(url: string, options: { ca?: string; cert?: string; key?: string; token?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca: options.ca, rejectUnauthorized: options.ca !== undefined, cert: options.cert, key: options.key, headers: options.token ? { Authorization: `Bearer ${options.token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

describe('observability', () => {
  let cluster: Cluster;
  before(async () => {
    // Short periods, as a test needs them: metrics every second, HPAs synced every second.
    cluster = await startHostProcessCluster(['--metric-resolution', '1s', '--horizontal-pod-autoscaler-sync-period', '1s']);
  });
  after(async () => {
    await cluster?.stop();
  });

  const credentials = async () => {
    const field = async (path: string) => Buffer.from((await cluster.kubectl(['config', 'view', '--raw', '-o', `jsonpath={${path}}`])).stdout, 'base64').toString('utf8');
    return { ca: await field('.clusters[0].cluster.certificate-authority-data'), cert: await field('.users[0].user.client-certificate-data'), key: await field('.users[0].user.client-key-data') };
  };

  test('kubectl top shows the busy pod and the node', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: hostDeployment('burner', burn) });
    await cluster.kubectl(['apply', '-f', '-'], { input: hostDeployment('idler', ['sleep', '3600']) });
    await cluster.kubectl(['rollout', 'status', 'deployment/burner', 'deployment/idler', '--timeout=30s']);

    const nodes = await waitFor(async () => {
      const out = (await cluster.kubectl(['top', 'nodes', '--no-headers'], { allowFailure: true })).stdout;
      if (/^\S+\s+[1-9]\d*m\s+\d+%\s+[1-9]\d*Mi\s+\d+%\s*$/m.test(out)) return out;
      throw new Error(out);
    }, { message: 'kubectl top nodes', timeoutMs: 30_000 });
    assert.equal(nodes.trim().split('\n').length, 1);

    // The busy pod uses at least a tenth of a core; --sort-by=cpu puts it first; -l picks it alone.
    const pods = await waitFor(async () => {
      const out = (await cluster.kubectl(['top', 'pods', '-A', '--containers', '--sort-by=cpu', '--no-headers'], { allowFailure: true })).stdout;
      const lines = out.trim().split('\n').map((line) => line.trimEnd());
      if (lines.length === 2 && /^default\s+burner-\S+\s+burner\s+(\d+)m\s+\d+Mi$/.test(lines[0]) && Number(/(\d+)m/.exec(lines[0])![1]) >= 100) return lines;
      throw new Error(out);
    }, { message: 'kubectl top pods -A --containers --sort-by=cpu', timeoutMs: 30_000 });
    assert.match(pods[1], /^default\s+idler-\S+\s+idler\s+\d+m\s+\d+Mi$/);
    const selected = (await cluster.kubectl(['top', 'pods', '-l', 'app=burner', '--no-headers'])).stdout.trim().split('\n').map((line) => line.trimEnd());
    assert.equal(selected.length, 1);
    assert.match(selected[0], /^burner-\S+\s+\d+m\s+\d+Mi$/);
    // A user who may view a namespace may see its pods' metrics (the aggregated metrics reader role); not the nodes'.
    await cluster.kubectl(['create', 'rolebinding', 'viewer', '--clusterrole=view', '--user=viewer']);
    assert.equal((await cluster.kubectl(['top', 'pods', '--as=viewer'], { allowFailure: true })).code, 0);
    assert.match((await cluster.kubectl(['top', 'nodes', '--as=viewer'], { allowFailure: true })).stderr, /forbidden/);
    await cluster.kubectl(['delete', 'deployment', 'burner', 'idler']);
  });

  test('an HPA scales a CPU-burning Deployment up, and down once the load stops', async () => {
    const deployment = JSON.parse(hostDeployment('web', burn));
    deployment.spec.template.spec.containers[0].resources = { requests: { cpu: '200m' } };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(deployment) });
    await cluster.kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s']);
    assert.equal((await cluster.kubectl(['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=2'])).stdout, 'horizontalpodautoscaler.autoscaling/web autoscaled\n');
    await waitFor(async () => (await cluster.kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])).stdout === '2', { message: 'scaled up to 2', timeoutMs: 40_000 });
    const described = await waitFor(async () => {
      const out = (await cluster.kubectl(['describe', 'hpa', 'web'])).stdout;
      return /ScalingLimited\s+True\s+TooManyReplicas/.test(out) ? out : undefined;
    }, { message: 'the HPA limited by its maximum' });
    assert.match(described, /resource cpu on pods\s+\(as a percentage of request\):\s+\d+% \(\d+m\) \/ 50%/);
    assert.match(described, /Normal\s+SuccessfulRescale\s+.*horizontal-pod-autoscaler\s+New size: 2; reason: cpu resource utilization \(percentage of request\) above target/);
    await waitFor(async () => /^web\s+Deployment\/web\s+cpu: \d+%\/50%\s+1\s+2\s+2\s+/.test((await cluster.kubectl(['get', 'hpa', 'web', '--no-headers'])).stdout), { message: 'kubectl get hpa with 2 replicas' });

    // The load stops; with no stabilization window the HPA scales down at its next sync.
    await cluster.kubectl(['patch', 'hpa', 'web', '--type=merge', '-p', '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}}}']);
    await cluster.kubectl(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/command","value":["sleep","3600"]}]']);
    await waitFor(async () => (await cluster.kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])).stdout === '1', { message: 'scaled down to 1', timeoutMs: 60_000 });
    assert.match((await cluster.kubectl(['describe', 'hpa', 'web'])).stdout, /New size: 1; reason: All metrics below target/);
  });

  test("every component's /metrics passes promtool; the node authorizes tokens by SubjectAccessReview", async () => {
    const node = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const texts: Record<string, string> = {};
    for (const path of ['metrics', 'metrics/resource', 'metrics/cadvisor']) texts[`node /${path}`] = (await cluster.kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/${path}`])).stdout;
    assert.match(texts['node /metrics'], /^kubelet_running_pods \d+$/m);
    assert.match(texts['node /metrics/resource'], /^node_cpu_usage_seconds_total [\d.e+]+ \d+$/m);
    assert.match(texts['node /metrics/cadvisor'], /^machine_cpu_cores\{[^}]*\} \d+/m);
    // The scheduler's and controller manager's secure ports and the network's metrics port, as skiff printed them.
    const { ca, cert, key } = await credentials();
    for (const component of ['scheduler', 'controller-manager', 'network']) {
      const url = new RegExp(`"component":"${component}","msg":"${component} serving metrics","url":"([^"]+)"`).exec(cluster.output())?.[1];
      assert.ok(url, `${component}'s metrics URL in the log`);
      const answer = url.startsWith('https:') ? await get(url, { ca, cert, key }) : { status: 200, body: await (await fetch(url)).text() };
      assert.equal(answer.status, 200, `${component}: ${answer.body}`);
      texts[component] = answer.body;
    }
    assert.match(texts.scheduler, /^scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} [1-9]\d*$/m);
    assert.match(texts['controller-manager'], /^workqueue_adds_total\{name="deployment"\} [1-9]\d*$/m);
    if (promtool) {
      for (const [name, text] of Object.entries(texts)) {
        const check = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' }) as { stdout: string; stderr: string };
        // A counter named as upstream names it (kubelet_evictions, without _total) is promtool's only remark allowed.
        const remarks: string[] = `${check.stdout}${check.stderr}`.split('\n').filter((line) => line.trim() && !/kubelet_evictions counter metrics should have "_total" suffix/.test(line));
        assert.deepEqual(remarks, [], `promtool on ${name}`);
      }
    }

    // Straight at the node's endpoint: a token without rights is refused by the apiserver's SubjectAccessReview, as the kubelet refuses.
    const address = (await cluster.kubectl(['get', 'node', node, '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}'])).stdout;
    const port = (await cluster.kubectl(['get', 'node', node, '-o', 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}'])).stdout;
    await cluster.kubectl(['create', 'serviceaccount', 'nobody']);
    const token = (await cluster.kubectl(['create', 'token', 'nobody'])).stdout.trim();
    const refused = await get(`https://${address}:${port}/metrics`, { ca, token });
    assert.equal(refused.status, 403);
    assert.equal(refused.body, 'Forbidden (user=system:serviceaccount:default:nobody, verb=get, resource=nodes, subresource(s)=[metrics])\n');
    assert.equal((await get(`https://${address}:${port}/metrics`, { ca, token: 'not-a-token' })).status, 401);
    // Granted nodes/metrics, another account reads them (the node keeps a refusal for 30 s, as the kubelet does).
    await cluster.kubectl(['create', 'serviceaccount', 'scraper']);
    await cluster.kubectl(['create', 'clusterrole', 'node-metrics', '--verb=get', '--resource=nodes/metrics']);
    await cluster.kubectl(['create', 'clusterrolebinding', 'scraper-node-metrics', '--clusterrole=node-metrics', '--serviceaccount=default:scraper']);
    const granted = (await cluster.kubectl(['create', 'token', 'scraper'])).stdout.trim();
    const allowed = await get(`https://${address}:${port}/metrics/resource`, { ca, token: granted });
    assert.equal(allowed.status, 200, allowed.body);
    assert.match(allowed.body, /^node_memory_working_set_bytes /m);
  });

  test('a scheduler run alone serves its metrics on --secure-port, self-signed, behind the same checks', async () => {
    const port = await freePort();
    const scheduler = spawn(process.execPath, [cliPath(), 'scheduler', '--kubeconfig', cluster.kubeconfig, '--secure-port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    scheduler.stdout.on('data', (chunk) => (output += chunk));
    scheduler.stderr.on('data', (chunk) => (output += chunk));
    try {
      const { cert, key } = await credentials();
      // Self-signed, as upstream's without --tls-cert-file: the test does not check the server's certificate.
      const metrics = await waitFor(async () => {
        const answer = await get(`https://127.0.0.1:${port}/metrics`, { cert, key });
        return answer.status === 200 ? answer.body : undefined;
      }, { message: `the scheduler's metrics (${output})` });
      assert.match(metrics, /^# TYPE scheduler_pending_pods gauge$/m);
      const anonymous = await get(`https://127.0.0.1:${port}/metrics`, {});
      assert.equal(anonymous.status, 403);
      assert.equal(JSON.parse(anonymous.body).message, 'forbidden: User "system:anonymous" cannot get path "/metrics"');
      assert.equal((await get(`https://127.0.0.1:${port}/healthz`, {})).body, 'ok');
    } finally {
      scheduler.kill('SIGTERM');
    }
  });
});
