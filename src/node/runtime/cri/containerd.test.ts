/**
 * CriRuntime against the real containerd 1.6 of this machine: a private
 * containerd (its own root, state, socket, CNI bridge) with a busybox
 * image built from /bin/busybox and imported with ctr; then a pod's life
 * through the CRI — sandbox, container, its log file, exec through the
 * streaming server, stop, removal. Needs root, containerd, ctr, runc, the
 * CNI plugins and a static busybox; skipped without them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buildImage, busyboxLayer } from '../../../../test/images/build-image.js';
import { writeDockerArchive } from '../../../../test/images/archive.js';
import { containerLogPath, logLayoutUnder } from '../../container-logs.js';
import { ExecTimeoutError } from '../runtime.js';
import { CriRuntime } from './cri-runtime.js';

const needs = ['/usr/bin/containerd', '/usr/bin/ctr', '/usr/bin/containerd-shim-runc-v2', '/usr/sbin/runc', '/usr/lib/cni/bridge', '/usr/lib/cni/host-local', '/usr/lib/cni/loopback', '/bin/busybox'];
const missing = needs.filter((path) => !existsSync(path));
const skip = process.getuid?.() !== 0 ? 'needs root' : missing.length ? `needs ${missing.join(', ')}` : false;

const busyboxImage = 'skiff.test/busybox:1';
const sandboxImage = 'skiff.test/pause:1';

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => stream.on('end', () => resolve(Buffer.concat(chunks).toString())));
}

/** A minimal containerd 1.6 config: everything under `dir`, CRI with our sandbox image and a bridge network. */
function writeContainerdConfig(dir: string, bridge: string, subnet: string): string {
  const netDir = join(dir, 'net.d');
  mkdirSync(netDir, { recursive: true });
  const conflist = {
    cniVersion: '1.0.0',
    name: 'skiff-cri-test',
    plugins: [
      { type: 'bridge', bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir: join(dir, 'ipam') } },
      { type: 'loopback' },
    ],
  };
  writeFileSync(join(netDir, '10-skiff.conflist'), JSON.stringify(conflist));
  const config = `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "${dir}/containerd.sock"
[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${sandboxImage}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${netDir}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
`;
  const path = join(dir, 'config.toml');
  writeFileSync(path, config);
  return path;
}

/** Unmounts what containerd left mounted under `dir` (deepest first), so the directory can go. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mountPoint) => mountPoint?.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) {
    try {
      execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

describe('CriRuntime on containerd', { skip }, () => {
  let dir: string;
  let containerd: ChildProcess | undefined;
  let containerdLog = '';
  let runtime: CriRuntime;
  const bridge = `skc${randomBytes(3).toString('hex')}`;
  const subnet = `10.${200 + (randomBytes(1)[0] % 50)}.${randomBytes(1)[0]}.0/24`;

  before(async () => {
    dir = mkdtempSync('/tmp/skiff-containerd-');
    const config = writeContainerdConfig(dir, bridge, subnet);
    const image = await buildImage({ layers: [{ entries: busyboxLayer() }], config: { Cmd: ['/bin/sh'] } });
    // The sandbox's process only has to wait: busybox's sleep does (containerd kills it with SIGKILL).
    const pause = await buildImage({ layers: [{ entries: busyboxLayer() }], config: { Entrypoint: ['/bin/sleep', '2147483647'] } });
    const archive = join(dir, 'images.tar');
    await writeDockerArchive(archive, [
      { image, repoTags: [busyboxImage] },
      { image: pause, repoTags: [sandboxImage] },
    ]);
    containerd = spawn('/usr/bin/containerd', ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    containerd.stderr!.on('data', (chunk: Buffer) => {
      if (containerdLog.length < 256 * 1024) containerdLog += chunk.toString();
    });
    runtime = new CriRuntime({ endpoint: `unix://${dir}/containerd.sock`, podLogsDir: join(dir, 'logs', 'pods'), node: 'cri-test', sandboxImage });
    await until(() => runtime.version(), 'containerd to answer');
    execFileSync('/usr/bin/ctr', ['-a', `${dir}/containerd.sock`, '-n', 'k8s.io', 'images', 'import', archive], { stdio: 'pipe' });
  });

  after(async () => {
    // Whatever a failed test left: its sandboxes go first, so no shim, network namespace or mount outlives containerd.
    for (const sandbox of (await runtime?.client.listPodSandbox().catch(() => [])) ?? []) {
      await runtime.client.stopPodSandbox(sandbox.id).catch(() => {});
      await runtime.client.removePodSandbox(sandbox.id).catch(() => {});
    }
    await runtime?.shutdown();
    if (containerd && containerd.exitCode === null) {
      const exited = new Promise((resolve) => containerd!.once('exit', resolve));
      containerd.kill('SIGTERM');
      await exited;
    }
    try {
      execFileSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
    } catch {
      // never made
    }
    if (dir) {
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a pod: sandbox, container, its log, exec through the streaming server, stop and removal', async (t) => {
    const version = await runtime.version();
    t.diagnostic(`${version.runtimeName} ${version.runtimeVersion}, CRI ${version.runtimeApiVersion}`);
    assert.equal(runtime.name, 'containerd');
    assert.ok((await runtime.images.imageStatus(busyboxImage))?.id.startsWith('sha256:'));

    const pod = { uid: 'cri-test-uid', namespace: 'default', name: 'hello' };
    const sandbox = await runtime.runPodSandbox({ ...pod, hostname: 'hello', dns: { nameservers: ['10.43.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] } });
    assert.equal(sandbox.state, 'ready');
    assert.ok(sandbox.ip.startsWith(subnet.split('.').slice(0, 3).join('.') + '.'), `pod IP ${sandbox.ip} in ${subnet}`);
    assert.deepEqual((await runtime.listPodSandboxes()).map((s) => s.id), [sandbox.id]);

    const logPath = containerLogPath(logLayoutUnder(join(dir, 'logs')), pod, 'app', 0);
    const id = await runtime.createContainer(sandbox.id, {
      name: 'app',
      image: busyboxImage,
      command: ['sh', '-c', 'echo hi; echo oops >&2; sleep 30'],
      env: { GREETING: 'hello' },
      logPath,
      memoryLimit: 64 * 1024 * 1024,
      milliCPULimit: 500,
      oomScoreAdj: 750,
      security: { allowPrivilegeEscalation: false },
    });
    await runtime.startContainer(id);
    const running = await runtime.containerStatus(id);
    assert.deepEqual([running?.state, running?.name, running?.attempt, running?.logPath], ['running', 'app', 0, logPath]);

    const log = await until(() => {
      const text = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
      return text.includes('stdout F hi') && text.includes('stderr F oops') ? text : undefined;
    }, 'the container log');
    assert.match(log, /^\S+ stdout F hi$/m);

    const exec = runtime.exec(id, ['sh', '-c', 'echo ok; echo $GREETING $(hostname); cat /proc/1/oom_score_adj; cat /etc/resolv.conf'], { stdin: false })!;
    const [out, err] = [readAll(exec.stdout), readAll(exec.stderr)];
    assert.deepEqual(await exec.done, { exitCode: 0 });
    const output = await out;
    // The oom_score_adj its pod's QoS class gives (a Burstable one here), on the container's process.
    assert.match(output, /^ok\nhello hello\n750\n/);
    assert.match(output, /nameserver 10\.43\.0\.10/);
    assert.equal(await err, '');

    const failing = runtime.exec(id, ['sh', '-c', 'exit 3'], { stdin: false })!;
    assert.deepEqual(await failing.done, { exitCode: 3 });
    const absent = await runtime.exec(id, ['no-such-command'], { stdin: false })!.done;
    assert.equal(absent.exitCode, null);
    assert.match(absent.error ?? '', /no-such-command/);

    const reader = runtime.exec(id, ['sh', '-c', 'read line; echo got $line'], { stdin: true })!;
    const readerOut = readAll(reader.stdout);
    reader.stdin!.write('hello\n');
    assert.deepEqual(await reader.done, { exitCode: 0 });
    assert.equal(await readerOut, 'got hello\n');

    // Over SPDY (auto, as stdin is fed): stdin can end, and cat ends with it.
    const cat = runtime.exec(id, ['cat'], { stdin: true })!;
    const catOut = readAll(cat.stdout);
    cat.stdin!.end(Buffer.alloc(200 * 1024, 'y'));
    assert.deepEqual(await cat.done, { exitCode: 0 });
    assert.equal(await catOut, 'y'.repeat(200 * 1024));

    // Both transports, on a terminal. The command waits for a last line before it ends: containerd 1.6 may
    // drop the output of a terminal exec that ends at once (its own race, seen with a bare client too).
    // The size is not checked here: containerd applies it after the command starts, and now and then
    // not at all, over either transport (the fake server's tests check what we send).
    for (const streamingTransport of ['websocket', 'spdy'] as const) {
      const other = new CriRuntime({ endpoint: `unix://${dir}/containerd.sock`, node: 'cri-test', streamingTransport });
      try {
        await other.listContainers(sandbox.id);
        const tty = other.exec(id, ['sh', '-c', 'read line; echo "[$line]"; read end'], { stdin: true, tty: { width: 120, height: 40 } })!;
        let ttyOut = '';
        tty.stdout.on('data', (data: Buffer) => (ttyOut += data.toString()));
        tty.stdin!.write('go\r');
        await until(() => /\[go\]\r\n/.test(ttyOut), `the terminal's output over ${streamingTransport}`);
        tty.stdin!.write('end\r');
        assert.deepEqual(await tty.done, { exitCode: 0 }, streamingTransport);
      } finally {
        await other.shutdown();
      }
    }

    const synced = await runtime.execSync(id, ['echo', 'sync'], 5);
    assert.deepEqual([synced.stdout.toString(), synced.exitCode], ['sync\n', 0]);

    const stats = await runtime.containerStats(id);
    assert.ok(stats && stats.memoryBytes > 0 && stats.cpuNanos > 0, `stats ${JSON.stringify(stats)}`);

    const events: string[] = [];
    runtime.onContainerEvent((sandboxId, status) => {
      if (sandboxId === sandbox.id && status.id === id) events.push(status.state);
    });
    await runtime.relist();
    await runtime.stopContainer(id, 1);
    await runtime.relist();
    assert.deepEqual(events, ['running', 'exited']);
    const stopped = await runtime.containerStatus(id);
    assert.equal(stopped?.state, 'exited');
    assert.ok(stopped?.exitCode === 137 || stopped?.exitCode === 143, `exit code ${stopped?.exitCode}`);
    assert.equal(stopped?.reason, 'Error');
    assert.ok(stopped?.finishedAt instanceof Date);

    await runtime.removeContainer(id);
    assert.equal(await runtime.containerStatus(id), undefined);
    await runtime.stopPodSandbox(sandbox.id);
    await runtime.removePodSandbox(sandbox.id);
    assert.deepEqual(await runtime.listPodSandboxes(), []);
  });

  it('attaches to a container’s stdin and output; closing stdin (stdinOnce) ends it', async () => {
    const sandbox = await runtime.runPodSandbox({ uid: 'cri-test-3', namespace: 'default', name: 'shell' });
    try {
      const id = await runtime.createContainer(sandbox.id, { name: 'shell', image: busyboxImage, command: ['sh', '-c', 'while read l; do echo got $l; done; echo bye'], stdin: true, stdinOnce: true });
      await runtime.startContainer(id);
      await runtime.listContainers(sandbox.id);
      let output = '';
      const attached = runtime.attach(id, (_stream, data) => (output += data.toString()))!;
      attached.writeStdin!(Buffer.from('a\n'));
      await until(() => output.includes('got a'), 'the attached output');
      attached.closeStdin!();
      assert.equal(await attached.exited, 0);
      await until(() => output.includes('bye'), 'the last output');
      assert.equal((await runtime.containerStatus(id))?.reason, 'Completed');
    } finally {
      await runtime.stopPodSandbox(sandbox.id);
      await runtime.removePodSandbox(sandbox.id);
    }
  });

  it('refuses a privileged container in a sandbox not made privileged, with containerd’s words', async () => {
    const sandbox = await runtime.runPodSandbox({ uid: 'cri-test-2', namespace: 'default', name: 'plain' });
    try {
      await assert.rejects(runtime.createContainer(sandbox.id, { name: 'p', image: busyboxImage, security: { privileged: true } }), /no privileged container allowed in sandbox/);
    } finally {
      await runtime.stopPodSandbox(sandbox.id);
      await runtime.removePodSandbox(sandbox.id);
    }
  });

  it("runs the sandbox's pause as the pod's runAsUser and runAsGroup; its PID comes from the verbose status", async () => {
    const sandbox = await runtime.runPodSandbox({ uid: 'cri-test-5', namespace: 'default', name: 'identity', runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [2000, 4000] });
    try {
      const pid = await runtime.sandboxPid(sandbox.id);
      assert.ok(pid && pid > 1, `a pause PID (${pid})`);
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      assert.match(status, /^Uid:\s+1000\s+1000\s/m);
      assert.match(status, /^Gid:\s+3000\s+3000\s/m);
      // The supplemental groups are sent, but containerd 1.6 gives the sandbox's process its group only.
      assert.match(status, /^Groups:\s+3000\s*$/m);
      // Its network namespace is the pod's: not the node's.
      assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
    } finally {
      await runtime.stopPodSandbox(sandbox.id);
      await runtime.removePodSandbox(sandbox.id);
    }
  });

  it('gives a pod a cgroup of its own (cgroupfs): PodSandboxStats answers with its cpu, memory and network; the cgroup goes with the pod', async () => {
    const measured = new CriRuntime({ endpoint: `unix://${dir}/containerd.sock`, node: 'cri-test', podCgroups: true });
    const uid = '5c6d7e8f-0000-4000-8000-00000000c6c6';
    const podCgroups = () => ['memory', 'cpu', 'pids', ''].map((hierarchy) => join('/sys/fs/cgroup', hierarchy, 'skiff', `pod${uid}`)).filter((path) => existsSync(path));
    const sandbox = await measured.runPodSandbox({ uid, namespace: 'default', name: 'measured' });
    try {
      const id = await measured.createContainer(sandbox.id, { name: 'app', image: busyboxImage, command: ['sh', '-c', 'sleep 3600'] });
      await measured.startContainer(id);
      assert.ok(podCgroups().length > 0, 'the pod cgroup exists');
      const whole = await measured.podSandboxStats(sandbox.id);
      assert.ok(whole?.cpuNanos !== undefined && whole.cpuNanos > 0, `cpu ${whole?.cpuNanos}`);
      assert.ok(whole?.memoryWorkingSetBytes !== undefined && whole.memoryWorkingSetBytes > 0, `memory ${whole?.memoryWorkingSetBytes}`);
      assert.ok(whole?.network?.some((i) => i.name === 'eth0'), JSON.stringify(whole?.network));
    } finally {
      await measured.stopPodSandbox(sandbox.id);
      await measured.removePodSandbox(sandbox.id);
      await measured.shutdown();
    }
    assert.deepEqual(podCgroups(), [], 'the pod cgroup is removed with the pod');
  });

  it('gives a pod the node’s PID and IPC namespaces, its sysctls, and a container its seccomp profile', async () => {
    const sandbox = await runtime.runPodSandbox({ uid: 'cri-test-4', namespace: 'default', name: 'host-ns', hostPID: true, hostIPC: true, sysctls: { 'net.ipv4.ip_local_port_range': '1024 65000' } });
    try {
      const id = await runtime.createContainer(sandbox.id, {
        name: 'app',
        image: busyboxImage,
        command: ['sh', '-c', 'sleep 3600'],
        security: { allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } },
      });
      await runtime.startContainer(id);
      const shown = await runtime.execSync(id, ['sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; ls -l /proc/self/ns/pid /proc/self/ns/ipc; cat /proc/sys/net/ipv4/ip_local_port_range'], 10);
      const text = shown.stdout.toString();
      assert.equal(shown.exitCode, 0, text + shown.stderr.toString());
      assert.match(text, /^Seccomp:\s+2$/m);
      assert.match(text, /^NoNewPrivs:\s+1$/m);
      assert.ok(text.includes(readlinkSync('/proc/self/ns/pid')), `the node's PID namespace in ${text}`);
      assert.ok(text.includes(readlinkSync('/proc/self/ns/ipc')), `the node's IPC namespace in ${text}`);
      assert.match(text, /^1024\s+65000$/m);
    } finally {
      await runtime.stopPodSandbox(sandbox.id);
      await runtime.removePodSandbox(sandbox.id);
    }
  });

  it('shares one PID namespace with shareProcessNamespace, applies a Localhost seccomp profile, passes AppArmor profiles (refused where the node has no AppArmor) and kills an ExecSync command at its timeout', async () => {
    const profiles = join(dir, 'seccomp');
    mkdirSync(profiles, { recursive: true });
    writeFileSync(join(profiles, 'no-mkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    const profiled = new CriRuntime({ endpoint: `unix://${dir}/containerd.sock`, node: 'cri-test', seccompProfileRoot: profiles });
    const sandbox = await profiled.runPodSandbox({ uid: 'cri-test-5', namespace: 'default', name: 'shared' });
    try {
      const id = await profiled.createContainer(sandbox.id, { name: 'app', image: busyboxImage, command: ['sh', '-c', 'sleep 3600'] });
      await profiled.startContainer(id);
      const shown = await profiled.execSync(id, ['grep', '^Seccomp:', '/proc/self/status'], 10);
      assert.match(shown.stdout.toString(), /^Seccomp:\s+0$/m, 'no profile: Unconfined');

      const shared = await profiled.runPodSandbox({ uid: 'cri-test-6', namespace: 'default', name: 'shared-pid', shareProcessNamespace: true });
      try {
        const other = await profiled.createContainer(shared.id, {
          name: 'app',
          image: busyboxImage,
          command: ['sh', '-c', 'sleep 3600'],
          security: { seccompProfile: { type: 'Localhost', localhostProfile: 'no-mkdir.json' } },
        });
        await profiled.startContainer(other);
        // PID 1 of the shared namespace is the sandbox's process (our pause: busybox sleep).
        const first = await profiled.execSync(other, ['cat', '/proc/1/cmdline'], 10);
        assert.equal(first.stdout.toString(), '/bin/sleep\u00002147483647\u0000');
        const denied = await profiled.execSync(other, ['mkdir', '/tmp/x'], 10);
        assert.notEqual(denied.exitCode, 0);
        assert.match(denied.stderr.toString(), /Operation not permitted/);
      } finally {
        await profiled.stopPodSandbox(shared.id);
        await profiled.removePodSandbox(shared.id);
      }

      const appArmorPath = '/sys/module/apparmor/parameters/enabled';
      const appArmor = existsSync(appArmorPath) && readFileSync(appArmorPath, 'utf8').trim() === 'Y';
      const confined = profiled.createContainer(sandbox.id, { name: 'confined', image: busyboxImage, command: ['sleep', '3600'], security: { appArmorProfile: { type: 'RuntimeDefault' } } });
      if (appArmor) assert.ok(await confined);
      else await assert.rejects(confined, /apparmor is not supported/);

      // containerd kills the command at the timeout and answers DeadlineExceeded.
      await assert.rejects(profiled.execSync(id, ['sleep', '4242'], 1), (err: unknown) => err instanceof ExecTimeoutError);
      const left = readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\u00004242\u0000';
          } catch {
            return false;
          }
        });
      assert.deepEqual(left, []);
    } finally {
      await profiled.stopPodSandbox(sandbox.id);
      await profiled.removePodSandbox(sandbox.id);
      await profiled.shutdown();
    }
  });
});
