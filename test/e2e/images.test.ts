/**
 * Pods of OCI images with the real kubectl, as root: images built here from
 * busybox-static and served by a real registry on loopback (Debian's
 * docker-registry, one open and one with htpasswd). The image's ENTRYPOINT,
 * CMD, ENV, WORKDIR and USER; replicas that do not see each other's files;
 * nothing of the node visible; securityContext; pull secrets; a missing
 * tag's back-off; a mirror from registries.yaml; an archive imported with
 * `skiff images import` for a node without a registry; the Node's images.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canIsolate } from '../../src/node/runtime/process/host.js';
import { buildImage, busyboxLayer } from '../images/build-image.js';
import { writeDockerArchive } from '../images/archive.js';
import { pushImage } from '../images/push.js';
import { registrySkipReason, startRegistry, type TestRegistry } from '../images/registry.js';
import { freePort, holdNetworkTestLock, runSkiff, startCluster, waitFor, type Cluster } from './harness.js';
import { kubectlPath } from './tools.js';

const isolated = typeof process.getuid === 'function' && process.getuid() === 0 && canIsolate();
const skip = !isolated ? 'needs root and a machine that allows namespaces, cgroups and overlay mounts' : registrySkipReason();

describe('pods of images (kubectl, as root, registries on loopback)', { skip }, () => {
  let cluster: Cluster;
  let open: TestRegistry;
  let locked: TestRegistry;
  let releaseLock = () => {};
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-images-e2e-'));
  const k = (args: string[], options?: Parameters<Cluster['kubectl']>[1]) => cluster.kubectl(args, options);
  const apply = (manifest: unknown) => k(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
  const pod = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 0, ...spec } });
  const waiting = async (name: string) => JSON.parse((await k(['get', 'pod', name, '-o', 'json'])).stdout).status?.containerStatuses?.[0]?.state?.waiting as { reason?: string; message?: string } | undefined;

  before(async () => {
    releaseLock = await holdNetworkTestLock();
    [open, locked] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { username: 'alice', password: 'secret' } })]);
    const app = await buildImage({
      layers: [{ entries: busyboxLayer() }, { entries: [{ path: 'srv/index.html', content: 'from the image\n' }] }],
      config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo "$GREETING from $(pwd) as $(id -un)"; exec sleep 3600'], Env: ['PATH=/bin', 'GREETING=hello'], WorkingDir: '/srv', User: 'app' },
    });
    await pushImage(open.url, 'team/app', 'v1', app);
    await pushImage(locked.url, 'private/app', 'v1', app, { username: 'alice', password: 'secret' });
    const offline = await buildImage({ layers: [{ entries: busyboxLayer() }], config: { Cmd: ['sh', '-c', 'echo offline; exec sleep 3600'], Env: ['PATH=/bin'] } });
    await writeDockerArchive(join(dataDir, 'offline.tar'), [{ image: offline, repoTags: ['offline/app:v1'] }]);
    // Both registries speak plain HTTP (named as mirrors of themselves, as with k3s); mirror.test is only a mirror.
    writeFileSync(
      join(dataDir, 'registries.yaml'),
      [
        'mirrors:',
        `  "${open.host}": { endpoint: ["http://${open.host}"] }`,
        `  "${locked.host}": { endpoint: ["http://${locked.host}"] }`,
        `  mirror.test:`,
        `    endpoint: ["http://${open.host}"]`,
        `    rewrite: { "^apps/(.*)": "team/$1" }`,
        '',
      ].join('\n'),
    );
    cluster = await startCluster({ dataDir, args: ['--runtime', 'process', '--pod-cidr', '10.42.79.0/24', '--ingress-http-port', '0', '--ingress-https-port', '0'] });
  });
  after(async () => {
    await cluster?.stop();
    await Promise.all([open?.stop(), locked?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    releaseLock();
  });

  test("a Deployment runs its image's ENTRYPOINT, CMD, ENV, WORKDIR and USER; its replicas see neither each other's files nor the node's", async () => {
    await apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'app' } }, template: { metadata: { labels: { app: 'app' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: `${open.host}/team/app:v1` }] } } },
    });
    await k(['rollout', 'status', 'deployment/app', '--timeout=90s']);
    const [first, second] = (await k(['get', 'pods', '-l', 'app=app', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ');
    await waitFor(async () => (await k(['logs', first])).stdout === 'hello from /srv as app\n', { message: "the image's command output" });
    await k(['exec', first, '--', 'sh', '-c', 'echo mine > /tmp/shared']);
    const other = await k(['exec', second, '--', 'sh', '-c', 'cat /tmp/shared'], { allowFailure: true });
    assert.notEqual(other.code, 0, "the other replica does not see the first one's file");
    const inside = (await k(['exec', first, '--', 'sh', '-c', `ls /; test -e ${dataDir}/kubeconfig.yaml && echo DATADIR; cat /etc/shadow 2>&1 | head -1`])).stdout;
    assert.doesNotMatch(inside, /DATADIR/, "skiff's data dir is not visible");
    assert.match(inside, /No such file or directory/, "the node's /etc/shadow is not there");
    assert.equal((await k(['exec', first, '--', 'cat', 'index.html'])).stdout, 'from the image\n');
    const events = (await k(['get', 'events', '--field-selector', `involvedObject.name=${first}`])).stdout;
    assert.match(events, new RegExp(`Pulled .*(Successfully pulled image "${open.host}/team/app:v1" in|Container image "${open.host}/team/app:v1" already present on machine)`));
  });

  test('securityContext: a read-only root, capabilities dropped, a non-root user', async () => {
    await apply(
      pod('locked-down', {
        securityContext: { runAsUser: 1000, runAsNonRoot: true },
        containers: [{ name: 'c', image: `${open.host}/team/app:v1`, command: ['sleep', '3600'], securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      }),
    );
    await k(['wait', '--for=condition=Ready', 'pod/locked-down', '--timeout=60s']);
    const touched = await k(['exec', 'locked-down', '--', 'touch', '/x'], { allowFailure: true });
    assert.notEqual(touched.code, 0);
    assert.match(touched.stderr + touched.stdout, /Read-only file system/);
    assert.equal((await k(['exec', 'locked-down', '--', 'id', '-u'])).stdout, '1000\n', 'exec runs as the container user');
    // The container's own process: PID 1 of its PID namespace.
    const status = (await k(['exec', 'locked-down', '--', 'cat', '/proc/1/status'])).stdout;
    assert.match(status, /^Uid:\s+1000\s/m);
    assert.match(status, /^CapBnd:\s+0000000000000000$/m);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
  });

  test('a private image needs its pull secret; a missing tag backs off with upstream\'s messages', async () => {
    const image = `${locked.host}/private/app:v1`;
    await apply(pod('no-secret', { containers: [{ name: 'c', image }] }));
    const refused = await waitFor(async () => {
      const state = await waiting('no-secret');
      return state?.reason === 'ErrImagePull' || state?.reason === 'ImagePullBackOff' ? state : undefined;
    }, { message: 'the pull refused' });
    assert.ok(refused);
    await k(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${locked.host}`, '--docker-username=alice', '--docker-password=secret']);
    await apply(pod('with-secret', { imagePullSecrets: [{ name: 'regcred' }], containers: [{ name: 'c', image }] }));
    await k(['wait', '--for=condition=Ready', 'pod/with-secret', '--timeout=60s']);

    const missing = `${open.host}/team/app:nope`;
    await apply(pod('missing', { containers: [{ name: 'c', image: missing }] }));
    await waitFor(async () => (await waiting('missing'))?.reason === 'ImagePullBackOff', { message: 'ImagePullBackOff' });
    assert.equal((await waiting('missing'))?.message, `Back-off pulling image "${missing}"`);
    const events = (await k(['get', 'events', '--field-selector', 'involvedObject.name=missing'])).stdout;
    assert.match(events, new RegExp(`Failed to pull image "${missing}": failed to pull and unpack image "${missing}": failed to resolve reference "${missing}": ${missing}: not found`));
    assert.match(events, /Error: ErrImagePull/);
  });

  test('a mirror in registries.yaml serves a registry that does not exist, with its repository rewritten', async () => {
    await apply(pod('mirrored', { containers: [{ name: 'c', image: 'mirror.test/apps/app:v1' }] }));
    await k(['wait', '--for=condition=Ready', 'pod/mirrored', '--timeout=60s']);
  });

  test('the issue\'s walk-through: a web server of the image behind a Service, reached by kubectl run -i --rm from another image; exec -it, cp and port-forward inside the image; all still so after skiff restarts', async () => {
    await apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            // fsGroup: the emptyDir is the group's, so the non-root user may write what it serves.
            securityContext: { fsGroup: 2000 },
            containers: [{ name: 'web', image: `${open.host}/team/app:v1`, command: ['httpd', '-f', '-p', '8080', '-h', '/srv'], ports: [{ containerPort: 8080 }], volumeMounts: [{ name: 'drop', mountPath: '/srv/drop' }] }],
            volumes: [{ name: 'drop', emptyDir: {} }],
          },
        },
      },
    });
    await k(['expose', 'deployment', 'web', '--port=80', '--target-port=8080']);
    await k(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const name = (await k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const fetched = await k(['run', '-i', '--rm', '--restart=Never', 'shell', `--image=${open.host}/team/app:v1`, '--command', '--', 'wget', '-qO-', 'web']);
    assert.match(fetched.stdout, /from the image/);

    // exec -it through a real terminal (util-linux script around kubectl): the image has no program to make one.
    const scratch = mkdtempSync(join(tmpdir(), 'skiff-images-tty-'));
    const terminal = await new Promise<string>((resolve, reject) => {
      const command = `stty rows 27 cols 88; ${kubectlPath()} exec -it ${name} -- sh -c 'stty size; id -G'`;
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, KUBECONFIG: cluster.kubeconfig, HOME: scratch }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out.replace(/\0|\^@/g, '')) : reject(new Error(`exec -it exited ${code}: ${out}`))));
      child.stdin.end();
    });
    assert.match(terminal, /27 88/, "the terminal's size reached the container");
    assert.match(terminal, /^1000 2000\s*$/m, 'the image user, with fsGroup among its groups');

    // cp into the emptyDir (as the image's user: fsGroup makes it writable), served back through port-forward.
    const local = join(scratch, 'note.txt');
    writeFileSync(local, 'copied in\n');
    await k(['cp', local, `${name}:/srv/drop/note.txt`]);
    const port = await freePort();
    const forward = cluster.kubectlStream(['port-forward', `pod/${name}`, `${port}:8080`]);
    try {
      await forward.stdout.waitForLine(/Forwarding from 127\.0\.0\.1/);
      const body = await waitFor(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/drop/note.txt`).catch(() => undefined);
        return response?.status === 200 ? response.text() : undefined;
      }, { message: 'the copied file through port-forward' });
      assert.equal(body, 'copied in\n');
    } finally {
      await forward.stop();
    }
    await k(['cp', `${name}:/srv/index.html`, join(scratch, 'index.html')]);
    assert.equal(readFileSync(join(scratch, 'index.html'), 'utf8'), 'from the image\n');

    // skiff restarts; the pod runs on (adopted), and exec still enters its image.
    await cluster.restart();
    assert.equal((await k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout, name, 'the same pod');
    await waitFor(async () => (await k(['exec', name, '--', 'cat', '/srv/drop/note.txt'], { allowFailure: true })).stdout === 'copied in\n', { message: 'exec after the restart' });
    rmSync(scratch, { recursive: true, force: true });
  });

  test('an archive imported with skiff images import runs with imagePullPolicy Never; the Node lists its images', async () => {
    const imported = await runSkiff(['images', 'import', join(dataDir, 'offline.tar'), '--data-dir', dataDir]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /imported docker\.io\/offline\/app:v1 sha256:/);
    const listed = await runSkiff(['images', 'ls', '--data-dir', dataDir]);
    assert.match(listed.stdout, /docker\.io\/offline\/app\s+v1\s+/);
    await apply(pod('offline', { containers: [{ name: 'c', image: 'offline/app:v1', imagePullPolicy: 'Never' }] }));
    await k(['wait', '--for=condition=Ready', 'pod/offline', '--timeout=60s']);
    await waitFor(async () => (await k(['logs', 'offline'])).stdout === 'offline\n', { message: 'the offline image runs' });
    await waitFor(
      async () => {
        const node = JSON.parse((await k(['get', 'nodes', '-o', 'json'])).stdout).items[0];
        const names = (node.status.images ?? []).flatMap((i: { names: string[] }) => i.names);
        return names.includes('docker.io/offline/app:v1') && names.includes(`${open.host}/team/app:v1`);
      },
      { message: "the Node's status.images", timeoutMs: 30_000 },
    );
  });
});
