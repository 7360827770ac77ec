/**
 * When the REST client sends a request again after a broken connection:
 * reads always, writes only when they provably never reached the server.
 * A fake server breaks connections on purpose.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { RestClient, type RetryPolicy } from './rest.js';
import { ResourceClient } from './resource-client.js';

/** Quick retries: the tests follow attempts, not time. */
const policy: RetryPolicy = { retries: 3, baseDelayMs: 5, maxDelayMs: 20 };

/** A server that reads each request whole, then answers it or resets the connection, as `decide` says. */
interface FakeServer {
  url: string;
  requests: { method: string; body: string }[];
  close(): Promise<void>;
}

async function startFakeServer(decide: (req: http.IncomingMessage, seen: number) => 'answer' | 'reset', port = 0): Promise<FakeServer> {
  const requests: { method: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method!, body });
      if (decide(req, requests.length) === 'reset') {
        req.socket.resetAndDestroy();
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'made' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('RestClient retries', () => {
  it('does not send a POST again when the connection is reset after the server read it', async () => {
    const server = await startFakeServer((req) => (req.method === 'POST' ? 'reset' : 'answer'));
    const rest = new RestClient({ server: server.url }, policy);
    try {
      const body = { metadata: { generateName: 'job-' } };
      await assert.rejects(rest.request('POST', '/api/v1/namespaces/default/configmaps', { body }), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
      assert.equal(server.requests.filter((r) => r.method === 'POST').length, 1, 'one create reached the server: no duplicate');
      // The same on a kept-alive connection: a GET first, then the POST on its socket.
      await rest.request('GET', '/api/v1/namespaces/default/configmaps/made');
      await assert.rejects(rest.request('POST', '/api/v1/namespaces/default/configmaps', { body }), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
      assert.equal(server.requests.filter((r) => r.method === 'POST').length, 2);
    } finally {
      rest.close();
      await server.close();
    }
  });

  it('sends a GET again when its connection is reset', async () => {
    const server = await startFakeServer((_req, seen) => (seen === 1 ? 'reset' : 'answer'));
    const rest = new RestClient({ server: server.url }, policy);
    try {
      const answer = await rest.request<{ metadata: { name: string } }>('GET', '/api/v1/namespaces/default/configmaps/made');
      assert.equal(answer.metadata.name, 'made');
      assert.equal(server.requests.length, 2);
    } finally {
      rest.close();
      await server.close();
    }
  });

  it('sends a POST again when the connection was refused: it never reached the server', async () => {
    const port = await freePort();
    let server: FakeServer | undefined;
    let serverUp: Promise<void> | undefined;
    const reasons: string[] = [];
    const rest = new RestClient(
      { server: `http://127.0.0.1:${port}` },
      {
        ...policy,
        retries: 50,
        onRetry: ({ reason }) => {
          reasons.push(reason);
          // The server starts once the first attempt has been refused.
          serverUp ??= startFakeServer(() => 'answer', port).then((started) => void (server = started));
        },
      },
    );
    try {
      const answer = await rest.request<{ metadata: { name: string } }>('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'made' } } });
      assert.equal(answer.metadata.name, 'made');
      assert.equal(reasons[0], 'ECONNREFUSED');
      assert.equal(server!.requests.length, 1);
    } finally {
      rest.close();
      await serverUp;
      await server?.close();
    }
  });

  it('ends a write when the signal it was given aborts (a reconcile hands on its term’s signal)', async () => {
    const held: http.ServerResponse[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      held.push(res); // never answered
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const rest = new RestClient({ server: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` }, policy);
    const configMaps = new ResourceClient(rest, { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true });
    const term = new AbortController();
    try {
      const creating = configMaps.create({ metadata: { name: 'slow', namespace: 'default' } }, { signal: term.signal });
      const deadline = Date.now() + 5000;
      while (held.length === 0) {
        assert.ok(Date.now() < deadline, 'the request reached the server');
        await new Promise((resolve) => setImmediate(resolve));
      }
      term.abort();
      await assert.rejects(creating, (err: Error) => err.name === 'AbortError');
    } finally {
      rest.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a scoped client (withSignal) ends its requests with its scope; the client it came from goes on', async () => {
    const held: http.ServerResponse[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      if (req.url?.includes('slow')) held.push(res); // never answered
      else res.end(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'quick' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const rest = new RestClient({ server: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` }, policy);
    const term = new AbortController();
    const scoped = rest.withSignal(term.signal);
    try {
      const pending = scoped.request('GET', '/api/v1/namespaces/default/configmaps/slow');
      const deadline = Date.now() + 5000;
      while (held.length === 0) {
        assert.ok(Date.now() < deadline, 'the request reached the server');
        await new Promise((resolve) => setImmediate(resolve));
      }
      term.abort();
      await assert.rejects(pending, (err: Error) => err.name === 'AbortError');
      scoped.close(); // the connections are not the scoped client's to close
      const quick = await rest.request<{ metadata: { name: string } }>('GET', '/api/v1/namespaces/default/configmaps/quick');
      assert.equal(quick.metadata.name, 'quick');
    } finally {
      rest.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('REST client metrics', () => {
  it('counts every attempt by its answer (a reset as <error>) and times the request once, retries included', async () => {
    const server = await startFakeServer((_req, seen) => (seen === 1 ? 'reset' : 'answer'));
    const results: string[] = [];
    const latencies: string[] = [];
    const metrics = {
      requestResult: (code: string, method: string, host: string) => results.push(`${code} ${method} ${host}`),
      requestLatency: (verb: string, host: string, seconds: number) => latencies.push(`${verb} ${host} ${seconds >= 0}`),
    };
    const client = new RestClient({ server: server.url, metrics }, policy);
    try {
      await client.request('GET', '/api/v1/namespaces/default/configmaps/made');
      const host = new URL(server.url).host;
      assert.deepEqual(results, [`<error> GET ${host}`, `200 GET ${host}`]);
      assert.deepEqual(latencies, [`GET ${host} true`]);
    } finally {
      client.close();
      await server.close();
    }
  });
});
