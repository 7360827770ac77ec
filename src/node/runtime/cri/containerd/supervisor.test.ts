/**
 * The managed containerd, for real: needs root and Debian's containerd,
 * runc and CNI plugins (skipped otherwise). Each test uses its own data dir
 * and pod range, and removes the bridge it made.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { LogEvent } from '../../../../util/log.js';
import { BridgeNetwork } from '../../process/network.js';
import { processAlive } from './daemon-process.js';
import { containerdPaths } from './paths.js';
import { SANDBOX_IMAGE } from './pause-image.js';
import { checkPrerequisites } from './setup.js';
import { startManagedContainerd, waitForSocket } from './supervisor.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const skip = !isRoot ? 'needs root' : !existsSync('/usr/bin/containerd') ? 'containerd is not installed' : false;

/** Waits for a condition with a deadline (no fixed sleeps). */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(check()).catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Removes what a test left: its bridge, its state under /run, its data dir. */
async function cleanUp(dataDir: string, podCIDR: string): Promise<void> {
  await new BridgeNetwork(podCIDR).remove();
  rmSync(dirname(containerdPaths(dataDir, { isRoot: true }).state), { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}

describe('checks before containerd starts', () => {
  it('says containerd needs root, and what to do instead', () => {
    assert.throws(() => checkPrerequisites({ isRoot: false }), /^Error: containerd needs root: run skiff as root or use --runtime process$/);
  });

  it('names every missing program', () => {
    assert.throws(() => checkPrerequisites({ isRoot: true, containerdPath: '/nonexistent/containerd', ctrPath: '/nonexistent/ctr' }), /\/nonexistent\/containerd is missing \(install containerd\); \/nonexistent\/ctr is missing .* or use --runtime process/);
  });
});

describe('waiting for the socket', () => {
  it('answers once the socket accepts, and gives up with the reason otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-containerd-socket-'));
    const path = join(dir, 'sock');
    const server = createServer((socket) => socket.destroy());
    try {
      await assert.rejects(waitForSocket(path, 100, () => undefined), /did not accept a connection within 0\.1 s/);
      await assert.rejects(waitForSocket(path, 10_000, () => 'containerd ended'), /^Error: containerd ended$/);
      await new Promise<void>((resolve) => server.listen(path, resolve));
      await waitForSocket(path, 10_000, () => undefined);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the managed containerd', { skip }, () => {
  it('starts, serves with the pause image, comes back after a crash, and is gone after the stop', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-containerd-'));
    const podCIDR = '10.42.231.0/24';
    const events: LogEvent[] = [];
    const controller = new AbortController();
    try {
      const managed = await startManagedContainerd({
        dataDir,
        podCIDR,
        log: (event) => events.push(event),
        signal: controller.signal,
        restartBackoff: { baseDelayMs: 10, maxDelayMs: 100 },
      });
      assert.equal(managed.endpoint, `unix://${managed.socket}`);
      assert.equal(managed.sandboxImage, SANDBOX_IMAGE);
      const ctr = (...args: string[]) => run('/usr/bin/ctr', ['--address', managed.socket, '--timeout', '10s', ...args], { timeout: 20_000 }).then((result) => result.stdout);
      assert.match(await ctr('version'), /Server:\s+Version:/);
      assert.ok((await ctr('-n', 'k8s.io', 'images', 'ls', '-q')).split('\n').includes(SANDBOX_IMAGE));

      // Killed behind the supervisor's back: a new one answers on the same socket.
      const first = managed.pid()!;
      process.kill(first, 'SIGKILL');
      const second = await eventually('a restarted containerd', () => {
        const pid = managed.pid();
        return pid !== undefined && pid !== first ? pid : undefined;
      });
      await eventually('the restarted containerd to answer', () => ctr('version'));
      assert.ok(events.some((event) => event.msg === 'containerd ended; restarting' && event.how === 'killed by SIGKILL'));

      controller.abort();
      await managed.stopped;
      assert.equal(managed.pid(), undefined);
      assert.equal(processAlive(second), false);
      assert.ok(events.some((event) => event.msg === 'containerd stopped'));
      await assert.rejects(ctr('version'));
    } finally {
      controller.abort();
      await cleanUp(dataDir, podCIDR);
    }
  });

  it('a containerd that ends before it answers gives its last words in the error', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-containerd-'));
    const podCIDR = '10.42.232.0/24';
    try {
      const program = join(dataDir, 'broken-containerd');
      writeFileSync(program, '#!/bin/sh\necho "containerd: failed to load TOML: boom" >&2\nexit 3\n');
      chmodSync(program, 0o755);
      await assert.rejects(
        startManagedContainerd({ dataDir, podCIDR, log: () => {}, signal: new AbortController().signal, containerdPath: program }),
        /containerd ended \(exit code 3\) before it answered; its last words:\n[\s\S]*failed to load TOML: boom/,
      );
    } finally {
      await cleanUp(dataDir, podCIDR);
    }
  });

  it('an abort while it starts stops the containerd started and rejects', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-containerd-'));
    const podCIDR = '10.42.233.0/24';
    const controller = new AbortController();
    try {
      // A containerd that never answers: the start is still waiting for it when the abort comes.
      const program = join(dataDir, 'silent-containerd');
      writeFileSync(program, '#!/bin/sh\nexec sleep 1000\n');
      chmodSync(program, 0o755);
      const starting = startManagedContainerd({ dataDir, podCIDR, log: () => {}, signal: controller.signal, containerdPath: program });
      const { pidFile } = containerdPaths(dataDir, { isRoot: true });
      const pid = await eventually('the pid file', () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined));
      controller.abort();
      await assert.rejects(starting, { name: 'AbortError' });
      assert.equal(processAlive(pid), false);
    } finally {
      await cleanUp(dataDir, podCIDR);
    }
  });
});
