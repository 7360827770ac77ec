/**
 * Rootless: the process runtime run by an ordinary user (here `nobody`,
 * switched to from root) on a kernel that lets ordinary users make user
 * namespaces. A pod gets a user namespace of its own in which the node's
 * user is root; its containers run in their image's root file system (an
 * overlay mounted in that namespace, with the layers' markers in user.*
 * xattrs), with the capabilities and no_new_privs they ask for; exec joins
 * them there; a container that wants another user is refused with a clear
 * message. The work happens in rootless-child.ts, started as that user.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildImage, busyboxLayer } from '../images/build-image.js';
import { writeDockerArchive } from '../images/archive.js';

const nobody = 65534;
const skip = typeof process.getuid !== 'function' || process.getuid() !== 0 ? 'needs root, to become an ordinary user for the test' : false;

/** Runs the child as `nobody`; its one JSON line. */
function runChild(dir: string, archive: string): Promise<Record<string, any>> {
  const here = dirname(fileURLToPath(import.meta.url));
  const fromSource = import.meta.url.endsWith('.ts');
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), join(here, `rootless-child.${fromSource ? 'ts' : 'js'}`), dir, archive], {
    uid: nobody,
    gid: nobody,
    cwd: here,
    env: { PATH: process.env.PATH, HOME: dir, ...(process.env.SKIFF_SHIM ? { SKIFF_SHIM: process.env.SKIFF_SHIM } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? ''));
      } catch {
        reject(new Error(`the rootless child printed no result:\n${stdout}\n${stderr}`));
      }
    });
  });
}

test('an ordinary user runs containers of an image rootless, in a user namespace of their own', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-rootless-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const work = join(dir, 'work');
  mkdirSync(work);
  chownSync(work, nobody, nobody);
  // Three layers: busybox; files (one with file capabilities, which an ordinary user's node leaves out rather
  // than failing the pull); a layer that deletes one (whiteout) and replaces a directory (opaque).
  const fileCapability = Buffer.from('0100000200200000000000000000000000000000', 'hex');
  const image = await buildImage({
    layers: [
      { entries: busyboxLayer() },
      {
        entries: [
          { path: 'etc/greeting', content: 'hello rootless\n' },
          { path: 'etc/gone', content: 'deleted above\n' },
          { path: 'opt/replaced/old', content: 'x' },
          { path: 'bin/capped', content: 'x', xattrs: { 'security.capability': fileCapability, 'user.note': Buffer.from('kept') } },
        ],
      },
      { entries: [{ path: 'etc/gone', type: 'whiteout' }, { path: 'opt/replaced', type: 'opaque' }, { path: 'opt/replaced/new', content: 'y' }] },
    ],
    config: { Env: ['PATH=/bin'], Cmd: ['sh'] },
  });
  const archive = join(dir, 'image.tar');
  await writeDockerArchive(archive, [{ image, repoTags: ['rootless/app:v1'] }]);
  chmodSync(archive, 0o644);

  const result = await runChild(work, archive);
  if (result.isolation === 'none') {
    t.skip(`this kernel lets no ordinary user isolate pods: ${result.describe}`);
    return;
  }
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.isolation, 'rootless');
  assert.match(result.describe, /^rootless: /);
  assert.equal(result.once.exitCode, 0, JSON.stringify(result.once));
  assert.deepEqual(result.once.log, [
    '0',
    'rootless-pod',
    'hello rootless',
    "ls: /etc/gone: No such file or directory",
    'new',
    'CapBnd:\t0000000000000000',
    'NoNewPrivs:\t1',
    'pid1=sh',
  ]);
  assert.deepEqual(result.exec, { exitCode: 0, output: '0\r\nhello rootless\r\n20 70\r\n' });
  assert.equal(result.other.reason, 'CreateContainerError');
  assert.match(result.other.message, /rootless.*would run as uid 1000/);
});
