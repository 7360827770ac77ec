#!/usr/bin/env node
// Runs the compiled test suite with node's test runner.
// Unit tests live beside the code (dist/src/**/*.test.js); end-to-end tests under dist/test/.
// Usage: node scripts/run-tests.mjs [--unit | --e2e] [name-filter]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

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
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
