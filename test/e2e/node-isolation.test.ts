/**
 * The node agent's acceptance, with the real kubectl against `skiff up` as
 * root: pods run isolated (their own IP, hostname, /etc/hosts, PID
 * namespace, cgroup limits), volumes behave, restarts follow upstream's
 * rules, the streaming commands work (logs -f, exec -it through a
 * terminal, port-forward, cp), and a kill -9 of skiff leaves the pods
 * running, adopted by the next start.
 *
 * Isolation needs root (network namespaces, cgroups, mounts): as an
 * ordinary user these tests are skipped, and process-node.test.ts covers
 * plain processes.
 * Every pod asks for runtimeClassName: host: these tests run commands on the node's file system (no image is pulled).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, holdNetworkTestLock, hostDeployment, onHost, startCluster, waitFor, type Cluster } from './harness.js';
import { kubectlPath } from './tools.js';
import { canIsolate } from '../../src/node/runtime/process/runtime.js';
import { serviceProxyAvailable } from '../../src/network/index.js';

const isolated = canIsolate();
/**
 * Services work as root in either proxy mode: nftables where nft is installed (by .ci/run), the
 * user-space proxy on skiff-svc0 otherwise (userspace-proxy.test.ts forces that one). NetworkPolicy
 * and session affinity need nftables.
 */
const nftables = isolated && serviceProxyAvailable();

interface ContainerStatus {
  containerID?: string;
  restartCount: number;
  state: { running?: object; waiting?: { reason: string; message?: string }; terminated?: { exitCode: number; reason: string } };
  lastState: { terminated?: { exitCode: number; reason: string } };
}

describe('node agent, isolated pods (as root)', { skip: isolated ? false : 'needs root and a machine that allows namespaces, cgroups and mounts' }, () => {
  let cluster: Cluster;
  const scratch = mkdtempSync(join(tmpdir(), 'skiff-iso-'));
  let ingressHttp = 0;
  let ingressHttps = 0;
  let releaseLock = () => {};
  before(async () => {
    releaseLock = await holdNetworkTestLock();
    ingressHttp = await freePort();
    ingressHttps = await freePort();
    // A pod range of its own, so clusters of other test files never share a bridge with this one.
    cluster = await startCluster({
      args: ['--runtime', 'process', '--pod-cidr', '10.42.77.0/24', '--ingress-http-port', String(ingressHttp), '--ingress-https-port', String(ingressHttps)],
    });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(scratch, { recursive: true, force: true });
    releaseLock();
  });

  const apply = (manifest: string) => cluster.kubectl(['apply', '-f', '-'], { input: manifest });
  const json = async (args: string[]) => JSON.parse((await cluster.kubectl([...args, '-o', 'json'])).stdout);
  const containerStatus = async (pod: string, index = 0): Promise<ContainerStatus | undefined> => (await json(['get', 'pod', pod])).status?.containerStatuses?.[index];

  test('a Deployment of an HTTP server gets its own IP and becomes Ready; port-forward, exec -it, cp and logs -f reach it', async () => {
    await apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      runtimeClassName: host
      terminationGracePeriodSeconds: 5
      containers:
      - name: server
        image: python
        command: [python3, -u, -m, http.server, '8080', --directory, /srv]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
        volumeMounts: [{name: content, mountPath: /srv}]
      volumes: [{name: content, emptyDir: {}}]
`);
    await cluster.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const pod = (await json(['get', 'pods', '-l', 'app=web'])).items[0];
    assert.match(pod.status.podIP, /^10\.42\.77\.\d+$/, 'an IP from the node pod range');
    const name = pod.metadata.name as string;

    // exec -it: through a real terminal (util-linux script), whose size reaches the container's terminal —
    // over WebSocket (kubectl's default) and over SPDY (the resize stream of older kubectl).
    for (const [transport, transportEnv] of [['WebSocket', {}], ['SPDY', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }]] as const) {
      const terminal = await new Promise<string>((resolve, reject) => {
        const command = `stty rows 31 cols 97; ${kubectlPath()} exec -it ${name} -- sh -c 'stty size; hostname; cat /etc/hosts; echo pid1=$(cat /proc/1/comm)'`;
        const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, KUBECONFIG: cluster.kubeconfig, HOME: scratch, ...transportEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.on('error', reject);
        // script ends its input with its terminal's EOF character, a NUL once kubectl made that terminal raw: the
        // container's terminal shows it as a NUL byte, or echoes it as ^@ before the output — not what is checked.
        child.on('close', (code) => (code === 0 ? resolve(out.replace(/\0|\^@/g, '')) : reject(new Error(`exec -it over ${transport} exited ${code}: ${out}`))));
        child.stdin.end();
      });
      assert.match(terminal, /31 97/, `the terminal size reached the container (${transport})`);
      assert.match(terminal, new RegExp(`^${name}\\s*$`, 'm'), 'the pod name is its hostname');
      assert.match(terminal, new RegExp(`${pod.status.podIP}\\s+${name}`), '/etc/hosts names the pod');
      assert.match(terminal, /pid1=python3/, 'a PID namespace of its own, the container\'s command its init');
    }

    // cp into the served directory (an emptyDir), then fetch it through port-forward.
    const local = join(scratch, 'hello.txt');
    writeFileSync(local, 'served through port-forward\n');
    await cluster.kubectl(['cp', local, `${name}:/srv/hello.txt`]);
    const port = await freePort();
    const forward = cluster.kubectlStream(['port-forward', 'deployment/web', `${port}:8080`]);
    try {
      await forward.stdout.waitForLine(/Forwarding from 127\.0\.0\.1/);
      const body = await waitFor(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/hello.txt`).catch(() => undefined);
        return response?.status === 200 ? response.text() : undefined;
      }, { message: 'the file through port-forward' });
      assert.equal(body, 'served through port-forward\n');
    } finally {
      await forward.stop();
    }
    // The request is in the server's log, which -f follows.
    const logs = cluster.kubectlStream(['logs', '-f', name]);
    try {
      await logs.stdout.waitForLine(/GET \/hello\.txt/);
    } finally {
      await logs.stop();
    }
  });

  test('pods reach Services by name (cluster DNS, search domains, ndots:5) and ClusterIP; the host by ClusterIP, NodePort and LoadBalancer', async () => {
    await cluster.kubectl(['expose', 'deployment', 'web', '--port=80', '--target-port=8080', '--type=NodePort']);
    const clusterIP = (await cluster.kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    const nodePort = (await cluster.kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).stdout;
    const nodeIP = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).stdout;
    const answers = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(3000) }).catch(() => undefined))?.status === 200;
    // skiff up said which proxy it runs, and why.
    assert.match(cluster.output(), nftables ? /"msg":"service proxy: nftables \(root, nft found\)"/ : /"msg":"service proxy: userspace, ClusterIPs on interface skiff-svc0 \(nft/);
    await waitFor(() => answers(`http://${clusterIP}/`), { message: 'the ClusterIP from the host' });
    await waitFor(() => answers(`http://${nodeIP}:${nodePort}/`), { message: 'the NodePort from the host' });
    // A LoadBalancer: the node is its external IP and answers on the service's own port.
    const lbPort = await freePort();
    await cluster.kubectl(['expose', 'deployment', 'web', '--name=web-lb', '--type=LoadBalancer', `--port=${lbPort}`, '--target-port=8080']);
    await waitFor(async () => (await cluster.kubectl(['get', 'service', 'web-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).stdout === nodeIP, { message: 'the load balancer address' });
    await waitFor(() => answers(`http://${nodeIP}:${lbPort}/`), { message: 'the LoadBalancer port at the node' });
    await cluster.kubectl(['run', 'resolver', '--image=busybox', '--restart=Never', onHost, '--', 'sh', '-c', 'getent hosts web; getent hosts web.default.svc.cluster.local; cat /etc/resolv.conf; curl -s -o /dev/null -w "status=%{http_code}\\n" --max-time 5 http://web/']);
    await cluster.kubectl(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/resolver', '--timeout=60s']);
    const out = (await cluster.kubectl(['logs', 'resolver'])).stdout;
    const resolved = out.split('\n').filter((line) => line.split(/\s+/)[0] === clusterIP && line.split(/\s+/)[1] === 'web.default.svc.cluster.local');
    assert.equal(resolved.length, 2, 'the short name (through the search path) and the full name');
    assert.match(out, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
    // The kube-dns Service, reached through the proxy of either mode.
    assert.match(out, /^nameserver 10\.43\.0\.10$/m);
    assert.match(out, /^options ndots:5$/m);
    assert.match(out, /^status=200$/m, 'a pod reaches the Service by its name');
  });

  test('a Service spreads requests over its replicas and stops sending to a removed one; headless and StatefulSet names resolve', { skip: nftables ? false : 'needs nftables (session affinity)' }, async () => {
    const server = "require('http').createServer((q, s) => s.end(require('os').hostname())).listen(8080)";
    await cluster.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'spread' }, spec: { replicas: 2, selector: { matchLabels: { app: 'spread' } }, template: { metadata: { labels: { app: 'spread' } }, spec: { runtimeClassName: 'host', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'node', command: [process.execPath, '-e', server], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] } } } },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'spread' }, spec: { selector: { app: 'spread' }, ports: [{ port: 80, targetPort: 8080 }] } },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 8080 }] } },
          { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { serviceName: 'db', replicas: 2, selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { runtimeClassName: 'host', containers: [{ name: 'c', image: 'node', command: [process.execPath, '-e', server] }] } } } },
        ],
      }),
    });
    await cluster.kubectl(['rollout', 'status', 'deployment/spread', '--timeout=60s']);
    await cluster.kubectl(['rollout', 'status', 'statefulset/db', '--timeout=60s']);
    await cluster.kubectl(['run', 'caller', '--image=busybox', onHost, '--', 'sleep', '3600']);
    await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/caller', '--timeout=60s']);
    const call = async (times: number) =>
      (await cluster.kubectl(['exec', 'caller', '--', 'sh', '-c', `for i in $(seq ${times}); do curl -s --max-time 2 http://spread/ || echo FAILED; echo; done`])).stdout.split('\n').filter(Boolean);
    const names = new Set(await call(30));
    const replicas = (await cluster.kubectl(['get', 'pods', '-l', 'app=spread', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ');
    assert.deepEqual([...names].sort(), [...replicas].sort(), 'both replicas answered (random choice: 2⁻²⁹ odds of one alone)');
    // sessionAffinity ClientIP: one client, one replica.
    await cluster.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'sticky' }, spec: { selector: { app: 'spread' }, sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 8080 }] } }),
    });
    const sticky = await waitFor(async () => {
      const answers = (await cluster.kubectl(['exec', 'caller', '--', 'sh', '-c', 'for i in $(seq 12); do curl -s --max-time 2 http://sticky/ || echo FAILED; echo; done'])).stdout.split('\n').filter(Boolean);
      return answers.length === 12 && !answers.includes('FAILED') ? answers : undefined;
    }, { message: 'the sticky Service answers' });
    assert.equal(new Set(sticky).size, 1, `one replica for one client: ${sticky.join(' ')}`);
    await cluster.kubectl(['scale', 'deployment/spread', '--replicas=1']);
    const remaining = await waitFor(async () => {
      const pods = (await cluster.kubectl(['get', 'pods', '-l', 'app=spread', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ');
      return pods.length === 1 ? pods[0] : undefined;
    }, { message: 'one replica left' });
    const after = await waitFor(async () => {
      const answers = await call(10);
      return answers.every((answer) => answer === remaining) ? answers : undefined;
    }, { message: 'only the remaining replica answers' });
    assert.equal(after.length, 10);

    const resolved = (await cluster.kubectl(['exec', 'caller', '--', 'sh', '-c', 'getent hosts db | sort; echo --; getent hosts db-1.db'])).stdout;
    const dbIPs = (await cluster.kubectl(['get', 'pods', '-l', 'app=db', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.podIP}{"\\n"}{end}'])).stdout.trim().split('\n');
    const ipOf = Object.fromEntries(dbIPs.map((line) => line.split('=')));
    const [all, one] = resolved.split('--');
    assert.deepEqual(all.trim().split('\n').map((line) => line.split(/\s+/)[0]).sort(), Object.values(ipOf).sort(), 'the headless Service: every ready pod');
    assert.equal(one.trim().split(/\s+/)[0], ipOf['db-1'], 'a StatefulSet pod by its name under the Service');
  });

  test('a pod talks to the apiserver from inside: kube-api-access volume, kubernetes.default.svc, kubectl with in-cluster config', async () => {
    const script = `ls ${'/var/run/secrets/kubernetes.io/serviceaccount'}; ${kubectlPath()} get pod inside -o jsonpath='{.metadata.name} as {.spec.serviceAccountName}'`;
    // The default service account may do nothing of note (RBAC): it may read here once bound to view.
    await cluster.kubectl(['create', 'rolebinding', 'inside-view', '--clusterrole=view', '--serviceaccount=default:default']);
    await cluster.kubectl(['run', 'inside', '--image=busybox', '--restart=Never', onHost, '--', 'sh', '-c', script]);
    await cluster.kubectl(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/inside', '--timeout=60s']);
    const out = (await cluster.kubectl(['logs', 'inside'])).stdout;
    assert.match(out, /^ca\.crt\nnamespace\ntoken\n/, 'the projected token, CA and namespace');
    assert.match(out, /^inside as default$/m, 'kubectl in the pod, as the default service account, through kubernetes.default.svc');
  });

  test('a deny-all NetworkPolicy blocks pod traffic; an allow rule re-opens it for the chosen client', { skip: nftables ? false : 'needs nftables' }, async () => {
    await cluster.kubectl(['create', 'namespace', 'fenced']);
    const fenced = (args: string[], options?: Parameters<Cluster['kubectl']>[1]) => cluster.kubectl(['-n', 'fenced', ...args], options);
    const server = "require('http').createServer((q, s) => s.end('inside')).listen(8080)";
    await fenced(['apply', '-f', '-'], { input: hostDeployment('vault', [process.execPath, '-e', server], { image: 'node' }) });
    await fenced(['rollout', 'status', 'deployment/vault', '--timeout=60s']);
    for (const name of ['friend', 'foe']) {
      await fenced(['run', name, '--image=busybox', `--labels=role=${name}`, onHost, '--', 'sleep', '3600']);
      await fenced(['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=60s']);
    }
    const vault = (await fenced(['get', 'pods', '-l', 'app=vault', '-o', 'jsonpath={.items[0].status.podIP}'])).stdout;
    const reach = async (from: string) => (await fenced(['exec', from, '--', 'curl', '-s', '--max-time', '2', `http://${vault}:8080/`], { allowFailure: true })).stdout === 'inside';
    assert.equal(await reach('foe'), true, 'open before any policy');
    await cluster.kubectl(['apply', '-f', '-'], { input: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: fenced}\nspec: {podSelector: {}}\n' });
    await waitFor(async () => !(await reach('friend')), { message: 'deny-all takes effect' });
    await cluster.kubectl(['apply', '-f', '-'], {
      input: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: friends, namespace: fenced}\nspec:\n  podSelector: {matchLabels: {app: vault}}\n  ingress: [{from: [{podSelector: {matchLabels: {role: friend}}}], ports: [{port: 8080}]}]\n',
    });
    await waitFor(() => reach('friend'), { message: 'the allow rule takes effect' });
    assert.equal(await reach('foe'), false, 'others stay out');
  });

  test('an Ingress routes two hosts and paths to two services, over TLS too, and reports the node in its status', async () => {
    for (const name of ['one', 'two']) {
      const server = `require('http').createServer((q, s) => s.end('${name} ' + q.url + ' ' + q.headers['x-forwarded-proto'])).listen(8080)`;
      await apply(hostDeployment(name, [process.execPath, '-e', server], { image: 'node' }));
      await cluster.kubectl(['expose', 'deployment', name, '--port=80', '--target-port=8080']);
    }
    const key = join(scratch, 'tls.key');
    const cert = join(scratch, 'tls.crt');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=a.example.com', '-addext', 'subjectAltName=DNS:a.example.com']);
    assert.equal(made.status, 0, 'openssl made a certificate');
    await cluster.kubectl(['create', 'secret', 'tls', 'a-tls', `--cert=${cert}`, `--key=${key}`]);
    await cluster.kubectl(['create', 'ingress', 'demo', '--rule=a.example.com/*=one:80,tls=a-tls', '--rule=b.example.com/two*=two:80']);
    for (const name of ['one', 'two']) await cluster.kubectl(['rollout', 'status', `deployment/${name}`, '--timeout=60s']);
    const get = (host: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: ingressHttp, path, headers: { host } }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    assert.deepEqual(await waitFor(async () => ((await get('a.example.com', '/hello')).status === 200 ? get('a.example.com', '/hello') : undefined), { message: 'host a through the ingress' }), { status: 200, body: 'one /hello http' });
    assert.deepEqual(await get('b.example.com', '/two/x'), { status: 200, body: 'two /two/x http' });
    assert.equal((await get('b.example.com', '/other')).status, 404);
    const secure = await new Promise<{ body: string; subject: string }>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port: ingressHttps, path: '/secure', servername: 'a.example.com', headers: { host: 'a.example.com' }, ca: readFileSync(cert) }, (res) => {
          let body = '';
          const subject = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN as string;
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ body, subject }));
        })
        .on('error', reject);
    });
    assert.deepEqual(secure, { body: 'one /secure https', subject: 'a.example.com' });
    const nodeIP = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).stdout;
    await waitFor(async () => (await cluster.kubectl(['get', 'ingress', 'demo', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).stdout === nodeIP, { message: 'the ingress status' });
  });

  test('init containers and configMap, secret and downward API volumes; a ConfigMap change reaches the running pod', async () => {
    await apply(`
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: credentials}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: volumes, labels: {tier: demo}}
spec:
  runtimeClassName: host
  initContainers:
  - name: prepare
    image: busybox
    command: [sh, -c, 'echo prepared > /work/ready']
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'cat /work/ready /config/greeting /secret/password /info/labels; echo; sleep 3600']
    volumeMounts:
    - {name: work, mountPath: /work}
    - {name: config, mountPath: /config}
    - {name: secret, mountPath: /secret}
    - {name: info, mountPath: /info}
  volumes:
  - {name: work, emptyDir: {}}
  - {name: config, configMap: {name: settings}}
  - {name: secret, secret: {secretName: credentials}}
  - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
`);
    await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/volumes', '--timeout=60s']);
    const logs = await waitFor(async () => {
      const out = (await cluster.kubectl(['logs', 'volumes'])).stdout;
      return out.includes('tier') ? out : undefined;
    }, { message: 'the main container printed its volumes' });
    assert.equal(logs, 'prepared\nhellos3crettier="demo"\n');
    const mode = await cluster.kubectl(['exec', 'volumes', '--', 'sh', '-c', 'touch /config/x 2>&1 || echo read-only']);
    assert.match(mode.stdout, /read-only/, 'configMap volumes are read-only');
    await cluster.kubectl(['patch', 'configmap', 'settings', '-p', '{"data":{"greeting":"updated"}}']);
    await waitFor(async () => (await cluster.kubectl(['exec', 'volumes', '--', 'cat', '/config/greeting'])).stdout === 'updated', {
      message: 'the ConfigMap update in the running pod',
      timeoutMs: 30_000,
    });
  });

  test('a PersistentVolumeClaim gets a local-path volume on the node; what a pod writes there outlives it; a Job completes', async () => {
    await apply(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  runtimeClassName: host
  restartPolicy: Never
  containers:
  - {name: main, image: busybox, command: [sh, -c, 'echo kept > /data/file'], volumeMounts: [{name: data, mountPath: /data}]}
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
`);
    await cluster.kubectl(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/writer', '--timeout=60s']);
    // A Job reads it back and completes.
    await apply(`
apiVersion: batch/v1
kind: Job
metadata: {name: reader}
spec:
  template:
    spec:
      runtimeClassName: host
      restartPolicy: Never
      containers:
      - {name: main, image: busybox, command: [grep, -q, kept, /data/file], volumeMounts: [{name: data, mountPath: /data}]}
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
`);
    await cluster.kubectl(['wait', '--for=condition=complete', 'job/reader', '--timeout=60s']);
    const claim = await json(['get', 'pvc', 'data']);
    assert.equal(claim.spec.storageClassName, 'local-path', 'the default StorageClass');
    assert.equal(claim.status.phase, 'Bound');
    const volume = await json(['get', 'pv', claim.spec.volumeName]);
    assert.equal(readFileSync(join(volume.spec.hostPath.path, 'file'), 'utf8'), 'kept\n');
  });

  test('a StatefulSet gets a local-path claim per pod from its volumeClaimTemplate; a recreated pod finds its own data again', async () => {
    await apply(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: store}
spec:
  replicas: 2
  podManagementPolicy: Parallel
  serviceName: store
  selector: {matchLabels: {app: store}}
  template:
    metadata: {labels: {app: store}}
    spec:
      runtimeClassName: host
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: [sh, -c, 'hostname >> /data/boots; exec sleep 3600']
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`);
    await waitFor(async () => (await cluster.kubectl(['get', 'pod', 'store-0', 'store-1'], { allowFailure: true })).code === 0, { message: 'both pods created' });
    await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/store-0', 'pod/store-1', '--timeout=60s']);
    for (const ordinal of [0, 1]) {
      const claim = await json(['get', 'pvc', `data-store-${ordinal}`]);
      assert.equal(claim.status.phase, 'Bound', `data-store-${ordinal} bound by the local-path provisioner`);
    }
    const before = await json(['get', 'pvc', 'data-store-0']);
    assert.equal((await cluster.kubectl(['exec', 'store-0', '--', 'cat', '/data/boots'])).stdout, 'store-0\n');
    assert.equal((await cluster.kubectl(['exec', 'store-1', '--', 'cat', '/data/boots'])).stdout, 'store-1\n', 'each pod its own volume');
    const oldUid = (await json(['get', 'pod', 'store-0'])).metadata.uid;
    await cluster.kubectl(['delete', 'pod', 'store-0']);
    await waitFor(async () => {
      const pod = await json(['get', 'pod', 'store-0']).catch(() => undefined);
      return pod && pod.metadata.uid !== oldUid && pod.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    }, { message: 'store-0 back and Ready', timeoutMs: 60_000 });
    assert.equal((await cluster.kubectl(['exec', 'store-0', '--', 'cat', '/data/boots'])).stdout, 'store-0\nstore-0\n', 'the same claim, with what the first pod wrote');
    const after = await json(['get', 'pvc', 'data-store-0']);
    assert.equal(after.metadata.uid, before.metadata.uid);
    assert.equal(after.spec.volumeName, before.spec.volumeName);
    await cluster.kubectl(['delete', 'statefulset', 'store']);
  });

  test('a memory hog is OOMKilled; a crashing container backs off longer each time; a failing liveness probe restarts', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  runtimeClassName: host
  restartPolicy: Never
  containers:
  - name: main
    image: python
    command: [python3, -c, 'a = bytearray(300 * 1024 * 1024); print(len(a))']
    resources: {limits: {memory: 40Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  runtimeClassName: host
  containers: [{name: main, image: busybox, command: [sh, -c, 'exit 3']}]
---
apiVersion: v1
kind: Pod
metadata: {name: unhealthy}
spec:
  runtimeClassName: host
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sleep, '3600']
    livenessProbe: {exec: {command: [sh, -c, 'exit 1']}, periodSeconds: 1, failureThreshold: 2}
`);
    const hog = await waitFor(async () => (await containerStatus('hog'))?.state.terminated, { message: 'the hog ended' });
    assert.deepEqual([hog.reason, hog.exitCode], ['OOMKilled', 137]);

    // CrashLoopBackOff: the first restart is immediate, then 10 s, then 20 s.
    const first = await waitFor(async () => {
      const status = await containerStatus('crasher');
      return status?.state.waiting?.reason === 'CrashLoopBackOff' ? status : undefined;
    }, { message: 'CrashLoopBackOff', timeoutMs: 30_000 });
    assert.match(first.state.waiting!.message!, /back-off 10s restarting failed container=main/);
    assert.deepEqual([first.lastState.terminated?.exitCode, first.lastState.terminated?.reason], [3, 'Error']);
    const second = await waitFor(async () => {
      const status = await containerStatus('crasher');
      return /back-off 20s/.test(status?.state.waiting?.message ?? '') ? status : undefined;
    }, { message: 'a longer back-off', timeoutMs: 40_000 });
    assert.ok(second.restartCount > first.restartCount);

    const restarted = await waitFor(async () => {
      const status = await containerStatus('unhealthy');
      return status && status.restartCount >= 1 ? status : undefined;
    }, { message: 'the liveness restart', timeoutMs: 30_000 });
    // SIGTERM ends `sleep` (it is not the init of its PID namespace, which would ignore it).
    assert.deepEqual([restarted.lastState.terminated?.exitCode, restarted.lastState.terminated?.reason], [143, 'Error']);
    const events = (await cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=unhealthy'])).stdout;
    assert.match(events, /Liveness probe failed/);
  });

  test('an emptyDir that grows past its sizeLimit gets its pod evicted', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: filler}
spec:
  runtimeClassName: host
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'head -c 3000000 /dev/zero > /scratch/fill; sleep 3600']
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes: [{name: scratch, emptyDir: {sizeLimit: 1Mi}}]
`);
    const pod = await waitFor(async () => {
      const current = await json(['get', 'pod', 'filler']);
      return current.status?.phase === 'Failed' ? current : undefined;
    }, { message: 'the eviction', timeoutMs: 40_000 });
    assert.equal(pod.status.reason, 'Evicted');
    assert.equal(pod.status.message, 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
  });

  test('kill -9 of skiff leaves the pods running; the next start adopts them', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: survivor}
spec:
  runtimeClassName: host
  containers: [{name: main, image: busybox, command: [sh, -c, 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']}]
`);
    await cluster.kubectl(['run', 'finished', '--image=busybox', '--restart=Never', onHost, '--', 'echo', 'done before the crash']);
    await cluster.kubectl(['wait', '--for=condition=Ready', 'pod/survivor', '--timeout=60s']);
    await cluster.kubectl(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/finished', '--timeout=60s']);
    const before = (await containerStatus('survivor'))!;
    await cluster.kill9();
    await cluster.restart();
    const after = await waitFor(async () => {
      const pod = await json(['get', 'pod', 'survivor']);
      const ready = pod.status.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status === 'True';
      return ready ? pod.status.containerStatuses[0] : undefined;
    }, { message: 'the survivor after the restart' });
    assert.equal(after.containerID, before.containerID, 'the same container, adopted');
    assert.equal(after.restartCount, 0);
    // A pod that had ended keeps its status and its logs, and does not run again.
    const finishedLogs = await waitFor(async () => {
      const result = await cluster.kubectl(['logs', 'finished'], { allowFailure: true });
      return result.code === 0 ? result.stdout : undefined;
    }, { message: 'the logs of the finished pod, from the restarted agent' });
    assert.equal(finishedLogs, 'done before the crash\n');
    assert.equal((await containerStatus('finished'))?.restartCount, 0);
    const ticks = (await cluster.kubectl(['logs', 'survivor', '--tail=1'])).stdout;
    await waitFor(async () => (await cluster.kubectl(['logs', 'survivor', '--tail=1'])).stdout !== ticks, { message: 'new output after the restart' });
  });
});
