/**
 * Durability: a write the store acknowledged survives `kill -9` of the
 * process that made it. A child process writes and prints every
 * acknowledgement; the test kills it mid-stream and reopens the database.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from './store.js';

it('keeps every acknowledged write after kill -9', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-crash-'));
  try {
    const path = join(dir, 'state.db');
    // The child has this file's extension: .js under dist/, .ts under tsx (whose loader is in execArgv).
    const self = fileURLToPath(import.meta.url);
    const child = spawn(process.execPath, [...process.execArgv, self.replace(/crash\.test\.(ts|js)$/, 'crash-child.$1'), path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acknowledged: { key: string; revision: number }[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [, key, revision] = line.split(' ');
          acknowledged.push({ key, revision: Number(revision) });
        }
        if (acknowledged.length >= 200 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`child exited before 200 acknowledgements: ${stderr}`)));
    });
    assert.equal(await exited, 'SIGKILL');

    const store = await openSqliteStore(path);
    try {
      for (const { key, revision } of acknowledged) {
        const kv = await store.get(key);
        assert.ok(kv, `acknowledged key ${key} is missing after the crash`);
        assert.equal(kv.modRevision, revision);
      }
      assert.ok((await store.currentRevision()) >= acknowledged[acknowledged.length - 1].revision);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
