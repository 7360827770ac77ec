import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { newAuditEvent, type AuditEvent } from './event.js';
import { AuditLogBackend, type AuditLogBackendOptions } from './log-backend.js';
import { auditSettingsFromFlags, defaultAuditLogSettings, validateAuditLogSettings } from './options.js';
import { backupTimestamp } from './rotating-file.js';

function event(id: number, bodyBytes = 0): AuditEvent {
  const e = newAuditEvent({
    auditID: `id-${id}`,
    level: bodyBytes ? 'Request' : 'Metadata',
    attributes: { verb: 'get', resourceRequest: true, apiGroup: '', apiVersion: 'v1', resource: 'configmaps', namespace: 'default', name: `cm-${id}`, user: { username: 'admin', groups: [] } },
    requestURI: `/api/v1/namespaces/default/configmaps/cm-${id}`,
    sourceIPs: ['127.0.0.1'],
  });
  if (bodyBytes) e.requestObject = { data: { blob: 'x'.repeat(bodyBytes) } };
  return e;
}

/** A clock a second further on each time it is read, so backup names differ. */
function steppingClock(start = Date.UTC(2026, 11, 5, 22, 0, 0)) {
  let now = start;
  return () => new Date((now += 1000));
}

/** A writable whose writes finish only when released. */
function gatedWritable() {
  const chunks: Buffer[] = [];
  let pending: (() => void)[] = [];
  let open = false;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      if (open) callback();
      else pending.push(() => callback());
    },
  });
  return {
    stream,
    chunks,
    release() {
      open = true;
      for (const done of pending) done();
      pending = [];
    },
  };
}

const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '');

describe('AuditLogBackend', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (options: Partial<AuditLogBackendOptions> = {}) => new AuditLogBackend({ path: join(dir, 'logs', 'audit.log'), ...options });

  it('writes one JSON line per event, creating the file 0600 in a 0700 directory', async () => {
    const backend = open();
    const mode = (path: string) => statSync(path).mode & 0o777;
    assert.equal(mode(join(dir, 'logs')), 0o700);
    assert.equal(mode(join(dir, 'logs', 'audit.log')), 0o600);
    assert.equal(await backend.processEvents(event(1), event(2)), true);
    assert.equal(await backend.processEvents(event(3)), true);
    await backend.close();
    const lines = readLines(join(dir, 'logs', 'audit.log'));
    assert.deepEqual(
      lines.map((line) => JSON.parse(line).auditID),
      ['id-1', 'id-2', 'id-3'],
    );
    assert.equal(JSON.parse(lines[0]).kind, 'Event');
    assert.deepEqual(backend.counters, { events: 3, errors: 0 });
  });

  it('writes the legacy format', async () => {
    const backend = open({ format: 'legacy' });
    await backend.processEvents(event(1));
    await backend.close();
    assert.match(readLines(join(dir, 'logs', 'audit.log'))[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z AUDIT: id="id-1" stage="RequestReceived" ip="127.0.0.1" method="get" user="admin" /);
  });

  it('rotates before a line would pass --audit-log-maxsize, to <name>-<time>.<ext>', async () => {
    const backend = open({ maxSizeMB: 1, now: steppingClock() });
    // About 300 KB each: three fit in a megabyte, the fourth starts a new file.
    for (let i = 0; i < 10; i++) await backend.processEvents(event(i, 300 * 1024));
    await backend.close();
    const files = readdirSync(join(dir, 'logs')).sort();
    assert.equal(files.length, 4);
    assert.deepEqual(files.slice(0, 3), ['audit-2026-12-05T22-00-01.000.log', 'audit-2026-12-05T22-00-02.000.log', 'audit-2026-12-05T22-00-03.000.log']);
    assert.equal(files[3], 'audit.log');
    const ids: string[] = [];
    for (const file of files) {
      const path = join(dir, 'logs', file);
      assert.ok(statSync(path).size <= 1024 * 1024, file);
      ids.push(...readLines(path).map((line) => JSON.parse(line).auditID));
    }
    assert.deepEqual(
      ids,
      Array.from({ length: 10 }, (_, i) => `id-${i}`),
    );
  });

  it('keeps --audit-log-maxbackup backups, the newest', async () => {
    const backend = open({ maxSizeMB: 1, maxBackups: 2, now: steppingClock() });
    for (let i = 0; i < 12; i++) await backend.processEvents(event(i, 400 * 1024));
    await backend.close();
    const files = readdirSync(join(dir, 'logs')).sort();
    assert.equal(files.length, 3);
    assert.equal(files[2], 'audit.log');
    const backupIds = files.slice(0, 2).flatMap((file) => readLines(join(dir, 'logs', file)).map((line) => JSON.parse(line).auditID));
    assert.deepEqual(backupIds, ['id-6', 'id-7', 'id-8', 'id-9']);
  });

  it('removes backups older than --audit-log-maxage days, by the time in their name', async () => {
    const now = Date.UTC(2026, 11, 5);
    const logs = join(dir, 'logs');
    open(); // creates the directory
    const old = `audit-${backupTimestamp(new Date(now - 3 * 86_400_000))}.log`;
    const recent = `audit-${backupTimestamp(new Date(now - 3_600_000))}.log`;
    for (const name of [old, recent, 'audit-not-a-time.log', 'other-2020-01-01T00-00-00.000.log']) writeFileSync(join(logs, name), 'x\n');
    const backend = open({ maxAgeDays: 2, now: () => new Date(now) });
    await backend.processEvents(event(1));
    await backend.close();
    assert.deepEqual(readdirSync(logs).sort(), ['audit-not-a-time.log', recent, 'audit.log', 'other-2020-01-01T00-00-00.000.log'].sort());
  });

  it('gzips backups with --audit-log-compress', async () => {
    const backend = open({ maxSizeMB: 1, compress: true, now: steppingClock() });
    for (let i = 0; i < 4; i++) await backend.processEvents(event(i, 400 * 1024));
    await backend.close();
    const files = readdirSync(join(dir, 'logs')).sort();
    assert.deepEqual(files, ['audit-2026-12-05T22-00-01.000.log.gz', 'audit.log']);
    const lines = gunzipSync(readFileSync(join(dir, 'logs', files[0]))).toString('utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line).auditID),
      ['id-0', 'id-1'],
    );
  });

  it('refuses a line larger than the maximum size, and goes on', async () => {
    const logged: Record<string, unknown>[] = [];
    const backend = open({ maxSizeMB: 1, logger: (e) => logged.push(e) });
    assert.equal(await backend.processEvents(event(1, 1100 * 1024), event(2)), true);
    await backend.close();
    assert.deepEqual(
      readLines(join(dir, 'logs', 'audit.log')).map((line) => JSON.parse(line).auditID),
      ['id-2'],
    );
    assert.equal(backend.counters.errors, 1);
    assert.match(String(logged[0].msg), /^Error in audit plugin 'log' affecting 1 audit events: write length \d+ exceeds maximum file size 1048576$/);
  });

  it('fails to start when the log file cannot be created', () => {
    writeFileSync(join(dir, 'file'), '');
    assert.throws(() => new AuditLogBackend({ path: join(dir, 'file', 'audit.log') }), /^Error: ensureLogFile: /);
  });

  it('writes to standard output for "-"', async () => {
    const out = gatedWritable();
    out.release();
    const backend = new AuditLogBackend({ path: '-', stdout: out.stream });
    await backend.processEvents(event(1));
    await backend.close();
    assert.equal(JSON.parse(Buffer.concat(out.chunks).toString('utf8')).auditID, 'id-1');
  });

  it('blocking: the request waits until its line is written', async () => {
    const out = gatedWritable();
    const backend = new AuditLogBackend({ path: '-', stdout: out.stream });
    let written = false;
    const wait = Promise.resolve(backend.processEvents(event(1))).then((ok) => (written = ok));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(written, false);
    out.release();
    await wait;
    assert.equal(written, true);
    await backend.close();
  });

  it('batch: the request goes on at once; a full queue drops events and counts them', async () => {
    const out = gatedWritable();
    const logged: Record<string, unknown>[] = [];
    const backend = new AuditLogBackend({ path: '-', stdout: out.stream, mode: 'batch', bufferSize: 3, logger: (e) => logged.push(e) });
    // The first is taken by the writer at once; three more fill the queue; the rest are dropped.
    for (let i = 0; i < 10; i++) assert.equal(backend.processEvents(event(i)), true);
    assert.equal(backend.counters.errors, 6);
    assert.equal(logged[0].msg, "Error in audit plugin 'log' affecting 1 audit events: audit buffer queue blocked");
    out.release();
    await backend.close();
    const ids = Buffer.concat(out.chunks).toString('utf8').trim().split('\n').map((line) => JSON.parse(line).auditID);
    assert.deepEqual(ids, ['id-0', 'id-1', 'id-2', 'id-3']);
  });

  it('bounds the queue by bytes too', async () => {
    const out = gatedWritable();
    const backend = new AuditLogBackend({ path: '-', stdout: out.stream, mode: 'batch', bufferBytes: 64 * 1024 });
    for (let i = 0; i < 10; i++) backend.processEvents(event(i, 20 * 1024));
    assert.ok(backend.counters.errors >= 6, String(backend.counters.errors));
    out.release();
    await backend.close();
  });

  it('blocking-strict: an event that cannot be stored is a failure; blocking ignores it', async () => {
    for (const [mode, expected] of [
      ['blocking-strict', false],
      ['blocking', true],
    ] as const) {
      const out = gatedWritable();
      const backend = new AuditLogBackend({ path: '-', stdout: out.stream, mode, bufferSize: 1 });
      const first = backend.processEvents(event(1));
      backend.processEvents(event(2)); // waits in the queue
      assert.equal(await backend.processEvents(event(3)), expected);
      out.release();
      assert.equal(await first, true);
      await backend.close();
    }
  });

  it('close writes what is queued; later events are refused and counted', async () => {
    const out = gatedWritable();
    const backend = new AuditLogBackend({ path: '-', stdout: out.stream, mode: 'batch' });
    for (let i = 0; i < 5; i++) backend.processEvents(event(i));
    const closing = backend.close();
    assert.equal(backend.processEvents(event(9)), true);
    out.release();
    await closing;
    assert.equal(Buffer.concat(out.chunks).toString('utf8').trim().split('\n').length, 5);
    assert.equal(backend.counters.errors, 1);
  });
});

describe('audit flags', () => {
  it('has upstream defaults and accepts flag values', () => {
    assert.deepEqual(auditSettingsFromFlags({}), defaultAuditLogSettings);
    assert.deepEqual(auditSettingsFromFlags({ 'audit-log-path': '-', 'audit-log-maxsize': '10', 'audit-log-compress': true, 'audit-log-format': 'legacy' }), {
      ...defaultAuditLogSettings,
      path: '-',
      maxSize: 10,
      compress: true,
      format: 'legacy',
    });
    assert.throws(() => auditSettingsFromFlags({ 'audit-log-maxage': 'ten' }), {
      message: 'invalid argument "ten" for "--audit-log-maxage" flag: strconv.ParseInt: parsing "ten": invalid syntax',
    });
  });

  it('checks values only when the log is on, with upstream messages', () => {
    const bad = { ...defaultAuditLogSettings, maxAge: -1, maxBackups: -2, maxSize: -3, format: 'xml' as 'json', mode: 'fast' as 'batch' };
    assert.deepEqual(validateAuditLogSettings(bad), []);
    assert.deepEqual(validateAuditLogSettings({ ...bad, path: '/var/log/audit.log' }), [
      'invalid audit log mode fast, allowed modes are "batch,blocking,blocking-strict"',
      'invalid audit log format xml, allowed formats are "legacy,json"',
      "--audit-log-maxage -1 can't be a negative number",
      "--audit-log-maxbackup -2 can't be a negative number",
      "--audit-log-maxsize -3 can't be a negative number",
    ]);
    assert.deepEqual(validateAuditLogSettings({ ...defaultAuditLogSettings, path: '-', mode: 'batch', bufferSize: 0 }), ['invalid audit batch log buffer size 0, must be a positive number']);
  });
});

describe('openAuditLog', () => {
  it('is off without --audit-log-path, and takes the policy file or the default', async () => {
    const { openAuditLog } = await import('./options.js');
    const { defaultAuditPolicy } = await import('./policy.js');
    assert.equal(openAuditLog(defaultAuditLogSettings), undefined);
    const dir = mkdtempSync(join(tmpdir(), 'audit-open-'));
    try {
      const path = join(dir, 'audit.log');
      const withDefault = openAuditLog({ ...defaultAuditLogSettings, path })!;
      assert.deepEqual(withDefault.policy, defaultAuditPolicy);
      await withDefault.backend.close();

      const policyFile = join(dir, 'policy.yaml');
      writeFileSync(policyFile, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n  bogus: 1\n');
      const logged: Record<string, unknown>[] = [];
      const fromFile = openAuditLog({ ...defaultAuditLogSettings, path, policyFile }, { logger: (e) => logged.push(e) })!;
      assert.deepEqual(fromFile.policy.rules, [{ level: 'RequestResponse' }]);
      assert.match(String(logged[0].msg), /unknown field "rules\[0\]\.bogus"/);
      await fromFile.backend.close();

      assert.throws(() => openAuditLog({ ...defaultAuditLogSettings, path, maxAge: -1 }), { message: "--audit-log-maxage -1 can't be a negative number" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
