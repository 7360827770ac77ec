import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestPodShim } from './shim-testing.js';
import { writeContainerSpec } from './container-spec.js';

/** The node helper and one pod shim of plain processes (no namespaces), driven by the protocol itself. */
async function podShim(t: { after(fn: () => void | Promise<void>): void }) {
  const { stateDir, control, next } = await startTestPodShim(t, { isolate: false, prefix: 'skiff-shim-' });
  const container = (id: string, argv: string[]) => {
    const dir = join(stateDir, id);
    mkdirSync(dir);
    writeContainerSpec(dir, { argv, env: { PATH: '/usr/bin:/bin' }, workingDir: '/', cgroupProcs: [], mounts: [], stdin: 'none', tty: false });
    return dir;
  };
  return { stateDir, control, next, container };
}

test('a start the shim cannot read ends that container with its reason, and the shim goes on', async (t) => {
  const { stateDir, control, next, container } = await podShim(t);
  const broken = join(stateDir, 'no-such-container');
  const brokenExit = next('exited', 'broken');
  await control.send(['start', 'broken', broken]);
  assert.equal(await brokenExit, 128);
  // Still there: the next container starts and ends as it should.
  const dir = container('fine', ['sh', '-c', 'exit 7']);
  const fineExit = next('exited', 'fine');
  await control.send(['start', 'fine', dir]);
  assert.equal(await fineExit, 7);
  assert.equal(readFileSync(join(dir, 'exit'), 'utf8'), '7\n');
});

test('a second start of a running container leaves it alone', async (t) => {
  const { control, next, container } = await podShim(t);
  const dir = container('sleeper', ['sleep', '30']);
  const started = next('started', 'sleeper');
  await control.send(['start', 'sleeper', dir]);
  const pid = await started;
  assert.equal(readFileSync(join(dir, 'pid'), 'utf8'), `${pid}\n`, 'its PID is written beside the event');
  await control.send(['start', 'sleeper', dir]);
  const exited = next('exited', 'sleeper');
  await control.send(['terminate', 'sleeper']);
  // Ended by the terminate, not by the second start (which would have said 128).
  assert.equal(await exited, 143);
});
