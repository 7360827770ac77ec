/**
 * The service proxy in user space as root — what a machine without the
 * `nft` command runs — forced here with `--proxy-mode userspace` so it is
 * tested on machines that have nft too: `skiff up` says the mode in one
 * line; the ClusterIPs are held on the interface skiff-svc0; pods reach a
 * Service by DNS name (cluster DNS at 10.43.0.10, over UDP and TCP) and by
 * ClusterIP, and the apiserver at kubernetes.default.svc; the host reaches
 * the ClusterIP, the NodePort and the Ingress controller; an interface left
 * by a crash is taken over; a deleted Service's address leaves the
 * interface, and a graceful stop removes it.
 * (node-isolation.test.ts covers the nftables mode where nft is installed.)
 *
 * Needs root and a machine that allows namespaces; pods get a range of
 * their own (10.42.78.0/24); holdNetworkTestLock keeps the other files
 * with root networking from running at the same time. Run by hand under
 * `flock /tmp/skiff-net-e2e.lock`.
 * Every pod asks for runtimeClassName: host: these tests run commands on the node's file system (no image is pulled).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath, freePort, holdNetworkTestLock, hostDeployment, onHost, startCluster, waitFor, type Cluster } from './harness.js';
import { canIsolate } from '../../src/node/runtime/process/runtime.js';

const isolated = canIsolate();
const serviceInterface = 'skiff-svc0';
const kubeDns = '10.43.0.10';
const staleAddress = '10.43.255.254';

/** The addresses on the service interface (empty when it is not there). */
function interfaceAddresses(): string[] | undefined {
  const shown = spawnSync('ip', ['-j', '-4', 'addr', 'show', 'dev', serviceInterface], { encoding: 'utf8' });
  if (shown.status !== 0) return undefined;
  const [link] = JSON.parse(shown.stdout) as { addr_info?: { local: string }[] }[];
  return (link?.addr_info ?? []).map((a) => a.local);
}

/**
 * A program (run by node, in a pod or here) that asks a DNS server for a
 * name's A record over UDP or TCP and prints `<protocol>=<address>`, or
 * `<protocol>-error=…`. Written out by hand so the pod needs nothing but node.
 */
function dnsProbe(protocol: 'udp' | 'tcp', server: string, name: string): string {
  return `
const labels = ${JSON.stringify(name)}.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
const query = Buffer.concat([Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
const print = (reply) => console.log('${protocol}=' + (reply.readUInt16BE(6) > 0 ? [...reply.subarray(reply.length - 4)].join('.') : 'rcode' + (reply[3] & 15)));
const fail = (err) => console.log('${protocol}-error=' + err.message);
setTimeout(() => { console.log('${protocol}-error=timeout'); process.exit(0); }, 4000).unref();
if ('${protocol}' === 'udp') {
  const socket = require('dgram').createSocket('udp4');
  socket.on('message', (reply) => { print(reply); socket.close(); });
  socket.on('error', fail);
  socket.send(query, 53, '${server}');
} else {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(query.length);
  const socket = require('net').connect(53, '${server}', () => socket.write(Buffer.concat([length, query])));
  let got = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    got = Buffer.concat([got, chunk]);
    if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) { print(got.subarray(2, 2 + got.readUInt16BE(0))); socket.end(); }
  });
  socket.on('error', fail);
}`;
}

describe('service proxy in user space as root (--proxy-mode userspace)', { skip: isolated ? false : 'needs root and a machine that allows namespaces (isolated pods); as an ordinary user process-node.test.ts covers the loopback twins' }, () => {
  let cluster: Cluster;
  let stopped = false;
  let ingressHttp = 0;
  let releaseLock = () => {};
  before(async () => {
    releaseLock = await holdNetworkTestLock();
    // What a crash (kill -9) leaves behind: the interface with the address of a Service that is no more.
    spawnSync('ip', ['link', 'add', serviceInterface, 'type', 'bridge']);
    spawnSync('ip', ['addr', 'add', `${staleAddress}/32`, 'dev', serviceInterface]);
    ingressHttp = await freePort();
    cluster = await startCluster({
      args: ['--runtime', 'process', '--pod-cidr', '10.42.78.0/24', '--proxy-mode', 'userspace', '--ingress-http-port', String(ingressHttp), '--ingress-https-port', String(await freePort())],
    });
  });
  after(async () => {
    if (!stopped) await cluster?.stop();
    releaseLock();
  });

  const json = async (args: string[]) => JSON.parse((await cluster.kubectl([...args, '-o', 'json'])).stdout);

  test('skiff up says which service proxy it runs and why, in one line', async () => {
    await waitFor(() => cluster.output().includes('NetworkPolicy not enforced: it needs nftables'), { message: 'the network started' });
    const lines = cluster.output().split('\n').filter((line) => line.includes('service proxy:'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /"msg":"service proxy: userspace, ClusterIPs on interface skiff-svc0 \(--proxy-mode userspace\)"/);
  });

  test('pods reach a Service by DNS name (UDP and TCP to 10.43.0.10) and ClusterIP, and the apiserver; the host the ClusterIP, NodePort and Ingress', async () => {
    const server = "require('http').createServer((q, s) => s.end('hello from ' + require('os').hostname())).listen(8080)";
    await cluster.kubectl(['apply', '-f', '-'], { input: hostDeployment('web', [process.execPath, '-e', server], { image: 'node' }) });
    await cluster.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    await cluster.kubectl(['expose', 'deployment', 'web', '--port=80', '--target-port=8080', '--type=NodePort']);
    const service = await json(['get', 'service', 'web']);
    const clusterIP = service.spec.clusterIP as string;
    const nodePort = service.spec.ports[0].nodePort as number;
    const nodeIP = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).stdout;

    await waitFor(() => interfaceAddresses()?.includes(clusterIP), { message: `${clusterIP} on ${serviceInterface}` });
    assert.ok(interfaceAddresses()?.includes(kubeDns), 'the kube-dns ClusterIP is held too');
    assert.ok(!interfaceAddresses()?.includes(staleAddress), 'an address left by a crash is taken over and removed');
    // The body once it is the web pod's; what went wrong otherwise (in waitFor's message when it times out).
    const hello = async (url: string) => {
      const text = await fetch(url, { signal: AbortSignal.timeout(3000) }).then(
        (response) => response.text(),
        (err: Error & { cause?: Error }) => {
          throw new Error(`${url}: ${err.cause?.message ?? err.message}`);
        },
      );
      if (!text.startsWith('hello from web-')) throw new Error(`${url} answered ${JSON.stringify(text.slice(0, 200))}`);
      return text;
    };
    await waitFor(() => hello(`http://${clusterIP}/`), { message: 'the ClusterIP from the host' });
    await waitFor(() => hello(`http://${nodeIP}:${nodePort}/`), { message: 'the NodePort from the host' });
    // The Ingress controller listens on the node's own addresses in this mode (0.0.0.0 would take its ports from every ClusterIP).
    await cluster.kubectl(['create', 'ingress', 'web', '--rule=/*=web:80']);
    const ingressSaid = async () => (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.annotations.skiff\\.dev/ingress}'])).stdout;
    await waitFor(() => hello(`http://127.0.0.1:${ingressHttp}/`), { message: 'the Ingress at 127.0.0.1' }).catch(async (err: Error) => {
      throw new Error(`${err.message}; the node says of its Ingress: ${await ingressSaid()}`);
    });

    // The host asks kube-dns at its ClusterIP, over UDP and TCP.
    for (const protocol of ['udp', 'tcp'] as const) {
      const answer = spawnSync(process.execPath, ['-e', dnsProbe(protocol, kubeDns, 'web.default.svc.cluster.local')], { encoding: 'utf8', timeout: 10_000 }).stdout.trim();
      assert.equal(answer, `${protocol}=${clusterIP}`, `kube-dns over ${protocol} from the host`);
    }

    // A pod: its resolver is kube-dns; the Service by name and by ClusterIP; DNS over TCP as well.
    const script = [
      'cat /etc/resolv.conf',
      'getent hosts web',
      'curl -s --max-time 5 http://web/; echo',
      `curl -s --max-time 5 http://${clusterIP}/; echo`,
      `${process.execPath} -e "$TCP_PROBE"`,
      // The apiserver at the kubernetes Service's ClusterIP (any HTTP answer will do: it was reached).
      'curl -sk -o /dev/null -w "apiserver=%{http_code}\\n" --max-time 5 https://kubernetes.default.svc/version',
    ].join('; ');
    await cluster.kubectl(['run', 'client', '--image=busybox', '--restart=Never', onHost, `--env=TCP_PROBE=${dnsProbe('tcp', kubeDns, 'web.default.svc.cluster.local')}`, '--', 'sh', '-c', script]);
    await cluster.kubectl(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/client', '--timeout=60s']);
    const out = (await cluster.kubectl(['logs', 'client'])).stdout;
    assert.match(out, /^nameserver 10\.43\.0\.10$/m, 'pods ask the kube-dns Service');
    assert.match(out, new RegExp(`^${clusterIP.replace(/\./g, '\\.')}\\s+web\\.default\\.svc\\.cluster\\.local$`, 'm'), 'the name resolves (UDP through the proxy)');
    assert.equal(out.match(/^hello from web-/gm)?.length, 2, `by name and by ClusterIP:\n${out}`);
    assert.match(out, new RegExp(`^tcp=${clusterIP.replace(/\./g, '\\.')}$`, 'm'), 'DNS over TCP through the proxy');
    assert.match(out, /^apiserver=[1-5]\d\d$/m, 'kubernetes.default.svc (10.43.0.1:443) reached the apiserver');
  });

  test('after a kill -9, skiff down removes the interface; skiff up makes it again', async () => {
    await cluster.kill9();
    assert.ok(interfaceAddresses()?.includes(kubeDns), 'a kill -9 leaves the interface and its ClusterIPs');
    const said = spawnSync(process.execPath, [cliPath(), 'down', '--data-dir', cluster.dataDir], { encoding: 'utf8' });
    assert.equal(said.status, 0, said.stderr);
    assert.match(said.stdout, /^removed skiff-svc0 and the ClusterIPs on it$/m);
    assert.equal(interfaceAddresses(), undefined, `${serviceInterface} is gone after skiff down`);
    await cluster.restart();
    await waitFor(() => interfaceAddresses()?.includes(kubeDns), { message: `the kube-dns ClusterIP on ${serviceInterface} again` });
  });

  test("a deleted Service's ClusterIP leaves the interface; a graceful stop removes the interface", async () => {
    await cluster.kubectl(['create', 'service', 'clusterip', 'gone', '--tcp=80:8080']);
    const clusterIP = (await cluster.kubectl(['get', 'service', 'gone', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    await waitFor(() => interfaceAddresses()?.includes(clusterIP), { message: `${clusterIP} on ${serviceInterface}` });
    await cluster.kubectl(['delete', 'service', 'gone']);
    await waitFor(() => interfaceAddresses() && !interfaceAddresses()!.includes(clusterIP), { message: `${clusterIP} off ${serviceInterface}` });
    assert.ok(interfaceAddresses()!.includes(kubeDns), 'the other Services stay');
    stopped = true;
    assert.equal(await cluster.stop(), 0);
    assert.equal(interfaceAddresses(), undefined, `${serviceInterface} is gone after the stop`);
  });
});
