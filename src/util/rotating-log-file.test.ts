import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotatingLogFile } from './rotating-log-file.js';

test('the log stays within its bound: the full file becomes .1, a new one starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-containerd-log-'));
  try {
    const path = join(dir, 'containerd.log');
    const log = new RotatingLogFile(path, 100);
    for (const letter of ['a', 'b', 'c']) log.write(Buffer.from(`${letter.repeat(59)}\n`));
    log.close();
    assert.equal(readFileSync(`${path}.1`, 'utf8'), `${'b'.repeat(59)}\n`);
    assert.equal(readFileSync(path, 'utf8'), `${'c'.repeat(59)}\n`);
    assert.ok(statSync(path).size <= 100);
    assert.equal(log.tail(2), `${'b'.repeat(59)}\n${'c'.repeat(59)}`);
    assert.equal(log.failed(), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a log that cannot be written is reported once, never thrown', () => {
  const log = new RotatingLogFile('/nonexistent-dir/containerd.log');
  log.write(Buffer.from('line\n'));
  log.write(Buffer.from('line\n'));
  assert.match(log.failed() ?? '', /^\/nonexistent-dir\/containerd\.log: ENOENT/);
  assert.equal(log.tail(), 'line\nline');
});
