/** Command logging: JSON without a terminal; on one, short lines there and the JSON in a bounded file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseLogFormat, createCommandLogger, textLine } from './log.js';

test('the format: the flag, else text on a terminal, else JSON', () => {
  assert.equal(chooseLogFormat(undefined, true), 'text');
  assert.equal(chooseLogFormat(undefined, false), 'json');
  assert.equal(chooseLogFormat(undefined, undefined), 'json');
  assert.equal(chooseLogFormat('json', true), 'json');
  assert.equal(chooseLogFormat('text', false), 'text');
});

test('an event as a line: component, message, fields, its error last', () => {
  assert.equal(textLine({ component: 'network', msg: 'ingress listening', http: 80, https: 443 }), 'network: ingress listening (http=80, https=443)');
  assert.equal(textLine({ msg: 'no cluster DNS', address: '10.42.0.1', error: 'EADDRINUSE' }), 'no cluster DNS (address=10.42.0.1): EADDRINUSE');
});

function fakeTerminal(colours: boolean) {
  const written: string[] = [];
  return { written, terminal: { isTTY: true, hasColors: () => colours, write: (text: string) => written.push(text) } };
}

test('on a terminal: every event to the file as JSON, only warnings on the terminal (in yellow with colours); -v 1 shows events up to 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'logs', 'skiff.log');
  const quiet = fakeTerminal(true);
  const { log, format, close } = await createCommandLogger({ verbosity: 0, file, terminal: quiet.terminal });
  assert.equal(format, 'text');
  log({ component: 'apiserver', msg: 'listening', port: 6443 });
  log({ component: 'network', msg: 'no service proxy', error: 'nft failed' });
  log({ component: 'agent', msg: 'detail', v: 2 });
  close();
  assert.deepEqual(quiet.written, ['\x1b[33mwarning: network: no service proxy: nft failed\x1b[0m\n']);
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { msg: string; ts: string });
  assert.deepEqual(lines.map((line) => line.msg), ['listening', 'no service proxy']);
  assert.match(lines[0].ts, /^\d{4}-\d{2}-\d{2}T/);

  const chatty = fakeTerminal(false);
  const verbose = await createCommandLogger({ verbosity: 1, file, terminal: chatty.terminal });
  verbose.log({ component: 'apiserver', msg: 'listening', port: 6443 });
  verbose.log({ component: 'agent', msg: 'detail', v: 2 });
  verbose.log({ msg: 'broken', error: 'x' });
  verbose.close();
  assert.deepEqual(chatty.written, ['apiserver: listening (port=6443)\n', 'warning: broken: x\n']);
});

test('without a terminal: JSON lines where they always went, no file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const written: string[] = [];
  const { log, format } = await createCommandLogger({ verbosity: 0, file: join(dir, 'skiff.log'), terminal: { isTTY: false, write: (text: string) => written.push(text) } });
  assert.equal(format, 'json');
  log({ msg: 'hello' });
  assert.equal(JSON.parse(written[0]).msg, 'hello');
  assert.throws(() => readFileSync(join(dir, 'skiff.log')));
});
