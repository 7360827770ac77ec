/**
 * Where the runtime's state goes (state-dir.ts), for each kind of host:
 * a table of cases against a stand-in host, with /run and the user's
 * runtime dir in a scratch directory (no real mount is made).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirKey, removeIfNoPods, runtimeStateCandidates, runtimeStateLocation, type StateDirHost } from './state-dir.js';

const scratch = mkdtempSync(join(tmpdir(), 'skiff-state-dir-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Case {
  name: string;
  isRoot: boolean;
  /** What the stand-in host says is on a tmpfs: its /run, /run/skiff, the user's runtime dir. */
  tmpfs: ('run' | 'xdg')[];
  mountFails?: boolean;
  xdg?: boolean;
  /** State of pods an earlier skiff left on disk. */
  earlierPods?: boolean;
  expected: { in: 'run' | 'xdg' | 'disk'; mounted?: boolean };
}

const cases: Case[] = [
  { name: 'root, /run a tmpfs (systemd): /run/skiff/KEY', isRoot: true, tmpfs: ['run'], expected: { in: 'run' } },
  { name: 'root, /run on disk: a tmpfs mounted at /run/skiff', isRoot: true, tmpfs: [], expected: { in: 'run', mounted: true } },
  { name: 'root, no mount allowed: the data dir', isRoot: true, tmpfs: [], mountFails: true, expected: { in: 'disk' } },
  { name: 'an ordinary user with $XDG_RUNTIME_DIR on a tmpfs: there', isRoot: false, tmpfs: ['xdg'], xdg: true, expected: { in: 'xdg' } },
  { name: 'an ordinary user whose $XDG_RUNTIME_DIR is on disk: the data dir', isRoot: false, tmpfs: [], xdg: true, expected: { in: 'disk' } },
  { name: 'an ordinary user without $XDG_RUNTIME_DIR: the data dir', isRoot: false, tmpfs: ['run'], expected: { in: 'disk' } },
  { name: 'pods of an earlier skiff on disk: kept there, to be adopted', isRoot: true, tmpfs: ['run'], earlierPods: true, expected: { in: 'disk' } },
];

describe('runtimeStateLocation', () => {
  let counter = 0;
  for (const c of cases) {
    it(c.name, () => {
      const dir = join(scratch, `case-${++counter}`);
      const dataDir = join(dir, 'data');
      const run = join(dir, 'run');
      const xdg = join(dir, 'xdg');
      for (const made of [dataDir, run, xdg]) mkdirSync(made, { recursive: true });
      if (c.earlierPods) mkdirSync(join(dataDir, 'runtime', 'sandboxes', 'an-earlier-pod'), { recursive: true });
      const mounted: string[] = [];
      const host: StateDirHost = {
        isRoot: c.isRoot,
        runBase: join(run, 'skiff'),
        env: c.xdg ? { XDG_RUNTIME_DIR: xdg } : {},
        onTmpfs: (path) => mounted.includes(path) || (path === run && c.tmpfs.includes('run')) || (path === xdg && c.tmpfs.includes('xdg')),
        mountTmpfs: (path) => {
          if (c.mountFails) return 'mount: permission denied';
          mounted.push(path);
          return undefined;
        },
      };
      const location = runtimeStateLocation(dataDir, host);
      assert.deepEqual(mounted, c.expected.mounted ? [join(run, 'skiff')] : []);
      if (c.expected.in === 'disk') {
        assert.deepEqual([location.stateDir, location.inMemory, location.snapshotDir], [join(dataDir, 'runtime'), false, undefined]);
        assert.match(location.note, c.mountFails ? /could not be mounted at .*run\/skiff \(mount: permission denied\)/ : /on disk/);
        removeIfNoPods(location);
        assert.ok(existsSync(location.stateDir) || !c.earlierPods, 'a state dir on disk is never removed');
        return;
      }
      const base = c.expected.in === 'run' ? join(run, 'skiff') : join(xdg, 'skiff');
      assert.equal(location.stateDir, join(base, dataDirKey(dataDir)));
      assert.equal(location.inMemory, true);
      assert.equal(location.snapshotDir, join(dataDir, 'runtime', 'snapshots'), 'writable layers stay on disk');
      assert.equal(readFileSync(join(location.stateDir, 'data-dir'), 'utf8'), `${dataDir}\n`);
      if (c.expected.in === 'xdg') assert.ok(runtimeStateCandidates(dataDir, host.env).includes(location.stateDir), 'skiff images looks there');
      // Removed once no pod is left in it; kept while one is.
      mkdirSync(join(location.stateDir, 'sandboxes', 'a-pod'), { recursive: true });
      removeIfNoPods(location);
      assert.ok(existsSync(location.stateDir));
      rmSync(join(location.stateDir, 'sandboxes', 'a-pod'), { recursive: true });
      removeIfNoPods(location);
      assert.ok(!existsSync(location.stateDir));
    });
  }

  it('names a data dir the same through a symlink, and another one otherwise', () => {
    const real = join(scratch, 'real');
    mkdirSync(real);
    writeFileSync(join(scratch, 'other'), '');
    symlinkSync(real, join(scratch, 'link'));
    assert.equal(dataDirKey(join(scratch, 'link')), dataDirKey(real));
    assert.notEqual(dataDirKey(real), dataDirKey(join(scratch, 'other')));
    assert.deepEqual(runtimeStateCandidates(real, {}), [join(real, 'runtime'), join('/run/skiff', dataDirKey(real))]);
  });
});
