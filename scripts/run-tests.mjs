#!/usr/bin/env node
// Runs the compiled test suite with node's test runner.
// Unit tests live beside the code (dist/src/**/*.test.js); end-to-end tests under dist/test/.
// Usage: node scripts/run-tests.mjs [--unit | --e2e] [name-filter]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const only = args.includes('--unit') ? 'unit' : args.includes('--e2e') ? 'e2e' : 'all';
const filter = args.find((a) => !a.startsWith('--'));

function find(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out = out.concat(find(path));
    else if (entry.endsWith('.test.js')) out.push(path);
  }
  return out;
}

let files = [];
if (only !== 'e2e') files = files.concat(find('dist/src'), find('dist/bench'));
if (only !== 'unit') files = files.concat(find('dist/test'));
if (filter) files = files.filter((f) => f.includes(filter));
files.sort();
if (files.length === 0) {
  console.error('no test files found; did the build run?');
  process.exit(1);
}
// A test that hangs fails on its own after TEST_TIMEOUT_MS rather than holding the run.
const TEST_TIMEOUT_MS = 10 * 60_000;
// The suite takes about ten minutes here. A run past the deadline is stuck (a test file whose
// process never ends, say): print what is still running, so the log says which file, and stop.
const deadlineMinutes = Number(process.env.SKIFF_TEST_DEADLINE_MINUTES ?? 45);

// --test-force-exit: a file whose tests all ended exits even when something it started still holds
// its event loop (a timer a test left): that never holds the run.
const runner = spawn(process.execPath, ['--test', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, '--test-force-exit', ...files], { stdio: 'inherit', detached: true });
const deadline = setTimeout(() => {
  console.error(`\n# run-tests: still running after ${deadlineMinutes} minutes; what is left:`);
  console.error(processesUnder(runner.pid).join('\n'));
  try {
    process.kill(-runner.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  process.exit(1);
}, deadlineMinutes * 60_000);
// The runner has a process group of its own (so the deadline can end all of it): pass on Ctrl-C and kill.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    try {
      process.kill(-runner.pid, signal);
    } catch {
      // already gone
    }
  });
}
runner.on('exit', (code, signal) => {
  clearTimeout(deadline);
  process.exit(code ?? (signal ? 1 : 0));
});

/** The process tree under pid, one `pid seconds-running command` line each (from ps). */
function processesUnder(pid) {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,etimes=,args='], { encoding: 'utf8' });
  if (ps.status !== 0) return [`(ps failed: ${ps.stderr || ps.error})`];
  const rows = ps.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pidText, ppidText, seconds, ...args] = line.trim().split(/\s+/);
      return { pid: Number(pidText), ppid: Number(ppidText), seconds, args: args.join(' ') };
    });
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) {
      if (!tree.has(row.pid) && tree.has(row.ppid)) {
        tree.add(row.pid);
        grew = true;
      }
    }
  }
  return rows.filter((row) => tree.has(row.pid)).map((row) => `#   ${row.pid} ${row.seconds}s ${row.args.slice(0, 300)}`);
}
