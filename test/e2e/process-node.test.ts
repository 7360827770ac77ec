/**
 * `skiff up --runtime process` as an ordinary user: pods really run, as
 * plain processes on the host network. A Deployment of a small HTTP server
 * answers on this machine; a Job's command runs to completion; deleting the
 * Deployment stops the server. (When the tests run as root, skiff runs as
 * `nobody` here; node-isolation.test.ts covers isolated pods.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, onHost, hostDeployment, waitFor, type Cluster, startHostProcessCluster } from './harness.js';

async function status(url: string): Promise<number> {
  try {
    return (await fetch(url)).status;
  } catch {
    return 0;
  }
}

describe('skiff up --runtime process', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startHostProcessCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a Deployment of an HTTP server serves; a Job completes; deletion stops the server', async () => {
    const port = await freePort();
    await cluster.kubectl(['apply', '-f', '-'], { input: hostDeployment('srv', [process.execPath, '-e', `process.on('SIGTERM', () => process.exit(0)); require('http').createServer((q, s) => s.end('hi')).listen(${port})`], { image: 'node' }) });
    await cluster.kubectl(['rollout', 'status', 'deployment/srv', '--timeout=30s']);
    // On the host network: the pod's IP is the node's.
    const podIP = (await cluster.kubectl(['get', 'pods', '-l', 'app=srv', '-o', 'jsonpath={.items[0].status.podIP}'])).stdout;
    const nodeIP = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).stdout;
    assert.equal(podIP, nodeIP);
    const nodeEvents = (await cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.kind=Node'])).stdout;
    // Rootless where the kernel lets an ordinary user make user namespaces (with overlays in them), plain processes otherwise.
    assert.match(nodeEvents, /NoIsolation.*not running as root, and the kernel lets no ordinary user|Rootless.*rootless: not running as root/);
    const isolation = JSON.parse((await cluster.kubectl(['get', 'nodes', '-o', 'json'])).stdout).items[0].status.conditions.find((c: { type: string }) => c.type === 'ContainerIsolation');
    assert.ok(isolation?.reason === 'Rootless' || isolation?.reason === 'NoIsolation', JSON.stringify(isolation));
    const url = `http://${podIP}:${port}/`;
    await waitFor(async () => (await status(url)) === 200, { message: 'the server answers' });

    // The user-space service proxy: a NodePort on every address, the ClusterIP at its 127.x.y.z twin.
    const servicePort = await freePort();
    await cluster.kubectl(['expose', 'deployment', 'srv', '--type=NodePort', `--port=${servicePort}`, `--target-port=${port}`]);
    const clusterIP = (await cluster.kubectl(['get', 'service', 'srv', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    const nodePort = (await cluster.kubectl(['get', 'service', 'srv', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).stdout;
    await waitFor(async () => (await status(`http://127.0.0.1:${nodePort}/`)) === 200, { message: 'the NodePort through the user-space proxy' });
    await waitFor(async () => (await status(`http://127.${clusterIP.split('.').slice(1).join('.')}:${servicePort}/`)) === 200, { message: "the ClusterIP's loopback twin" });

    await cluster.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once' }, spec: { template: { spec: { runtimeClassName: 'host', restartPolicy: 'Never', containers: [{ name: 'once', image: 'busybox', command: ['sh', '-c', 'echo done'] }] } } } }),
    });
    await cluster.kubectl(['wait', '--for=condition=complete', 'job/once', '--timeout=30s']);

    // The server is the init of its PID namespace when the node is rootless: it says how SIGTERM ends it
    // (Node.js's own handler re-raises it, which the kernel ignores for an init — as under containerd).
    await cluster.kubectl(['delete', 'deployment', 'srv']);
    await waitFor(async () => (await status(url)) === 0, { message: 'the server stopped' });
    assert.equal(await status(url), 0);
  });

  test('a pod that asks for AppArmor is held back (Pending, reason AppArmor, Blocked), as the kubelet holds it where it cannot enforce it', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'confined' },
      spec: { runtimeClassName: 'host', securityContext: { appArmorProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '60'] }] },
    };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });
    const held = await waitFor(async () => {
      const status = JSON.parse((await cluster.kubectl(['get', 'pod', 'confined', '-o', 'jsonpath={.status}'])).stdout || '{}') as { phase?: string; reason?: string; message?: string; containerStatuses?: { state?: { waiting?: { reason?: string } } }[] };
      return status.reason ? status : undefined;
    }, { message: 'the pod held back' });
    assert.deepEqual(
      [held.phase, held.reason, held.message, held.containerStatuses?.[0]?.state?.waiting?.reason],
      ['Pending', 'AppArmor', "Cannot enforce AppArmor: skiff's process runtime does not apply AppArmor profiles (use --runtime containerd on a host with AppArmor)", 'Blocked'],
    );
    // kubectl shows the containers' reason, as with a kubelet.
    assert.match((await cluster.kubectl(['get', 'pod', 'confined', '--no-headers'])).stdout, /\sBlocked\s/);
    await cluster.kubectl(['delete', 'pod', 'confined', '--timeout=30s']);
  });

  test('kubectl logs shows what a container printed; -f follows it', async () => {
    await cluster.kubectl(['run', 'printer', '--image=busybox', onHost, '--restart=Never', '--command', '--', 'sh', '-c', 'echo one; echo two >&2']);
    await cluster.kubectl(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/printer', '--timeout=30s']);
    const logs = await cluster.kubectl(['logs', 'printer']);
    assert.equal(logs.stdout, 'one\ntwo\n');
    const tail = await cluster.kubectl(['logs', 'printer', '--tail=1']);
    assert.equal(tail.stdout, 'two\n');
    const described = await waitFor(async () => {
      const out = (await cluster.kubectl(['describe', 'pod', 'printer'])).stdout;
      return /Started container printer/.test(out) ? out : undefined;
    }, { message: 'the kubelet events' });
    for (const line of [/Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned default\/printer to /, /Normal\s+Pulled\s+.*kubelet\s+Container image "busybox" already present on machine/, /Normal\s+Created\s+.*kubelet\s+Created container: printer/]) {
      assert.match(described, line);
    }

    await cluster.kubectl(['run', 'ticker', '--image=busybox', onHost, '--command', '--', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']);
    await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/ticker', '--timeout=30s']);
    const follow = cluster.kubectlStream(['logs', '-f', 'ticker']);
    try {
      await follow.stdout.waitForLine(/^tick 3$/, { message: 'followed lines' });
    } finally {
      await follow.stop();
    }
  });

  test('kubectl logs --previous shows the attempt before; logs sit in the kubelet layout with flat links', async () => {
    await cluster.kubectl(['run', 'crasher', '--image=busybox', onHost, '--command', '--', 'sh', '-c', 'echo "attempt $(cat /proc/sys/kernel/random/uuid)"; exit 1']);
    const uid = (await cluster.kubectl(['get', 'pod', 'crasher', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    await waitFor(async () => Number((await cluster.kubectl(['get', 'pod', 'crasher', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).stdout) >= 1, { message: 'a restart', timeoutMs: 40_000 });
    const current = await waitFor(async () => {
      const out = (await cluster.kubectl(['logs', 'crasher'])).stdout;
      return out ? out : undefined;
    }, { message: "the second attempt's output" });
    const previous = (await cluster.kubectl(['logs', 'crasher', '--previous'])).stdout;
    assert.match(previous, /^attempt [\w-]+\n$/);
    assert.match(current, /^attempt [\w-]+\n$/);
    assert.notEqual(previous, current);
    const podDir = join(cluster.dataDir, 'logs', 'pods', `default_crasher_${uid}`, 'crasher');
    assert.equal(readFileSync(join(podDir, '0.log'), 'utf8').split(' ').slice(1).join(' '), `stdout F ${previous}`);
    const links = readdirSync(join(cluster.dataDir, 'logs', 'containers')).filter((name) => name.startsWith('crasher_default_crasher-'));
    assert.ok(links.length >= 1 && links.every((name) => /^crasher_default_crasher-[\w-]+\.log$/.test(name)), links.join(' '));
    await cluster.kubectl(['delete', 'pod', 'crasher', '--wait=true']);
    await waitFor(async () => !existsSync(podDir), { message: "the pod's logs removed with it" });
    assert.deepEqual(readdirSync(join(cluster.dataDir, 'logs', 'containers')).filter((name) => name.startsWith('crasher_')), []);
  });

  test('kubectl exec runs a command beside the container: output, stdin, exit code', async () => {
    await cluster.kubectl(['run', 'box', '--image=busybox', onHost, '--command', '--', 'sleep', '60']);
    await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/box', '--timeout=30s']);
    const hello = await cluster.kubectl(['exec', 'box', '--', 'sh', '-c', 'echo hello from exec']);
    assert.equal(hello.stdout, 'hello from exec\n');
    const piped = await cluster.kubectl(['exec', '-i', 'box', '--', 'cat'], { input: 'piped input\n' });
    assert.equal(piped.stdout, 'piped input\n');
    const failed = await cluster.kubectl(['exec', 'box', '--', 'sh', '-c', 'exit 3'], { allowFailure: true });
    assert.equal(failed.code, 3);
    assert.match(failed.stderr, /command terminated with exit code 3/);

    // kubectl cp is tar over exec: with the process runtime the files are the node's.
    const dir = mkdtempSync(join(tmpdir(), 'skiff-cp-'));
    chmodSync(dir, 0o777);
    try {
      writeFileSync(join(dir, 'in.txt'), 'copied content\n');
      await cluster.kubectl(['cp', join(dir, 'in.txt'), `box:${join(dir, 'there.txt')}`]);
      assert.equal(readFileSync(join(dir, 'there.txt'), 'utf8'), 'copied content\n');
      await cluster.kubectl(['cp', `box:${join(dir, 'there.txt')}`, join(dir, 'back.txt')]);
      assert.equal(readFileSync(join(dir, 'back.txt'), 'utf8'), 'copied content\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('kubectl run -i attaches to the container: stdin in, stdout out', async () => {
    const run = await cluster.kubectl(['run', 'catter', '--image=busybox', onHost, '--restart=Never', '-i', '--command', '--', 'cat'], { input: 'line from stdin\n' });
    assert.equal(run.stdout, 'line from stdin\n');
    await cluster.kubectl(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/catter', '--timeout=30s']);
  });
});
