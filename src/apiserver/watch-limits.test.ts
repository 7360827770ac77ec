/**
 * Watches against a real in-process apiserver: a watcher that stops reading
 * is closed once it falls behind its bounds (the server's memory does not grow
 * with what it cannot send), and after a restart a watch from a
 * resourceVersion acknowledged before it resumes instead of getting 410.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from './testing.js';

const configMap = (name: string, value: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } });

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Opens a watch on a raw TLS socket, waits for the response headers, then never reads again. */
async function openNonReadingWatch(api: TestServer, path: string): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port: api.port, ca: api.pki.caCertPem, cert: api.pki.adminCertPem, key: api.pki.adminKeyPem, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n`);
  let head = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      head += chunk.toString();
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        socket.pause();
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  assert.match(head, /^HTTP\/1\.1 200/);
  socket.on('error', () => {});
  return socket;
}

describe('watch limits', () => {
  test('a watcher that stops reading is closed once it falls behind; a reading one is not', async () => {
    const api = await startTestServer({ watchLimits: { watcher: { queuedEvents: 200, queuedBytes: 2 * 1024 * 1024 } } });
    try {
      const counters = api.server.context.watchers.counters;
      const list = (await api.request('GET', '/api/v1/namespaces/default/configmaps')).json();
      const rv = list.metadata.resourceVersion;
      const stalled = await openNonReadingWatch(api, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`);
      const reading = await api.watch(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`);
      await until(() => counters.open === 2, 'both watches open');

      // 100 KB updates: the kernel's socket buffers take a few MB first, then the server's queue fills.
      let current = (await api.request('POST', '/api/v1/namespaces/default/configmaps', configMap('big', '0'))).json();
      let received = 0;
      const value = 'v'.repeat(100 * 1024);
      for (let i = 1; counters.terminated === 0; i++) {
        assert.ok(i < 2000, `the stalled watcher was not closed after ${i} updates`);
        const res = await api.request('PUT', '/api/v1/namespaces/default/configmaps/big', { ...current, data: { value: `${i}${value}` } });
        assert.equal(res.status, 200);
        current = res.json();
        // The reading watcher keeps up: it takes each event as it comes.
        while (received <= i) {
          await reading.next(10_000);
          received++;
        }
      }
      assert.equal(counters.terminated, 1, 'only the stalled watcher was closed');
      assert.equal(counters.open, 1, 'the reading watcher is still open');
      // The reading watcher still gets events after the stalled one was dropped.
      await api.request('DELETE', '/api/v1/namespaces/default/configmaps/big');
      let last = await reading.next(10_000);
      while (last.type !== 'DELETED') last = await reading.next(10_000);
      reading.close();
      // Once resumed, the stalled client finds its stream cut short: it ends without the final chunk.
      const rest: Buffer[] = [];
      stalled.on('data', (chunk: Buffer) => rest.push(chunk));
      stalled.resume();
      await new Promise<void>((resolve) => stalled.once('close', () => resolve()));
      assert.ok(!Buffer.concat(rest).toString().endsWith('0\r\n\r\n'), 'the closed watch did not end normally');
    } finally {
      await api.close();
    }
  });

  test('a watch from before the cache window reads the store history, then goes on live, in order and exactly once', async () => {
    const api = await startTestServer({ watchLimits: { history: { events: 5 } } });
    try {
      const from = (await api.request('GET', '/api/v1/namespaces/default/configmaps')).json().metadata.resourceVersion;
      let current = (await api.request('POST', '/api/v1/namespaces/default/configmaps', configMap('window', '0'))).json();
      const revisions = [current.metadata.resourceVersion];
      for (let i = 1; i < 20; i++) {
        current = (await api.request('PUT', '/api/v1/namespaces/default/configmaps/window', { ...current, data: { value: String(i) } })).json();
        revisions.push(current.metadata.resourceVersion);
      }
      const watch = await api.watch(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${from}`);
      const live = (await api.request('PUT', '/api/v1/namespaces/default/configmaps/window', { ...current, data: { value: 'live' } })).json();
      revisions.push(live.metadata.resourceVersion);
      const seen: string[] = [];
      while (seen.length < revisions.length) seen.push((await watch.next()).object.metadata.resourceVersion);
      assert.deepEqual(seen, revisions);
      watch.close();
    } finally {
      await api.close();
    }
  });

  test('after a restart, a watch from a resourceVersion acknowledged before it resumes with exactly the events after it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-watch-restart-'));
    try {
      const first = await startTestServer({ dataDir });
      const created = (await first.request('POST', '/api/v1/namespaces/default/configmaps', configMap('kept', '1'))).json();
      const acknowledged = created.metadata.resourceVersion;
      const updated = (await first.request('PUT', '/api/v1/namespaces/default/configmaps/kept', { ...created, data: { value: '2' } })).json();
      await first.request('POST', '/api/v1/namespaces/default/configmaps', configMap('other', '1'));
      await first.close();

      const second = await startTestServer({ dataDir });
      try {
        const watch = await second.watch(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${acknowledged}`);
        const modified = await watch.next();
        assert.equal(modified.type, 'MODIFIED', `got ${JSON.stringify(modified)}`);
        assert.equal(modified.object.metadata.resourceVersion, updated.metadata.resourceVersion);
        const added = await watch.next();
        assert.deepEqual([added.type, added.object.metadata.name], ['ADDED', 'other']);
        await second.request('DELETE', '/api/v1/namespaces/default/configmaps/kept');
        const deleted = await watch.next();
        assert.deepEqual([deleted.type, deleted.object.metadata.name], ['DELETED', 'kept']);
        watch.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
