/**
 * Start time, as a user sees it: from spawning `skiff up` to the line
 * "API server ready" on its output, measured here (not inside the process,
 * so Node's own start and module loading count). Five starts on a new data
 * dir (PKI, database and bootstrap objects created) and five on the same
 * data dir again (warm), each against its target; then `skiff version`.
 * Both entry points are timed: the bundled bin (dist/skiff.mjs, what
 * `npx skiff` runs) and tsc's unbundled dist/src/cli/main.js.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './cluster.js';
import { median } from './stats.js';

const readyLine = 'API server ready at';
const targets = { newDataDirMs: 500, warmMs: 300 };
const runs = 5;

export const entryPoints = [
  { name: 'dist/skiff.mjs (bin, bundled)', path: fileURLToPath(new URL('../skiff.mjs', import.meta.url)) },
  { name: 'dist/src/cli/main.js', path: fileURLToPath(new URL('../src/cli/main.js', import.meta.url)) },
];

/** Spawns `skiff up` (no node: the agent would start after the ready line anyway), times it to the ready line, stops it. */
async function timeStart(cli: string, dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'up', '--data-dir', dataDir, '--port', String(port), '--runtime', 'none'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const readyMs = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`skiff up did not become ready:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyLine)) {
        clearTimeout(timer);
        resolve(performance.now() - started);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`skiff up exited with ${code}:\n${output}`)));
  });
  // The next start must not share the CPU with this one's controllers or its shutdown.
  child.kill('SIGTERM');
  await exited;
  return readyMs;
}

function verdict(value: number, target: number): string {
  return `${Math.round(value)} ms (target < ${target} ms: ${value < target ? 'met' : 'MISSED'})`;
}

function list(samples: number[]): string {
  return samples.map((sample) => Math.round(sample)).join(', ');
}

export async function measureStart(): Promise<void> {
  console.log(`start, spawn → "${readyLine}" (skiff up --runtime none, median of ${runs}; load average ${loadavg()[0].toFixed(2)}):`);
  for (const entry of entryPoints) {
    const fresh: number[] = [];
    for (let i = 0; i < runs; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-start-'));
      try {
        fresh.push(await timeStart(entry.path, dataDir));
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-start-'));
    const warm: number[] = [];
    try {
      await timeStart(entry.path, dataDir);
      for (let i = 0; i < runs; i++) warm.push(await timeStart(entry.path, dataDir));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    console.log(`  ${entry.name}: new data dir ${verdict(median(fresh), targets.newDataDirMs)} [${list(fresh)}]; warm ${verdict(median(warm), targets.warmMs)} [${list(warm)}]`);
  }
  const versions = entryPoints.map((entry) => {
    const samples = Array.from({ length: runs }, () => {
      const started = performance.now();
      const result = spawnSync(process.execPath, [entry.path, 'version'], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`skiff version failed: ${result.stderr}`);
      return performance.now() - started;
    });
    return `${entry.name} ${Math.round(median(samples))} ms [${list(samples)}]`;
  });
  console.log(`  skiff version, spawn → exit (median of ${runs}): ${versions.join('; ')}`);
}
