/**
 * `skiff down [--data-dir DIR]` and `skiff reset [--data-dir DIR] [--yes]`:
 * done with a cluster for now, or for good.
 *
 * down: stops the skiff holding DIR if one runs (SIGTERM, as Ctrl-C: `skiff
 * up` then stops its pods in order), then ends and removes whatever the
 * node still left on the machine (node-leftovers.ts: pods that outlived a
 * `kill -9` or a `skiff agent`, their mounts, containerd, the bridge and
 * nftables tables). The cluster's data stays: the next `skiff up` continues
 * it and makes the pods again from the API. Says what it did; a second run
 * finds nothing.
 *
 * reset: down, then deletes DIR — after asking, unless --yes. Only a
 * directory that looks like a skiff data dir is deleted.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { dataDirHolder } from './data-dir-lock.js';
import { resolveDataDir } from './data-dir.js';
import { removeNodeLeftovers, untilGone } from './node-leftovers.js';
import { UsageError } from './usage-error.js';

/** How long a stopping skiff gets to stop its pods before it is killed. */
const stopTimeoutMs = 90_000;

/** Stops the skiff holding the data dir, if one does; what was done. */
async function stopRunning(dataDir: string): Promise<string[]> {
  const pid = dataDirHolder(dataDir);
  if (!pid) return [];
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    // A cluster started as root (its pods, bridge and tables too) is stopped as root.
    throw new Error(`the skiff holding ${dataDir} (PID ${pid}) runs as another user, whose processes this one may not stop: run skiff down as that user (with sudo if it is root)`);
  }
  if (await untilGone(pid, stopTimeoutMs)) return [`stopped skiff (PID ${pid})`];
  process.kill(pid, 'SIGKILL');
  await untilGone(pid, 5000);
  return [`killed skiff (PID ${pid}): it had not stopped within ${stopTimeoutMs / 1000} s`];
}

/**
 * Only the data dir's owner (or root) can stop its skiff and remove what its
 * node made: anyone else would find nothing they may touch, and say so
 * wrongly.
 */
function ensureOwner(dataDir: string, command: string): void {
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0) return;
  const owner = statSync(dataDir).uid;
  if (owner !== uid) throw new Error(`${dataDir} belongs to ${owner === 0 ? 'root' : `user ${owner}`}: run skiff ${command} as ${owner === 0 ? 'root (sudo)' : 'that user'}`);
}

export async function down(dataDir: string, command = 'down'): Promise<string[]> {
  if (!existsSync(dataDir)) return [];
  ensureOwner(dataDir, command);
  return [...(await stopRunning(dataDir)), ...(await removeNodeLeftovers(dataDir))];
}

export async function runDown(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' } }, strict: true });
  const dataDir = resolveDataDir(values['data-dir']);
  const said = await down(dataDir);
  process.stdout.write(said.length ? said.map((line) => `${line}\n`).join('') : `nothing to stop or remove for ${dataDir}\n`);
  if (existsSync(join(dataDir, 'kubeconfig.yaml'))) process.stdout.write(`the cluster's data stays in ${dataDir}: skiff up continues it\n`);
  return 0;
}

/** Whether a directory is a skiff data dir (never delete anything else). */
function looksLikeDataDir(dir: string): boolean {
  return ['skiff.lock', 'kubeconfig.yaml', 'db', 'pki', 'join-token'].some((entry) => existsSync(join(dir, entry)));
}

export async function runReset(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, yes: { type: 'boolean', short: 'y' } }, strict: true });
  const dataDir = resolveDataDir(values['data-dir']);
  if (!existsSync(dataDir)) {
    process.stdout.write(`nothing to reset: ${dataDir} does not exist\n`);
    return 0;
  }
  // Before looking inside: another user may not see what is there.
  ensureOwner(dataDir, 'reset');
  if ([resolve('/'), resolve(homedir())].includes(dataDir) || !looksLikeDataDir(dataDir)) {
    throw new UsageError(`skiff reset: ${dataDir} does not look like a skiff data dir (no skiff.lock, kubeconfig.yaml, db or pki): not deleted`);
  }
  if (!values.yes) {
    if (!process.stdin.isTTY) throw new UsageError(`skiff reset deletes ${dataDir} and everything in it: pass --yes to do so without a terminal`);
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await prompt.question(`skiff reset: stop the cluster and delete ${dataDir} with all its data? [y/N] `);
    prompt.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stdout.write('nothing deleted\n');
      return 1;
    }
  }
  for (const line of await down(dataDir, 'reset')) process.stdout.write(`${line}\n`);
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`deleted ${dataDir}\n`);
  return 0;
}
