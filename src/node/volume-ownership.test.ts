import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFsGroup } from './volume-ownership.js';

const skip = typeof process.getuid !== 'function' || process.getuid() !== 0 ? 'changing a file\'s group needs root' : false;

/** A volume with a file, a subdirectory with a private file, and a link out of it. */
function volume(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-fsgroup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'file'), 'x', { mode: 0o644 });
  mkdirSync(join(dir, 'sub'), { mode: 0o700 });
  writeFileSync(join(dir, 'sub', 'private'), 'y', { mode: 0o600 });
  symlinkSync('/etc/passwd', join(dir, 'outside'));
  return dir;
}

const modeOf = (path: string) => lstatSync(path).mode & 0o7777;

test('fsGroup gives every file of a volume the group, with group access and setgid directories', { skip }, async (t) => {
  const cases = [
    { name: 'read-write (emptyDir)', readOnly: false, expect: { dir: 0o2775, file: 0o664, sub: 0o2770, private: 0o660 } },
    { name: 'read-only (configMap, secret)', readOnly: true, expect: { dir: 0o2755, file: 0o644, sub: 0o2750, private: 0o640 } },
  ];
  for (const c of cases) {
    await t.test(c.name, (t) => {
      const dir = volume(t);
      applyFsGroup(dir, { fsGroup: 4321 }, c.readOnly);
      for (const path of [dir, join(dir, 'file'), join(dir, 'sub'), join(dir, 'sub', 'private'), join(dir, 'outside')]) assert.equal(lstatSync(path).gid, 4321, path);
      assert.deepEqual(
        { dir: modeOf(dir), file: modeOf(join(dir, 'file')), sub: modeOf(join(dir, 'sub')), private: modeOf(join(dir, 'sub', 'private')) },
        c.expect,
      );
      // The link is changed itself, never followed out of the volume.
      assert.equal(lstatSync('/etc/passwd').gid, 0);
    });
  }
});

test('OnRootMismatch leaves a volume whose top directory has the group already', { skip }, (t) => {
  const dir = volume(t);
  applyFsGroup(dir, { fsGroup: 4321 }, false);
  // Made later: the setgid directory gives it the group, but not group access.
  writeFileSync(join(dir, 'later'), 'z', { mode: 0o600 });
  applyFsGroup(dir, { fsGroup: 4321, changePolicy: 'OnRootMismatch' }, false);
  assert.equal(modeOf(join(dir, 'later')), 0o600, 'not walked again');
  applyFsGroup(dir, { fsGroup: 4321 }, false);
  assert.equal(modeOf(join(dir, 'later')), 0o660, 'Always walks every time');
  chmodSync(join(dir, 'later'), 0o600);
  applyFsGroup(dir, { fsGroup: 99, changePolicy: 'OnRootMismatch' }, false);
  assert.equal(lstatSync(join(dir, 'later')).gid, 99, 'another group is a mismatch');
  assert.equal(modeOf(join(dir, 'later')), 0o660);
});
