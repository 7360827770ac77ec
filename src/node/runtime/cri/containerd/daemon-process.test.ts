import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerdEnvironment, ContainerdProcess, processAlive, stopLeftover } from './daemon-process.js';

function fakeDaemon(dir: string, script: string): string {
  const program = join(dir, 'fake-containerd');
  writeFileSync(program, `#!/bin/sh\n${script}\n`);
  chmodSync(program, 0o755);
  return program;
}

test('containerd runs without the agent\'s service-manager variables, and with the sbin directories on its PATH', () => {
  const env = containerdEnvironment({ PATH: '/usr/bin', NOTIFY_SOCKET: '/run/systemd/notify', LISTEN_FDS: '3', HOME: '/root' });
  assert.equal(env.NOTIFY_SOCKET, undefined);
  assert.equal(env.LISTEN_FDS, undefined);
  assert.equal(env.HOME, '/root');
  assert.ok(env.PATH!.startsWith('/usr/bin:') && env.PATH!.includes('/usr/sbin'));
});

test('its output goes to the log, its pid to the pid file; a stop ends it with SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-containerd-process-'));
  try {
    const program = fakeDaemon(dir, 'echo "args: $*"; exec sleep 1000');
    const daemon = ContainerdProcess.start({ program, configFile: '/x/config.toml', logFile: join(dir, 'log'), pidFile: join(dir, 'pid') });
    assert.equal(readFileSync(join(dir, 'pid'), 'utf8'), `${daemon.pid}\n`);
    const pid = daemon.pid!;
    assert.deepEqual(await daemon.stop(5_000), { code: null, signal: 'SIGTERM' });
    assert.equal(daemon.pid, undefined);
    assert.equal(processAlive(pid), false);
    assert.equal(existsSync(join(dir, 'pid')), false);
    assert.match(readFileSync(join(dir, 'log'), 'utf8'), /args: --config \/x\/config\.toml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one that ignores SIGTERM is killed when the grace period is over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-containerd-process-'));
  try {
    const program = fakeDaemon(dir, "trap '' TERM; echo ready; while :; do sleep 1; done");
    const daemon = ContainerdProcess.start({ program, configFile: '/x', logFile: join(dir, 'log'), pidFile: join(dir, 'pid') });
    // The trap must be set before the SIGTERM: wait for the script to say so.
    const deadline = Date.now() + 10_000;
    while (!daemon.log.tail().includes('ready') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(await daemon.stop(200), { code: null, signal: 'SIGKILL' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a program that cannot start ends at once, its reason in the log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-containerd-process-'));
  try {
    const daemon = ContainerdProcess.start({ program: join(dir, 'absent'), configFile: '/x', logFile: join(dir, 'log'), pidFile: join(dir, 'pid') });
    await daemon.exited;
    assert.match(daemon.log.tail(), /skiff: spawn .*absent ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a containerd an earlier agent left running on this config is stopped; any other process named in the pid file is not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-containerd-leftover-'));
  try {
    const configFile = join(dir, 'config.toml');
    const pidFile = join(dir, 'pid');
    const leftover = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '--config', configFile], { stdio: 'ignore' });
    const exited = new Promise((resolve) => leftover.once('exit', resolve));
    writeFileSync(pidFile, `${leftover.pid}\n`);
    // Wait until its command line shows the arguments (exec has happened).
    const deadline = Date.now() + 10_000;
    while (!readFileSync(`/proc/${leftover.pid}/cmdline`, 'utf8').includes(configFile) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.match((await stopLeftover(pidFile, configFile, 5_000)) ?? '', new RegExp(`stopped containerd ${leftover.pid}`));
    await exited;
    assert.equal(existsSync(pidFile), false);

    writeFileSync(pidFile, `${process.pid}\n`);
    assert.equal(await stopLeftover(pidFile, configFile), undefined);
    assert.equal(processAlive(process.pid), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
