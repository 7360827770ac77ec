import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient, CriError, isNotFound, unixEndpoint } from './client.js';
import { FakeCriServer } from './fake-cri-server.js';
import { locateProto } from './proto-loader.js';

describe('CriClient', () => {
  let server: FakeCriServer;
  let client: CriClient;

  before(async () => {
    server = new FakeCriServer();
    await server.start();
    client = new CriClient(server.endpoint);
  });

  after(async () => {
    client.close();
    await server.stop();
  });

  it('asks the version with the CRI version it speaks', async () => {
    const version = await client.version();
    assert.equal(version.runtimeName, 'fake-containerd');
    assert.equal(version.runtimeApiVersion, 'v1');
    assert.deepEqual(server.calls.at(-1), { rpc: 'Version', request: { version: 'v1' } });
  });

  it('decodes with defaults: absent scalars, lists and maps are filled in, enums are names', async () => {
    server.addImage('example.com/app:1');
    const images = await client.listImages();
    assert.deepEqual(images[0].repoDigests, []);
    assert.equal(images[0].pinned, false);
    const status = await client.status();
    assert.deepEqual(status.status?.conditions.map((c) => [c.type, c.status, c.reason]), [['RuntimeReady', true, ''], ['NetworkReady', true, '']]);
  });

  it('maps NotFound to a CriError one can tell apart', async () => {
    const err = await client.containerStatus('missing').catch((e: unknown) => e);
    assert.ok(err instanceof CriError);
    assert.ok(isNotFound(err));
    assert.equal(err.codeName, 'NotFound');
    assert.equal(err.rpc, 'ContainerStatus');
    assert.match(err.message, /^ContainerStatus: an error occurred when try to find container "missing": not found$/);
    assert.equal(isNotFound(new Error('not found')), false);
  });

  it('gives up at the deadline and says so', async () => {
    server.delays.set('ListImages', 500);
    try {
      const err = await client.listImages({ timeoutMs: 50 }).catch((e: unknown) => e);
      assert.ok(err instanceof CriError);
      assert.equal(err.codeName, 'DeadlineExceeded');
      assert.match(err.message, /ListImages: the container runtime did not answer within 0 s/);
    } finally {
      server.delays.delete('ListImages');
    }
  });

  it('cancels a call on its signal', async () => {
    server.delays.set('ImageFsInfo', 500);
    try {
      const controller = new AbortController();
      const call = client.imageFsInfo({ signal: controller.signal });
      controller.abort();
      const err = await call.catch((e: unknown) => e);
      assert.ok(err instanceof CriError);
      assert.equal(err.codeName, 'Cancelled');
    } finally {
      server.delays.delete('ImageFsInfo');
    }
  });

  it('reaches a runtime again once it is back', async () => {
    assert.equal((await client.version()).runtimeName, 'fake-containerd');
    server.stopGrpc();
    const err = await client.version().catch((e: unknown) => e);
    assert.ok(err instanceof CriError && ['Unavailable', 'Cancelled'].includes(err.codeName), String(err));
    await server.restartGrpc();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await client.version().catch(() => undefined);
      if (answer) break;
      assert.ok(Date.now() < deadline, 'the client did not reconnect within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('says clearly when nothing listens on the socket', async () => {
    const absent = new CriClient(`unix://${join(server.dir, 'absent.sock')}`);
    try {
      const err = await absent.version().catch((e: unknown) => e);
      assert.ok(err instanceof CriError);
      assert.equal(err.codeName, 'Unavailable');
      assert.match(err.message, /cannot reach the container runtime at unix:\/\/.*absent\.sock \(is containerd running\?\)/);
    } finally {
      absent.close();
    }
  });
});

describe('unixEndpoint', () => {
  it('takes the forms crictl takes and refuses the rest', () => {
    assert.equal(unixEndpoint('unix:///run/containerd/containerd.sock'), 'unix:///run/containerd/containerd.sock');
    assert.equal(unixEndpoint('unix:/run/x.sock'), 'unix:///run/x.sock');
    assert.equal(unixEndpoint('/run/x.sock'), 'unix:///run/x.sock');
    assert.throws(() => unixEndpoint('tcp://127.0.0.1:1234'), /must be a unix socket/);
    assert.throws(() => unixEndpoint('relative.sock'), /must be a unix socket/);
  });
});

describe('locateProto', () => {
  it('finds api.proto in the package sources from a compiled or bundled module', () => {
    const root = mkdtempSync(join(tmpdir(), 'skiff-proto-'));
    try {
      mkdirSync(join(root, 'src', 'node', 'runtime', 'cri'), { recursive: true });
      writeFileSync(join(root, 'src', 'node', 'runtime', 'cri', 'api.proto'), 'syntax = "proto3";');
      mkdirSync(join(root, 'dist', 'chunks'), { recursive: true });
      assert.equal(locateProto(join(root, 'dist', 'chunks')), join(root, 'src', 'node', 'runtime', 'cri', 'api.proto'));
      assert.equal(locateProto(join(root, 'src', 'node', 'runtime', 'cri')), join(root, 'src', 'node', 'runtime', 'cri', 'api.proto'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
