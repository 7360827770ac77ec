/**
 * Containers in their image's root file system (skiff-shim's rootfs.c),
 * driven through a real isolated pod shim as the agent drives it: layers
 * built here by hand from the static busybox, an overlay of them per
 * container, bind mounts, a read-only root, identity, capabilities,
 * no_new_privs, masked and read-only paths, /dev, and an image whose
 * symlinks point out of it. Needs root, /bin/busybox (static) and a built
 * skiff-shim (SKIFF_SHIM names one); skipped, saying which is missing,
 * otherwise.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, closeSync, constants, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { shimBinary } from './shim-client.js';
import { startTestPodShim } from './shim-testing.js';
import { writeContainerSpec, type ContainerRootfs, type ContainerSpec } from './container-spec.js';
import { defaultMaskedPaths, defaultReadOnlyPaths } from './security.js';

const skip =
  process.getuid?.() !== 0
    ? 'needs root (an isolated pod, overlay and bind mounts)'
    : !existsSync('/bin/busybox')
      ? 'needs a static /bin/busybox (Debian: busybox-static) to build image layers from'
      : !shimBinary()
        ? 'needs a built skiff-shim (npm run build, or SKIFF_SHIM=path)'
        : false;

const applets = ['sh', 'cat', 'ls', 'id', 'echo', 'touch', 'stat', 'mount', 'grep', 'wc', 'tty', 'pwd', 'test', 'mkdir', 'head'];

/** An image of two layers: busybox and /etc in the base, /etc/message replaced in the top one. */
function buildLayers(root: string): { base: string; top: string } {
  const base = join(root, 'layers', 'base');
  const top = join(root, 'layers', 'top');
  mkdirSync(join(base, 'bin'), { recursive: true });
  mkdirSync(join(base, 'etc'));
  mkdirSync(join(top, 'etc'), { recursive: true });
  copyFileSync('/bin/busybox', join(base, 'bin', 'busybox'));
  chmodSync(join(base, 'bin', 'busybox'), 0o755);
  for (const name of applets) symlinkSync('busybox', join(base, 'bin', name));
  writeFileSync(join(base, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n');
  writeFileSync(join(base, 'etc', 'group'), 'root:x:0:\nuser:x:1000:\nextra:x:2000:user\n');
  writeFileSync(join(base, 'etc', 'message'), 'from the base layer\n');
  writeFileSync(join(base, 'etc', 'only-in-base'), 'base\n');
  writeFileSync(join(top, 'etc', 'message'), 'from the top layer\n');
  return { base, top };
}

/** What is waiting in one of a container's output FIFOs (the shim holds them open: nothing blocks). */
function drainFifo(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const chunks: Buffer[] = [];
  try {
    const buffer = Buffer.alloc(65536);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw err;
      }
      if (n <= 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface Ran {
  code: number;
  /** stdout then stderr. */
  output: string;
  startError: string | undefined;
  dir: string;
  upper: string;
}

type Options = Partial<Omit<ContainerSpec, 'rootfs'>> & { rootfs?: Partial<ContainerRootfs> };

/** An isolated pod shim of the node helper, and a way to run a container of the image in it to its end. */
async function isolatedPod(t: { after(fn: () => void | Promise<void>): void }) {
  const { stateDir, control, next } = await startTestPodShim(t, {
    isolate: true,
    prefix: 'skiff-rootfs-',
    // The mounts were the containers' (their mount namespaces ended with them): none is the test's.
    afterTeardown: (dir) => assert.deepEqual(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes(dir)), [], 'mounts left behind'),
  });
  const layers = buildLayers(stateDir);
  const exited = (id: string) => next('exited', id);
  const run = async (id: string, script: string | string[], options: Options = {}): Promise<Ran> => {
    const dir = join(stateDir, 'containers', id);
    mkdirSync(dir, { recursive: true });
    const { rootfs, ...rest } = options;
    writeContainerSpec(dir, {
      argv: typeof script === 'string' ? ['sh', '-c', script] : script,
      env: { PATH: '/bin' },
      workingDir: '/',
      cgroupProcs: [],
      mounts: [],
      stdin: 'none',
      tty: false,
      ...rest,
      rootfs: {
        dir: join(dir, 'rootfs'),
        lowerDirs: [layers.top, layers.base],
        upperDir: join(dir, 'upper'),
        workDir: join(dir, 'work'),
        readOnly: false,
        privileged: false,
        maskedPaths: [],
        readOnlyPaths: [],
        ...rootfs,
      },
    });
    const ended = exited(id);
    await control.send(['start', id, dir]);
    const code = await ended;
    const startErrorFile = join(dir, 'start-error');
    return {
      code,
      output: drainFifo(join(dir, 'stdout')) + drainFifo(join(dir, 'stderr')),
      startError: existsSync(startErrorFile) ? readFileSync(startErrorFile, 'utf8') : undefined,
      dir,
      upper: join(dir, 'upper'),
    };
  };
  return { stateDir, layers, run };
}

/** A line of /proc/self/status as the container printed it ("CapEff:\t…"), its value. */
function statusField(output: string, name: string): string | undefined {
  return output.match(new RegExp(`^${name}:\\s*(\\S+)`, 'm'))?.[1];
}

describe('a container in its image\'s root file system', { skip, timeout: 60_000 }, () => {
  it('sees the image\'s files, the top layer winning, and nothing of the node\'s', async (t) => {
    const { stateDir, run } = await isolatedPod(t);
    const ran = await run('files', `cat /etc/message /etc/only-in-base; test -e /etc/os-release && echo node-os-release; test -e ${stateDir} && echo agent-dir; test -e /usr && echo node-usr; echo done`);
    assert.equal(ran.startError, undefined);
    assert.equal(ran.code, 0);
    assert.equal(ran.output, 'from the top layer\nbase\ndone\n');
  });

  it('writes into its own layer: two containers of the same layers do not see each other\'s writes', async (t) => {
    const { layers, run } = await isolatedPod(t);
    const first = await run('first', 'echo mine > /written && echo changed > /etc/message && cat /written /etc/message');
    assert.equal(first.output, 'mine\nchanged\n');
    assert.equal(readFileSync(join(first.upper, 'written'), 'utf8'), 'mine\n', 'in the first container\'s upper directory');
    assert.equal(readFileSync(join(layers.top, 'etc', 'message'), 'utf8'), 'from the top layer\n', 'the layer is untouched');
    const second = await run('second', 'test -e /written && echo seen; cat /etc/message');
    assert.equal(second.output, 'from the top layer\n');
  });

  it('gets its volumes: a read-write one takes writes onto the node, a read-only one refuses them, missing mount points are made', async (t) => {
    const { stateDir, run } = await isolatedPod(t);
    const volume = join(stateDir, 'volume');
    const readOnly = join(stateDir, 'read-only');
    const hosts = join(stateDir, 'hosts');
    mkdirSync(volume);
    mkdirSync(readOnly);
    writeFileSync(join(readOnly, 'kept'), 'kept\n');
    writeFileSync(hosts, '127.0.0.1 localhost pod\n');
    // In the container's /dev: mounted after it, not hidden under it.
    const terminationLog = join(stateDir, 'termination-log');
    writeFileSync(terminationLog, '');
    const ran = await run('volumes', 'echo hi > /data/file && echo wrote; touch /ro/x 2>/dev/null || echo refused; cat /ro/kept /etc/hosts; test -d /made/for/it && echo made; echo bye > /dev/termination-log', {
      mounts: [
        { hostPath: volume, containerPath: '/data' },
        { hostPath: readOnly, containerPath: '/ro', readOnly: true },
        { hostPath: hosts, containerPath: '/etc/hosts', readOnly: true },
        { hostPath: volume, containerPath: '/made/for/it' },
        { hostPath: terminationLog, containerPath: '/dev/termination-log' },
      ],
    });
    assert.equal(ran.startError, undefined);
    assert.equal(ran.output, 'wrote\nrefused\nkept\n127.0.0.1 localhost pod\nmade\n');
    assert.equal(readFileSync(join(volume, 'file'), 'utf8'), 'hi\n');
    assert.equal(existsSync(join(readOnly, 'x')), false);
    assert.equal(readFileSync(terminationLog, 'utf8'), 'bye\n');
  });

  it('never mounts onto the node through a symlink of the image pointing out of it', async (t) => {
    const { stateDir, layers, run } = await isolatedPod(t);
    const nodeFile = join(stateDir, 'node-file');
    const notOnNode = join(stateDir, 'not-on-the-node');
    writeFileSync(nodeFile, 'the node\'s own\n');
    // Up and out, absolute, relative: all resolve inside the root (where nothing is: made there).
    symlinkSync(`/../../../..${nodeFile}`, join(layers.base, 'etc', 'hosts'));
    symlinkSync(notOnNode, join(layers.base, 'etc', 'resolv.conf'));
    symlinkSync(`../../../../../../../..${nodeFile}`, join(layers.base, 'etc', 'hostname'));
    const sources = ['hosts', 'resolv', 'hostname'].map((name) => {
      writeFileSync(join(stateDir, `${name}-source`), `agent's ${name}\n`);
      return join(stateDir, `${name}-source`);
    });
    const ran = await run('escape', 'cat /etc/hosts /etc/resolv.conf /etc/hostname', {
      mounts: [
        { hostPath: sources[0], containerPath: '/etc/hosts' },
        { hostPath: sources[1], containerPath: '/etc/resolv.conf' },
        { hostPath: sources[2], containerPath: '/etc/hostname' },
      ],
    });
    assert.equal(ran.startError, undefined);
    // Both /etc/hosts and /etc/hostname lead to the same place in the root: the later mount is on top.
    assert.equal(ran.output, "agent's hostname\nagent's resolv\nagent's hostname\n");
    assert.equal(readFileSync(nodeFile, 'utf8'), 'the node\'s own\n', 'the node\'s file is unchanged');
    assert.equal(existsSync(notOnNode), false, 'nothing was made on the node');
    assert.ok(existsSync(join(ran.upper, nodeFile)), 'the mount points were made inside the container\'s root');
    assert.ok(existsSync(join(ran.upper, notOnNode)));
  });

  it('refuses an image whose /proc is a symlink, and a mount whose target is in the container\'s /proc', async (t) => {
    const { stateDir, layers, run } = await isolatedPod(t);
    const source = join(stateDir, 'source');
    writeFileSync(source, 'agent\n');
    const intoProc = await run('into-proc', 'true', { mounts: [{ hostPath: source, containerPath: '/proc/self/environ' }] });
    assert.equal(intoProc.code, 128);
    assert.equal(intoProc.startError, `mount ${source} on /proc/self/environ: the target is in the container's /proc`);
    symlinkSync('/etc', join(layers.top, 'proc'));
    const symlinked = await run('symlinked', 'true');
    assert.equal(symlinked.startError, 'mount /proc: it is a symlink in the image, not a directory');
  });

  it('with a read-only root: writes to it fail, a read-write volume still takes them, a missing working directory is made first', async (t) => {
    const { stateDir, run } = await isolatedPod(t);
    const volume = join(stateDir, 'volume');
    mkdirSync(volume);
    const ran = await run('read-only', 'pwd; touch /x 2>/dev/null || echo root-refused; touch /data/y && echo volume-ok; echo > /dev/shm/z && echo shm-ok', {
      workingDir: '/work/dir',
      mounts: [{ hostPath: volume, containerPath: '/data' }],
      rootfs: { readOnly: true },
    });
    assert.equal(ran.startError, undefined);
    assert.equal(ran.output, '/work/dir\nroot-refused\nvolume-ok\nshm-ok\n');
    assert.ok(existsSync(join(volume, 'y')));
  });

  it('runs as the uid, gid and supplementary groups given, without capabilities', async (t) => {
    const { run } = await isolatedPod(t);
    const ran = await run('user', 'id -u; id -g; id -G; grep -E "^Cap(Eff|Prm)" /proc/self/status', { user: { uid: 1000, gid: 1000, groups: [2000] } });
    assert.equal(ran.startError, undefined);
    assert.match(ran.output, /^1000\n1000\n1000 2000\n/);
    assert.equal(statusField(ran.output, 'CapEff'), '0000000000000000');
    assert.equal(statusField(ran.output, 'CapPrm'), '0000000000000000');
  });

  it('keeps only the capabilities given: the bounding set, and root\'s own; a non-root user has none', async (t) => {
    const { run } = await isolatedPod(t);
    // CAP_CHOWN (0), CAP_DAC_OVERRIDE (1), CAP_NET_BIND_SERVICE (10): 0x403.
    const capabilities = [0, 1, 10];
    const root = await run('root', 'grep -E "^Cap" /proc/self/status; mount -t tmpfs none /mnt 2>/dev/null || echo mount-refused', { capabilities });
    assert.equal(root.startError, undefined);
    assert.equal(statusField(root.output, 'CapBnd'), '0000000000000403');
    assert.equal(statusField(root.output, 'CapEff'), '0000000000000403');
    assert.equal(statusField(root.output, 'CapPrm'), '0000000000000403');
    assert.equal(statusField(root.output, 'CapInh'), '0000000000000000');
    assert.match(root.output, /mount-refused/, 'without CAP_SYS_ADMIN');
    const user = await run('user', 'grep -E "^Cap" /proc/self/status', { capabilities, user: { uid: 1000, gid: 1000, groups: [] } });
    assert.equal(statusField(user.output, 'CapBnd'), '0000000000000403');
    assert.equal(statusField(user.output, 'CapEff'), '0000000000000000');
    const full = await run('full', 'grep -E "^CapEff" /proc/self/status');
    assert.notEqual(statusField(full.output, 'CapEff'), '0000000000000000', 'without capabilities=: all of root\'s');
  });

  it('sets no_new_privs when asked', async (t) => {
    const { run } = await isolatedPod(t);
    const on = await run('on', 'grep NoNewPrivs /proc/self/status', { noNewPrivileges: true });
    assert.equal(statusField(on.output, 'NoNewPrivs'), '1');
    const off = await run('off', 'grep NoNewPrivs /proc/self/status');
    assert.equal(statusField(off.output, 'NoNewPrivs'), '0');
  });

  it('hides masked paths and protects read-only ones (missing ones skipped); a privileged container has neither', async (t) => {
    const { run } = await isolatedPod(t);
    // A kernel without /proc/kcore (CONFIG_PROC_KCORE) still has /proc/timer_list; the missing one is skipped.
    const file = existsSync('/proc/kcore') ? '/proc/kcore' : '/proc/timer_list';
    const rootfs = { maskedPaths: ['/proc/kcore', '/proc/timer_list', '/sys/firmware', '/proc/no-such-path'], readOnlyPaths: ['/proc/sys', '/proc/no-such-path'] };
    // Writing back the value it has: harmless even if it were not refused.
    const script = `head -c 1 < ${file} | wc -c; ls -A /sys/firmware | wc -l; v=$(cat /proc/sys/kernel/printk_ratelimit); (echo $v > /proc/sys/kernel/printk_ratelimit) 2>/dev/null || echo sys-refused`;
    const ran = await run('masked', script, { rootfs });
    assert.equal(ran.startError, undefined);
    assert.equal(ran.output.replace(/ +/g, ''), '0\n0\nsys-refused\n');
    const privileged = await run('privileged', `head -c 1 < ${file} | wc -c; grep -q " /sys rw," /proc/self/mountinfo && echo sys-rw; test -e /dev/kmsg && echo node-devices`, { rootfs: { ...rootfs, privileged: true } });
    assert.equal(privileged.startError, undefined);
    assert.equal(privileged.output.replace(/ +/g, ''), '1\nsys-rw\nnode-devices\n', `${file} is not masked, /sys writable, the node's devices there`);
    // The agent's defaults (containerd's), whichever of them this kernel has.
    const defaults = await run('defaults', `head -c 1 < ${file} | wc -c`, { rootfs: { maskedPaths: defaultMaskedPaths, readOnlyPaths: defaultReadOnlyPaths } });
    assert.equal(defaults.startError, undefined);
    assert.equal(defaults.output.trim(), '0');
  });

  it('has a /dev of its own: the basic devices and its own /dev/pts, none of the node\'s devices; /sys read-only', async (t) => {
    const { run } = await isolatedPod(t);
    const nodeDevices = ['/dev/kmsg', '/dev/vda', '/dev/sda', '/dev/nvme0n1', '/dev/loop0'].filter((path) => existsSync(path));
    const script = [
      'for d in null zero full random urandom tty; do test -c /dev/$d && echo $d; done',
      'echo x > /dev/null && echo null-writable',
      'test -d /dev/pts && test -c /dev/pts/ptmx && test -L /dev/ptmx && echo pts',
      'test -L /dev/fd && test -d /dev/shm && echo links',
      ...nodeDevices.map((path) => `test -e ${path} && echo node-device ${path}`),
      'grep -q " /sys ro," /proc/self/mountinfo && echo sys-ro',
      'true',
    ].join('; ');
    // As a user other than root: the devices must be usable by anyone.
    const ran = await run('dev', script, { user: { uid: 1000, gid: 1000, groups: [] } });
    assert.equal(ran.startError, undefined);
    assert.equal(ran.output, 'null\nzero\nfull\nrandom\nurandom\ntty\nnull-writable\npts\nlinks\nsys-ro\n');
  });

  it('runs on a terminal opened before the pivot, which is its /dev/console', async (t) => {
    const { run } = await isolatedPod(t);
    const ran = await run('terminal', 'test -t 0 && test -t 1 && echo on-a-terminal; tty', { tty: true });
    assert.equal(ran.startError, undefined);
    assert.equal(ran.output.replace(/\r/g, ''), 'on-a-terminal\n/dev/console\n');
  });

  it('says when the command is not in the image\'s PATH', async (t) => {
    const { run } = await isolatedPod(t);
    const ran = await run('missing', ['nope']);
    assert.equal(ran.code, 128);
    assert.equal(ran.startError, 'exec: "nope": executable file not found in $PATH');
  });

  it('mounts many layers whose names are over a page of options, relative to their directory; says when even that does not fit', async (t) => {
    const { stateDir, layers, run } = await isolatedPod(t);
    // As the agent keeps them: one directory of layers named by digest.
    const many = join(layers.base, '..', 'sha256');
    const names = Array.from({ length: 50 }, (_, i) => createHash('sha256').update(String(i)).digest('hex'));
    for (const [i, name] of names.entries()) {
      mkdirSync(join(many, name, 'layers'), { recursive: true });
      writeFileSync(join(many, name, 'layers', String(i)), '');
    }
    const lowerDirs = [...names.map((name) => join(many, name)), layers.top, layers.base];
    assert.ok(lowerDirs.join(':').length > 4096, 'the absolute names alone would not fit');
    const ran = await run('many', 'ls /layers | wc -l; cat /etc/message', { rootfs: { lowerDirs } });
    assert.equal(ran.startError, undefined);
    assert.equal(ran.output, '50\nfrom the top layer\n');
    const tooMany = Array.from({ length: 100 }, (_, i) => join(many, names[i % names.length]));
    const failed = await run('too-many', 'true', { rootfs: { lowerDirs: tooMany } });
    assert.equal(failed.code, 128);
    assert.match(failed.startError ?? '', /^mount overlay on .*: the names of its 100 layers do not fit in the 4095 bytes of mount options/);
  });
});
