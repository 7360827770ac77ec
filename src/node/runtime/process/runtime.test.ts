import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRuntime, sysctlRefusal } from './runtime.js';

/** A runtime of plain processes; a stopping test stops its containers and shims (stopOnShutdown), unless it leaves them to a next runtime. */
function setup(t: { after(fn: () => void): void }, stopOnShutdown = true) {
  const logDir = mkdtempSync(join(tmpdir(), 'skiff-logs-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'skiff-state-'));
  const runtime = new ProcessRuntime({ logDir, stateDir, hostIP: '127.0.0.1', isolation: 'none', stopOnShutdown });
  t.after(async () => {
    await runtime.shutdown();
    rmSync(logDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { runtime, logDir, stateDir };
}

/** Waits (polling) until the condition holds; fails after 5 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail('condition not met within 5 s');
}

/** Resolves when the container has exited (from the runtime's own events). */
function exitOf(runtime: ProcessRuntime, id: string) {
  return new Promise<NonNullable<Awaited<ReturnType<ProcessRuntime['containerStatus']>>>>((resolve) => {
    runtime.onContainerEvent((_sandbox, status) => {
      if (status.id === id && status.state === 'exited') resolve(status);
    });
    void runtime.containerStatus(id).then((s) => s?.state === 'exited' && resolve(s));
  });
}

test('a container runs its command; its output lands in a CRI log; its exit code is kept', async (t) => {
  const { runtime, logDir } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u1', namespace: 'default', name: 'p' });
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'busybox', command: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'], env: { GREETING: 'hi' } });
  const exited = exitOf(runtime, id);
  await runtime.startContainer(id);
  const status = await exited;
  assert.deepEqual([status.exitCode, status.reason], [3, 'Error']);
  const log = readFileSync(join(logDir, 'pods', 'default_p_u1', 'main', '0.log'), 'utf8');
  assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello\n/m);
  assert.match(log, /stderr F oops\n/);
});

test('stopping sends SIGTERM (exit 143); a container without a command cannot run', async (t) => {
  const { runtime } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u2', namespace: 'default', name: 'q' });
  const sleeper = await runtime.createContainer(sandbox.id, { name: 'sleep', image: 'x', command: ['sleep', '30'] });
  await runtime.startContainer(sleeper);
  assert.equal((await runtime.containerStatus(sleeper))?.state, 'running');
  await runtime.stopContainer(sleeper, 5);
  assert.equal((await runtime.containerStatus(sleeper))?.exitCode, 143);
  const empty = await runtime.createContainer(sandbox.id, { name: 'nothing', image: 'nginx' });
  await runtime.startContainer(empty);
  const status = await runtime.containerStatus(empty);
  assert.equal(status?.reason, 'ContainerCannotRun');
  assert.match(status?.message ?? '', /has none/);
});

test('logs are rotated past their size, keeping the newest files', async (t) => {
  const logDir = mkdtempSync(join(tmpdir(), 'skiff-rotate-'));
  t.after(() => rmSync(logDir, { recursive: true, force: true }));
  const stateDir = mkdtempSync(join(tmpdir(), 'skiff-state-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const runtime = new ProcessRuntime({ logDir, stateDir, hostIP: '127.0.0.1', logMaxBytes: 400, logMaxFiles: 3, isolation: 'none', stopOnShutdown: true });
  t.after(() => runtime.shutdown());
  const sandbox = await runtime.runPodSandbox({ uid: 'u3', namespace: 'default', name: 'chatty' });
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['sh', '-c', 'i=0; while [ $i -lt 60 ]; do echo line $i; i=$((i+1)); done'] });
  const exited = exitOf(runtime, id);
  await runtime.startContainer(id);
  await exited;
  const dir = join(logDir, 'pods', 'default_chatty_u3', 'main');
  const files = readdirSync(dir).sort();
  assert.equal(files.filter((f) => f !== '0.log').length, 2, `two rotated files kept: ${files.join(' ')}`);
  assert.match(readFileSync(join(dir, '0.log'), 'utf8'), /stdout F line 59\n$/, 'the current file has the newest lines');
});

test('a command not on the PATH fails to start with upstream\'s StartError', async (t) => {
  const { runtime } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u4', namespace: 'default', name: 'typo' });
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['no-such-program-here'] });
  await runtime.startContainer(id);
  const status = await runtime.containerStatus(id);
  assert.deepEqual([status?.state, status?.exitCode, status?.reason], ['exited', 128, 'StartError']);
  assert.match(status?.message ?? '', /executable file not found in \$PATH/);
});

test('containers outlive their runtime: a new runtime on the same state adopts them, reads their output and sees them end', async (t) => {
  const { runtime, logDir, stateDir } = setup(t, false);
  const sandbox = await runtime.runPodSandbox({ uid: 'u5', namespace: 'default', name: 'long' });
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['sh', '-c', 'echo before; read line; echo "got $line"; sleep 30'], stdin: true });
  await runtime.startContainer(id);
  const log = join(logDir, 'pods', 'default_long_u5', 'main', '0.log');
  await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('before'));
  // The first runtime goes away without stopping anything (as when a joined agent stops, like the kubelet).
  await runtime.shutdown();
  const next = new ProcessRuntime({ logDir, stateDir, hostIP: '127.0.0.1', isolation: 'none', stopOnShutdown: true });
  t.after(() => next.shutdown());
  await next.recover();
  assert.deepEqual((await next.listPodSandboxes()).map((s) => s.podUid), ['u5']);
  assert.equal((await next.containerStatus(id))?.state, 'running', 'still running after its first runtime is gone');
  // Its output reaches the log through the new runtime.
  next.attach(id, () => {})!.writeStdin!(Buffer.from('hello\n'));
  await until(() => readFileSync(log, 'utf8').includes('got hello'));
  const exited = exitOf(next, id);
  await next.stopContainer(id, 5);
  const status = await exited;
  assert.equal(status.exitCode, 143);
});

test('attach: stdin goes to the container, its output comes back', async (t) => {
  const { runtime } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u6', namespace: 'default', name: 'cat' });
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['cat'], stdin: true, stdinOnce: true });
  await runtime.startContainer(id);
  let output = '';
  const attached = runtime.attach(id, (_stream, data) => (output += data.toString()))!;
  attached.writeStdin!(Buffer.from('ping\n'));
  attached.closeStdin!();
  assert.equal(await attached.exited, 0);
  assert.equal(output, 'ping\n');
});

test('a container with tty runs on a terminal of its own; attach types into it and reads it', async (t) => {
  const { runtime, logDir } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u7', namespace: 'default', name: 'shell' });
  // Each line typed gets the terminal's size back; "bye" ends it.
  const script = 'if [ -t 0 ] && [ -t 1 ]; then echo on-a-terminal; fi; while read line; do [ "$line" = bye ] && break; echo "size=$(stty size)"; done; echo "got $line"';
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['sh', '-c', script], stdin: true, stdinOnce: true, tty: true });
  await runtime.startContainer(id);
  let output = '';
  const attached = runtime.attach(id, (_stream, data) => (output += data.toString()))!;
  assert.ok(attached.resize, 'attach can resize the terminal');
  attached.resize({ width: 97, height: 31 });
  // The resize travels through the shim's control FIFO, the typing through stdin: asked again until it shows.
  for (let asked = 0; !output.includes('size=31 97'); asked++) {
    assert.ok(asked < 100, `the terminal never got the new size: ${output}`);
    const seen = output.length;
    attached.writeStdin!(Buffer.from('size?\r'));
    await until(() => output.length > seen && /size=\d+ \d+\r\n$/.test(output));
  }
  attached.writeStdin!(Buffer.from('bye\r'));
  assert.equal(await attached.exited, 0);
  // A terminal echoes what is typed and ends lines with \r\n; what came before the attach is in the log.
  assert.match(output, /got bye\r\n/);
  const log = readFileSync(join(logDir, 'pods', 'default_shell_u7', 'main', '0.log'), 'utf8');
  assert.match(log, /stdout F on-a-terminal\r\n/);
});

test('a stdinOnce container reads to the end of its input when the client detaches, not before it attaches', async (t) => {
  const { runtime } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u8', namespace: 'default', name: 'counter' });
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['wc', '-l'], stdin: true, stdinOnce: true });
  await runtime.startContainer(id);
  const exited = exitOf(runtime, id);
  // No end of input before anyone attached: the container is still reading.
  assert.equal((await runtime.containerStatus(id))?.state, 'running');
  let output = '';
  const attached = runtime.attach(id, (_stream, data) => (output += data.toString()))!;
  attached.writeStdin!(Buffer.from('a\nb\nc\n'));
  attached.closeStdin!();
  assert.equal((await exited).exitCode, 0);
  assert.equal(output.trim(), '3');
});

test('a container on a terminal that writes faster than the log is read loses nothing (the terminal pushes back)', async (t) => {
  const { runtime, logDir } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u9', namespace: 'default', name: 'flood' });
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['seq', '1', '50000'], tty: true });
  const exited = exitOf(runtime, id);
  await runtime.startContainer(id);
  assert.equal((await exited).exitCode, 0);
  const lines = readFileSync(join(logDir, 'pods', 'default_flood_u9', 'main', '0.log'), 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 50000, 'every line of the terminal reached the log');
  assert.match(lines[49999], / stdout F 50000\r?$/);
});

/** Runs a command through Runtime.exec to its end: its output and how it ended. */
async function execToEnd(runtime: ProcessRuntime, id: string, command: string[], options: { stdin?: string; tty?: { width: number; height: number } } = {}) {
  const exec = runtime.exec(id, command, { stdin: options.stdin !== undefined, ...(options.tty ? { tty: options.tty } : {}) });
  assert.ok(exec, 'the container runs commands');
  let stdout = '';
  let stderr = '';
  exec.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  exec.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (options.stdin !== undefined) exec.stdin!.end(options.stdin);
  const { exitCode, error } = await exec.done;
  return { stdout, stderr, exitCode, error };
}

test("exec runs a command with the container's environment and working directory, on a terminal when asked, and says why one never ran", async (t) => {
  const { runtime } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u10', namespace: 'default', name: 'target' });
  const dir = mkdtempSync(join(tmpdir(), 'skiff-exec-wd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['sleep', '60'], env: { WORD: 'from-the-spec' }, workingDir: dir });
  await runtime.startContainer(id);
  const plain = await execToEnd(runtime, id, ['sh', '-c', 'echo "$WORD in $(pwd)"; echo oops >&2; [ -t 1 ] || echo no-terminal; exit 3']);
  assert.deepEqual(plain, { stdout: `from-the-spec in ${dir}\nno-terminal\n`, stderr: 'oops\n', exitCode: 3, error: undefined });
  assert.equal((await execToEnd(runtime, id, ['cat'], { stdin: 'typed\n' })).stdout, 'typed\n');
  // A terminal of the size asked for; everything it shows comes as stdout.
  const onTerminal = await execToEnd(runtime, id, ['sh', '-c', 'stty size; [ -t 0 ] && echo on-a-terminal; echo err >&2'], { tty: { width: 101, height: 33 } });
  assert.equal(onTerminal.stdout, '33 101\r\non-a-terminal\r\nerr\r\n');
  assert.equal(onTerminal.exitCode, 0);
  const missing = await execToEnd(runtime, id, ['no-such-program']);
  assert.equal(missing.error, 'exec: "no-such-program": executable file not found in $PATH');
  assert.equal(missing.exitCode, 127);
  // Killing an exec ends its command.
  const long = runtime.exec(id, ['sleep', '30'], { stdin: false })!;
  long.kill();
  assert.equal((await long.done).exitCode, 137);
  // An ended container runs nothing.
  const exited = exitOf(runtime, id);
  await runtime.stopContainer(id, 1);
  await exited;
  assert.equal(runtime.exec(id, ['true'], { stdin: false }), undefined);
});

test('exec works in a container adopted from an earlier runtime', async (t) => {
  const { runtime, logDir, stateDir } = setup(t, false);
  const sandbox = await runtime.runPodSandbox({ uid: 'u11', namespace: 'default', name: 'adopted' });
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['sleep', '60'], env: { WORD: 'kept' } });
  await runtime.startContainer(id);
  await runtime.shutdown();
  const next = new ProcessRuntime({ logDir, stateDir, hostIP: '127.0.0.1', isolation: 'none', stopOnShutdown: true });
  t.after(() => next.shutdown());
  await next.recover();
  assert.equal((await execToEnd(next, id, ['sh', '-c', 'echo $WORD'])).stdout, 'kept\n');
  const exited = exitOf(next, id);
  await next.stopContainer(id, 1);
  await exited;
});

test("the agent's stop does not wait out a deleted pod's long grace period: its containers get the runtime's 5 s", async (t) => {
  const { runtime } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u12', namespace: 'default', name: 'stubborn' });
  // Ignores SIGTERM, as a Node.js server does when it is the init of its PID namespace.
  const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'x', command: ['sh', '-c', "trap '' TERM; echo ignoring; while true; do sleep 0.1; done"] });
  await runtime.startContainer(id);
  const exited = exitOf(runtime, id);
  // Not before the trap is set: a SIGTERM earlier would end it at once.
  const log = (await runtime.containerStatus(id))!.logPath!;
  await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('ignoring'));
  // A pod worker deleting the pod, with the default grace period…
  const deleting = runtime.stopContainer(id, 30);
  // … when the agent begins to stop.
  runtime.beginShutdown();
  const status = await exited;
  await deleting;
  assert.equal(status.exitCode, 137, 'killed after the runtime\'s grace period, not the pod\'s');
});

test("sysctls: refused where they would change the node's (plain processes; no network namespace), with bad names and values", () => {
  const isolated = { isolation: 'root' as const, ownNetwork: true };
  const cases: [[string, string][], { isolation: 'root' | 'rootless' | 'none'; ownNetwork: boolean }, RegExp | undefined][] = [
    [[['net.ipv4.ip_unprivileged_port_start', '0'], ['kernel.shm_rmid_forced', '1']], isolated, undefined],
    [[['net/ipv4/ip_local_port_range', '1024 65000']], isolated, undefined],
    [[['kernel.shm_rmid_forced', '1']], { isolation: 'rootless', ownNetwork: false }, undefined],
    [[['net.ipv4.tcp_syncookies', '1']], { isolation: 'rootless', ownNetwork: false }, /no network namespace of its own/],
    [[['kernel.shm_rmid_forced', '1']], { isolation: 'none', ownNetwork: false }, /plain processes/],
    [[['net.ipv4.tcp_syncookies', '1\n2']], isolated, /tab, newline or NUL/],
    [[['../../etc/passwd', '1']], isolated, /not a sysctl name/],
  ];
  for (const [sysctls, pod, refused] of cases) {
    const refusal = sysctlRefusal(sysctls, pod);
    if (refused) assert.match(refusal ?? '', refused, JSON.stringify(sysctls));
    else assert.equal(refusal, undefined, JSON.stringify(sysctls));
  }
});

test('seccomp: RuntimeDefault refuses new namespaces (the command and an exec), a Localhost profile refuses what it names, and a missing one is a CreateContainerError', async (t) => {
  const profiles = mkdtempSync(join(tmpdir(), 'skiff-seccomp-'));
  t.after(() => rmSync(profiles, { recursive: true, force: true }));
  const logDir = mkdtempSync(join(tmpdir(), 'skiff-logs-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'skiff-state-'));
  const runtime = new ProcessRuntime({ logDir, stateDir, hostIP: '127.0.0.1', isolation: 'none', stopOnShutdown: true, seccompProfileRoot: profiles });
  t.after(async () => {
    await runtime.shutdown();
    rmSync(logDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });
  const sandbox = await runtime.runPodSandbox({ uid: 'u-seccomp', namespace: 'default', name: 'filtered' });
  const logOf = (name: string) => readFileSync(join(logDir, 'pods', 'default_filtered_u-seccomp', name, '0.log'), 'utf8');
  const run = async (name: string, security: { seccompProfile: { type: 'RuntimeDefault' | 'Unconfined' | 'Localhost'; localhostProfile?: string } }, script: string) => {
    const id = await runtime.createContainer(sandbox.id, { name, image: 'x', command: ['sh', '-c', script], security });
    const exited = exitOf(runtime, id);
    await runtime.startContainer(id);
    await exited;
    return logOf(name);
  };
  const tryUnshare = 'unshare --user true 2>/dev/null && echo unshare-allowed || echo unshare-refused; echo done';
  assert.match(await run('unconfined', { seccompProfile: { type: 'Unconfined' } }, tryUnshare), /stdout F unshare-allowed\n/);
  assert.match(await run('default', { seccompProfile: { type: 'RuntimeDefault' } }, tryUnshare), /stdout F unshare-refused\n.*stdout F done\n/s);

  // The filter holds for commands run in the container too.
  const sleeper = await runtime.createContainer(sandbox.id, { name: 'sleeper', image: 'x', command: ['sleep', '60'], security: { seccompProfile: { type: 'RuntimeDefault' } } });
  await runtime.startContainer(sleeper);
  assert.equal((await execToEnd(runtime, sleeper, ['sh', '-c', tryUnshare])).stdout, 'unshare-refused\ndone\n');

  writeFileSync(join(profiles, 'no-mkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
  const target = join(profiles, 'made-by-the-container');
  assert.match(await run('localhost', { seccompProfile: { type: 'Localhost', localhostProfile: 'no-mkdir.json' } }, `mkdir ${target} 2>&1; echo "exit $?"`), /Permission denied\n.*stdout F exit 1\n/s);
  assert.equal(existsSync(target), false);

  await assert.rejects(
    runtime.createContainer(sandbox.id, { name: 'missing', image: 'x', command: ['true'], security: { seccompProfile: { type: 'Localhost', localhostProfile: 'nope.json' } } }),
    /cannot load seccomp profile ".*nope\.json": ENOENT/,
  );
  await assert.rejects(
    runtime.createContainer(sandbox.id, { name: 'outside', image: 'x', command: ['true'], security: { seccompProfile: { type: 'Localhost', localhostProfile: '../etc/passwd' } } }),
    /is outside the node's profile directory/,
  );
});

test("oom_score_adj: the container's command and what is exec'd into it get the one its pod's QoS class gives", async (t) => {
  const { runtime, logDir } = setup(t);
  const sandbox = await runtime.runPodSandbox({ uid: 'u-oom', namespace: 'default', name: 'scored' });
  const ids: Record<string, string> = {};
  for (const [name, oomScoreAdj] of [['burstable', 750], ['guaranteed', -997]] as const) {
    ids[name] = await runtime.createContainer(sandbox.id, { name, image: 'x', command: ['sh', '-c', 'cat /proc/self/oom_score_adj; exec sleep 60'], oomScoreAdj });
    await runtime.startContainer(ids[name]);
  }
  const logOf = (name: string) => readFileSync(join(logDir, 'pods', 'default_scored_u-oom', name, '0.log'), 'utf8');
  await until(() => logOf('burstable').includes('stdout F') && logOf('guaranteed').includes('stdout F'));
  assert.match(logOf('burstable'), /stdout F 750\n/);
  // Lowering it takes CAP_SYS_RESOURCE (bit 24): without it (an ordinary user, some sandboxes' root) the container keeps the shim's.
  const mayLower = (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 24n) & 1n;
  const own = readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
  assert.match(logOf('guaranteed'), new RegExp(`stdout F ${mayLower ? '-997' : own}\\n`));
  assert.equal((await execToEnd(runtime, ids.burstable, ['cat', '/proc/self/oom_score_adj'])).stdout, '750\n');
});
