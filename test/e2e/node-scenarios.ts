/**
 * What a node must do whichever runtime runs its pods — skiff's own
 * process runtime or containerd through the CRI — as one list of
 * scenarios, each driven with kubectl 1.32 against a cluster whose node
 * uses the runtime under test (runtimes.test.ts runs the list on each).
 * Every pod runs an image from a registry on loopback: busybox, built here.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { freePort, waitFor, type Cluster } from './harness.js';
import { kubectlPath } from './tools.js';
import { buildImage, busyboxLayer } from '../images/build-image.js';
import { writeDockerArchive } from '../images/archive.js';

export interface ScenarioContext {
  cluster: Cluster;
  /** The busybox image, e.g. `127.0.0.1:5000/test/busybox:v1`. */
  image: string;
  /** A namespace of this scenario's own (created for it). */
  namespace: string;
  /** The node's data dir (its DIR/images drop dir). */
  dataDir: string;
}

export interface NodeScenario {
  name: string;
  run(context: ScenarioContext): Promise<void>;
}

const k = (context: ScenarioContext, args: string[], options: { input?: string; allowFailure?: boolean } = {}) => context.cluster.kubectl(['-n', context.namespace, ...args], options);
const apply = (context: ScenarioContext, manifest: unknown) => k(context, ['apply', '-f', '-'], { input: JSON.stringify(manifest) });
const pod = (context: ScenarioContext, name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { terminationGracePeriodSeconds: 1, ...spec, containers: (spec.containers as Record<string, unknown>[]).map((c) => ({ image: context.image, ...c })) },
});
/** A Deployment of one container of the image, labelled app=<name>, running `command`. */
const deployment = (context: ScenarioContext, name: string, command: string[]) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: context.image, command }] },
    },
  },
});
const status = async (context: ScenarioContext, name: string) => JSON.parse((await k(context, ['get', 'pod', name, '-o', 'json'])).stdout).status as {
  phase?: string;
  podIP?: string;
  containerStatuses?: { restartCount: number; state: { running?: object; terminated?: { exitCode: number; reason: string } }; lastState: { terminated?: { exitCode: number; reason: string } } }[];
};

export const nodeScenarios: NodeScenario[] = [
  {
    name: 'a Deployment of the image becomes ready with a pod IP; logs and exec reach it',
    async run(context) {
      await apply(context, deployment(context, 'web', ['sh', '-c', 'echo started in $(hostname); exec sleep 3600']));
      await k(context, ['rollout', 'status', 'deployment/web', '--timeout=60s']);
      const name = (await k(context, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
      assert.match((await status(context, name)).podIP ?? '', /^10\.42\.\d+\.\d+$/);
      await waitFor(async () => (await k(context, ['logs', name])).stdout === `started in ${name}\n`, { message: 'the log line' });
      assert.equal((await k(context, ['exec', name, '--', 'sh', '-c', 'echo out; echo err >&2'])).stdout, 'out\n');
      // A BestEffort pod: the OOM killer's first choice, as the kubelet marks it.
      assert.equal((await k(context, ['exec', name, '--', 'cat', '/proc/1/oom_score_adj'])).stdout, '1000\n');
      const failed = await k(context, ['exec', name, '--', 'sh', '-c', 'exit 3'], { allowFailure: true });
      assert.equal(failed.code, 3);
      assert.equal((await k(context, ['exec', '-i', name, '--', 'cat'], { input: 'piped\n' })).stdout, 'piped\n');
    },
  },
  {
    name: 'a crashing container restarts with back-off; logs --previous shows the attempt before',
    async run(context) {
      await apply(context, pod(context, 'crasher', { containers: [{ name: 'c', command: ['sh', '-c', 'echo "run $(cat /proc/sys/kernel/random/uuid)"; exit 2'] }] }));
      const crashed = await waitFor(async () => {
        const s = (await status(context, 'crasher')).containerStatuses?.[0];
        return s && s.restartCount >= 1 && s.lastState.terminated ? s : undefined;
      }, { message: 'a restart', timeoutMs: 40_000 });
      assert.equal(crashed.lastState.terminated?.exitCode, 2);
      assert.equal(crashed.lastState.terminated?.reason, 'Error');
      const previous = (await k(context, ['logs', 'crasher', '--previous'])).stdout;
      assert.match(previous, /^run [\w-]+\n$/);
    },
  },
  {
    name: 'a Job of the image completes',
    async run(context) {
      await apply(context, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'once' },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'once', image: context.image, command: ['sh', '-c', 'echo done'] }] } } },
      });
      await k(context, ['wait', '--for=condition=complete', 'job/once', '--timeout=60s']);
      assert.equal((await k(context, ['logs', 'job/once'])).stdout, 'done\n');
    },
  },
  {
    name: 'configMap and emptyDir volumes are mounted into the container',
    async run(context) {
      await k(context, ['create', 'configmap', 'settings', '--from-literal=mode=fast']);
      await apply(
        context,
        pod(context, 'reader', {
          volumes: [{ name: 'settings', configMap: { name: 'settings' } }, { name: 'scratch', emptyDir: {} }],
          containers: [{ name: 'r', command: ['sh', '-c', 'echo written > /scratch/f; exec sleep 3600'], volumeMounts: [{ name: 'settings', mountPath: '/etc/settings' }, { name: 'scratch', mountPath: '/scratch' }] }],
        }),
      );
      await k(context, ['wait', '--for=condition=Ready', 'pod/reader', '--timeout=60s']);
      assert.equal((await k(context, ['exec', 'reader', '--', 'cat', '/etc/settings/mode'])).stdout, 'fast');
      await waitFor(async () => (await k(context, ['exec', 'reader', '--', 'cat', '/scratch/f'], { allowFailure: true })).stdout === 'written\n', { message: 'the emptyDir file' });
    },
  },
  {
    name: 'a failing liveness probe restarts the container',
    async run(context) {
      await apply(
        context,
        pod(context, 'unhealthy', {
          containers: [{ name: 'u', command: ['sleep', '3600'], livenessProbe: { exec: { command: ['sh', '-c', 'exit 1'] }, periodSeconds: 1, failureThreshold: 1 } }],
        }),
      );
      await waitFor(async () => ((await status(context, 'unhealthy')).containerStatuses?.[0]?.restartCount ?? 0) >= 1, { message: 'a restart by the probe', timeoutMs: 40_000 });
      assert.match((await k(context, ['describe', 'pod', 'unhealthy'])).stdout, /Unhealthy\s+.*Liveness probe failed/);
    },
  },
  {
    // The server listens on the pod's loopback only: port-forward dials inside the pod's network
    // namespace, as upstream's does, not the pod's IP.
    name: "port-forward reaches a server on the pod's loopback; cp copies both ways",
    async run(context) {
      await apply(context, pod(context, 'server', { containers: [{ name: 's', command: ['sh', '-c', 'mkdir -p /www && echo served > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www'] }] }));
      await k(context, ['wait', '--for=condition=Ready', 'pod/server', '--timeout=60s']);
      const port = await freePort();
      const forward = context.cluster.kubectlStream(['-n', context.namespace, 'port-forward', 'pod/server', `${port}:8080`]);
      try {
        await forward.stdout.waitForLine(/Forwarding from/, { message: 'port-forward ready' });
        const body = await waitFor(
          () =>
            new Promise<string | undefined>((resolve) => {
              http.get(`http://127.0.0.1:${port}/index.html`, (res) => {
                let text = '';
                res.on('data', (chunk) => (text += chunk));
                res.on('end', () => resolve(res.statusCode === 200 ? text : undefined));
              }).on('error', () => resolve(undefined));
            }),
          { message: 'the page through port-forward' },
        );
        assert.equal(body, 'served\n');
      } finally {
        await forward.stop();
      }
      const dir = mkdtempSync(join(tmpdir(), 'skiff-scenario-cp-'));
      try {
        writeFileSync(join(dir, 'in.txt'), 'copied\n'.repeat(1000));
        await k(context, ['cp', join(dir, 'in.txt'), 'server:/tmp/in.txt']);
        await k(context, ['cp', 'server:/tmp/in.txt', join(dir, 'back.txt')]);
        assert.equal(readFileSync(join(dir, 'back.txt'), 'utf8'), 'copied\n'.repeat(1000));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    // Set in the pod's own network and IPC namespaces: the node's values stay as they were.
    name: "the pod's sysctls are set in its namespaces, not the node's",
    async run(context) {
      const node = ['net/ipv4/ip_unprivileged_port_start', 'kernel/shm_rmid_forced'].map((path) => readFileSync(`/proc/sys/${path}`, 'utf8').trim());
      const wanted = { unprivilegedPortStart: node[0] === '80' ? '81' : '80', shmRmidForced: node[1] === '1' ? '0' : '1' };
      await apply(
        context,
        pod(context, 'tuned', {
          securityContext: {
            sysctls: [
              { name: 'net.ipv4.ip_unprivileged_port_start', value: wanted.unprivilegedPortStart },
              { name: 'kernel.shm_rmid_forced', value: wanted.shmRmidForced },
            ],
          },
          containers: [{ name: 't', command: ['sleep', '3600'] }],
        }),
      );
      await k(context, ['wait', '--for=condition=Ready', 'pod/tuned', '--timeout=60s']);
      const inside = (await k(context, ['exec', 'tuned', '--', 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start', '/proc/sys/kernel/shm_rmid_forced'])).stdout;
      assert.equal(inside, `${wanted.unprivilegedPortStart}\n${wanted.shmRmidForced}\n`);
      assert.deepEqual(['net/ipv4/ip_unprivileged_port_start', 'kernel/shm_rmid_forced'].map((path) => readFileSync(`/proc/sys/${path}`, 'utf8').trim()), node);
    },
  },
  {
    name: 'seccomp: RuntimeDefault refuses a new user namespace where Unconfined allows it; a Localhost profile in DIR/seccomp refuses what it names',
    async run(context) {
      mkdirSync(join(context.dataDir, 'seccomp'), { recursive: true });
      writeFileSync(join(context.dataDir, 'seccomp', 'no-mkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
      const script = 'unshare -U true 2>/dev/null && echo userns-allowed || echo userns-refused; mkdir /made 2>/dev/null && echo mkdir-allowed || echo mkdir-refused';
      const profiles = { unconfined: { type: 'Unconfined' }, confined: { type: 'RuntimeDefault' }, 'no-mkdir': { type: 'Localhost', localhostProfile: 'no-mkdir.json' } };
      for (const [name, seccompProfile] of Object.entries(profiles)) {
        await apply(context, pod(context, name, { restartPolicy: 'Never', securityContext: { seccompProfile }, containers: [{ name: 'c', command: ['sh', '-c', script] }] }));
      }
      const logs: Record<string, string> = {};
      for (const name of Object.keys(profiles)) {
        await k(context, ['wait', '--for=jsonpath={.status.phase}=Succeeded', `pod/${name}`, '--timeout=60s']);
        logs[name] = (await k(context, ['logs', name])).stdout;
      }
      assert.deepEqual(logs, {
        unconfined: 'userns-allowed\nmkdir-allowed\n',
        confined: 'userns-refused\nmkdir-allowed\n',
        'no-mkdir': 'userns-allowed\nmkdir-refused\n',
      });
    },
  },
  {
    name: 'a graceful delete sends SIGTERM and waits for the container to end',
    async run(context) {
      await apply(
        context,
        pod(context, 'graceful', {
          terminationGracePeriodSeconds: 30,
          containers: [{ name: 'g', command: ['sh', '-c', 'trap "echo got TERM; exit 0" TERM; while true; do sleep 0.2; done'] }],
        }),
      );
      await k(context, ['wait', '--for=condition=Ready', 'pod/graceful', '--timeout=60s']);
      const started = Date.now();
      await k(context, ['delete', 'pod', 'graceful', '--wait=true', '--timeout=30s']);
      // Ended by its own trap, well before the 30 s grace period.
      assert.ok(Date.now() - started < 20_000, `deleted after ${Date.now() - started} ms`);
    },
  },
  {
    name: 'a memory hog over its limit is OOMKilled',
    async run(context) {
      await apply(
        context,
        pod(context, 'hog', {
          restartPolicy: 'Never',
          containers: [{ name: 'h', command: ['sh', '-c', 'x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while true; do x="$x$x"; done'], resources: { limits: { memory: '32Mi' } } }],
        }),
      );
      const ended = await waitFor(async () => (await status(context, 'hog')).containerStatuses?.[0]?.state.terminated, { message: 'the hog ended', timeoutMs: 40_000 });
      assert.equal(ended.reason, 'OOMKilled');
      assert.equal(ended.exitCode, 137);
    },
  },
  {
    name: 'exec -it runs the command on a terminal; logs -f follows new lines',
    async run(context) {
      await apply(context, pod(context, 'ticker', { containers: [{ name: 't', command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'] }] }));
      await k(context, ['wait', '--for=condition=Ready', 'pod/ticker', '--timeout=60s']);
      // logs -f: a line written after kubectl began following arrives.
      const before = await waitFor(async () => Number(/tick (\d+)\n$/.exec((await k(context, ['logs', 'ticker'])).stdout)?.[1] ?? 0) || undefined, { message: 'a first tick' });
      const follow = context.cluster.kubectlStream(['-n', context.namespace, 'logs', '-f', 'ticker']);
      try {
        await follow.stdout.waitForLine(new RegExp(`^tick ${before + 5}$`), { message: 'a tick written while following' });
      } finally {
        await follow.stop();
      }
      // exec -it through a real terminal (util-linux script): the command's stdin and stdout are a terminal.
      // It waits before it writes and after: containerd 1.6 may drop the output of a terminal exec that ends at once.
      const command = `${kubectlPath()} -n ${context.namespace} exec -it ticker -- sh -c 'sleep 0.3; [ -t 0 ] && [ -t 1 ] && echo "on a terminal: $(tty)"; sleep 0.3'`;
      const terminal = await new Promise<string>((resolve, reject) => {
        const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, KUBECONFIG: context.cluster.kubeconfig, HOME: process.env.HOME }, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exec -it exited ${code}: ${out}`))));
        child.stdin.end();
      });
      assert.match(terminal, /on a terminal: \/dev\/pts\/\d+/);
    },
  },
  {
    name: 'a pod reaches a Service by its DNS name; the node lists the image it pulled',
    async run(context) {
      await apply(context, deployment(context, 'named', ['sh', '-c', 'mkdir -p /www && echo "served by $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www']));
      await k(context, ['expose', 'deployment', 'named', '--port=80', '--target-port=8080']);
      await apply(context, pod(context, 'client', { containers: [{ name: 'c', command: ['sleep', '3600'] }] }));
      await k(context, ['rollout', 'status', 'deployment/named', '--timeout=60s']);
      await k(context, ['wait', '--for=condition=Ready', 'pod/client', '--timeout=60s']);
      // The short name through the pod's search domains, and the full name, to the Service's ClusterIP. (The image's
      // busybox is static glibc, whose own name lookups crash without NSS libraries: its nslookup asks the DNS itself.)
      const clusterIP = (await k(context, ['get', 'service', 'named', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
      for (const host of ['named', `named.${context.namespace}.svc.cluster.local`]) {
        const answer = await waitFor(
          async () => {
            const got = await k(context, ['exec', 'client', '--', 'sh', '-c', `nslookup ${host}`], { allowFailure: true });
            return new RegExp(`Name:\\s+named\\.${context.namespace}\\.svc\\.cluster\\.local\\s+Address:\\s+(\\S+)`).exec(got.stdout)?.[1];
          },
          { message: `the cluster DNS answers ${host}` },
        );
        assert.equal(answer, clusterIP);
      }
      // And the Service at that address answers from one of its pods.
      const page = await waitFor(
        async () => {
          const got = await k(context, ['exec', 'client', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${clusterIP} 80`], { allowFailure: true });
          return /\r\n\r\n(served by .*)\n$/.exec(got.stdout)?.[1];
        },
        { message: `the page at ${clusterIP}:80` },
      );
      assert.match(page, /^served by named-/);
      // status.images: what the node holds, the image the pods run among it.
      const node = (await k(context, ['get', 'pod', 'client', '-o', 'jsonpath={.spec.nodeName}'])).stdout;
      const names = await waitFor(async () => {
        const images = JSON.parse((await context.cluster.kubectl(['get', 'node', node, '-o', 'jsonpath={.status.images}'])).stdout || '[]') as { names: string[]; sizeBytes: number }[];
        const found = images.find((image) => image.names.some((name) => name === context.image || name.startsWith(`${context.image.split(':')[0]}@sha256:`)));
        return found && found.sizeBytes > 0 ? found.names : undefined;
      }, { message: 'the image in the node\'s status.images' });
      assert.ok(names.includes(context.image), names.join(', '));
    },
  },
  {
    name: 'an image archive dropped into the data dir runs without a registry (air gap)',
    async run(context) {
      const offline = await buildImage({ layers: [{ entries: busyboxLayer() }], config: { Cmd: ['sh', '-c', 'echo offline; exec sleep 3600'], Env: ['PATH=/bin'] } });
      // Compressed, as archives are shipped; written aside and renamed in, so the node never reads half a file.
      const tag = `offline/${context.namespace}:v1`;
      const staging = join(context.dataDir, `offline-${context.namespace}.tar.gz`);
      await writeDockerArchive(staging, [{ image: offline, repoTags: [tag] }]);
      mkdirSync(join(context.dataDir, 'images'), { recursive: true });
      renameSync(staging, join(context.dataDir, 'images', `offline-${context.namespace}.tar.gz`));
      await apply(context, pod(context, 'offline', { containers: [{ name: 'o', image: tag, imagePullPolicy: 'Never' }] }));
      await waitFor(async () => (await status(context, 'offline')).phase === 'Running', { message: 'the pod of the imported image running', timeoutMs: 60_000 });
      await waitFor(async () => (await k(context, ['logs', 'offline'])).stdout === 'offline\n', { message: 'its log line' });
    },
  },
];
