/**
 * skiff up on a terminal (a pseudo-terminal from util-linux's `script`):
 * short human lines only — no JSON — and the JSON log in DIR/logs/skiff.log;
 * `skiff down` stops it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, freePort, runSkiff, waitFor } from './harness.js';

const noScript = spawnSync('script', ['--version']).error ? 'needs script (util-linux)' : false;

test('skiff up on a terminal prints no JSON and writes its log to DIR/logs/skiff.log', { skip: noScript }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-terminal-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const command = [process.execPath, cliPath(), 'up', '--runtime', 'none', '--data-dir', dataDir, '--port', String(port)].map((arg) => `'${arg}'`).join(' ');
  // -e: script's exit code is the command's; -f: its output comes as written.
  const terminal = spawn('script', ['-qefc', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  terminal.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => terminal.once('exit', resolve));
  try {
    await waitFor(async () => output.includes('API server ready at https://'), { message: `the ready line on the terminal:\n${output}` });
    const logFile = join(dataDir, 'logs', 'skiff.log');
    await waitFor(async () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('"msg":"ready"'), { message: 'the ready event in the log file' });
    assert.ok(output.includes(`Log: ${logFile}`), output);
    const json = output.split(/\r?\n/).filter((line) => line.trimStart().startsWith('{'));
    assert.deepEqual(json, [], 'no JSON on the terminal');
    for (const line of readFileSync(logFile, 'utf8').trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
  } finally {
    const down = await runSkiff(['down', '--data-dir', dataDir], 60_000);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await exited, 0, output);
  }
});
