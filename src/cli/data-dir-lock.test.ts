import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DataDirLockedError, lockDataDir, lockFileName } from './data-dir-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-lock-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Another process trying to take the lock: `outcome` is 'locked' (it then holds it until killed) or its error message. */
function contender(dataDir: string): { child: ChildProcess; outcome: Promise<string> } {
  const module = new URL('./data-dir-lock.js', import.meta.url).href;
  const script = `import(${JSON.stringify(module)}).then((m) => m.lockDataDir(${JSON.stringify(dataDir)})).then(() => { console.log('locked'); setInterval(() => {}, 1 << 30); }, (e) => { console.error(e.message); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const outcome = new Promise<string>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve('locked'));
    child.once('exit', (code) => resolve(`exited ${code}: ${stderr}`));
  });
  return { child, outcome };
}

/** Another process holding the lock until it is killed; resolves once it holds it. */
async function holder(dataDir: string): Promise<ChildProcess> {
  const { child, outcome } = contender(dataDir);
  const result = await outcome;
  if (result !== 'locked') throw new Error(`the holder ${result}`);
  return child;
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('a second process is refused with the holder PID, and a kill -9 frees the lock', async () => {
  const dataDir = join(dir, 'a');
  mkdirSync(dataDir);
  const first = await holder(dataDir);
  await assert.rejects(lockDataDir(dataDir), (err: unknown) => {
    assert.ok(err instanceof DataDirLockedError);
    assert.equal(err.holderPid, first.pid);
    assert.match(err.message, new RegExp(`in use by another skiff process \\(PID ${first.pid}\\)`));
    return true;
  });
  await killed(first);
  // No stale lock: the kernel dropped it with the process.
  const lock = await lockDataDir(dataDir);
  lock.release();
  // Released: another process takes it.
  const next = await holder(dataDir);
  await killed(next);
});

test('a recorded PID of a dead process, even our own, does not block', async () => {
  const dataDir = join(dir, 'b');
  mkdirSync(dataDir);
  // Left by a process that had our PID before (a container's skiff is often PID 1 every time).
  const stale = new Database(join(dataDir, lockFileName));
  stale.pragma(`user_version = ${process.pid}`);
  stale.close();
  const lock = await lockDataDir(dataDir);
  lock.release();
});

test('of two processes starting together on a free data dir, exactly one gets it and the other names it', async () => {
  const dataDir = join(dir, 'c');
  mkdirSync(dataDir);
  const contenders = [contender(dataDir), contender(dataDir)];
  const outcomes = await Promise.all(contenders.map((c) => c.outcome));
  const winner = outcomes.indexOf('locked');
  assert.ok(winner >= 0 && outcomes.lastIndexOf('locked') === winner, `outcomes: ${JSON.stringify(outcomes)}`);
  assert.match(outcomes[1 - winner], new RegExp(`exited 1: .*\\(PID ${contenders[winner].child.pid}\\)`));
  await killed(contenders[winner].child);
});

