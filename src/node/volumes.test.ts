import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodVolumes, VolumeError, writeAtomically, type VolumeSources } from './volumes.js';

test('files are written atomically: visible names are links through ..data, an update swaps it and drops what went away', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeAtomically(dir, new Map([['a', { content: Buffer.from('1'), mode: 0o644 }], ['sub/b', { content: Buffer.from('2'), mode: 0o600 }]]));
  assert.ok(lstatSync(join(dir, 'a')).isSymbolicLink());
  assert.equal(readlinkSync(join(dir, 'a')), '..data/a');
  assert.equal(readFileSync(join(dir, 'sub', 'b'), 'utf8'), '2');
  assert.equal(statSync(join(dir, 'sub', 'b')).mode & 0o777, 0o600);
  writeAtomically(dir, new Map([['a', { content: Buffer.from('changed'), mode: 0o644 }]]));
  assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'changed');
  const names = readdirSync(dir).sort();
  assert.deepEqual(names.filter((n) => !n.startsWith('..')), ['a'], 'sub is gone');
  assert.equal(names.filter((n) => n.startsWith('..') && n !== '..data').length, 1, 'only the current timestamped directory is kept');
});

function sources(objects: Record<string, { data?: Record<string, string> }>): VolumeSources {
  return {
    configMap: async (_ns, name) => objects[`cm/${name}`],
    secret: async (_ns, name) => objects[`secret/${name}`],
    services: async () => [],
    persistentVolumeClaim: async () => undefined,
    persistentVolume: async () => undefined,
    serviceAccountToken: async () => {
      throw new Error('no tokens here');
    },
  };
}

test('configMap items, secret decoding, downward API labels; a missing ConfigMap is a VolumeError with upstream\'s words', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-volumes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pod = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { b: '2', a: '1' } },
    spec: {
      containers: [{ name: 'c', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }, { name: 'sec', mountPath: '/sec', readOnly: false }] }],
      volumes: [
        { name: 'cfg', configMap: { name: 'settings', items: [{ key: 'k', path: 'dir/renamed' }] } },
        { name: 'sec', secret: { secretName: 'creds' } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        { name: 'scratch', emptyDir: {} },
      ],
    },
  };
  const objects = { 'cm/settings': { data: { k: 'v', other: 'x' } }, 'secret/creds': { data: { password: Buffer.from('s3cret').toString('base64') } } };
  const volumes = new PodVolumes(() => pod, sources(objects), { dir, canMount: false, ips: () => ({}) });
  await volumes.sync();
  assert.equal(readFileSync(join(volumes.pathOf('cfg')!, 'dir', 'renamed'), 'utf8'), 'v');
  assert.deepEqual(readdirSync(volumes.pathOf('cfg')!).filter((n) => !n.startsWith('..')), ['dir']);
  assert.equal(readFileSync(join(volumes.pathOf('sec')!, 'password'), 'utf8'), 's3cret');
  assert.equal(readFileSync(join(volumes.pathOf('info')!, 'labels'), 'utf8'), 'a="1"\nb="2"');
  const mounts = volumes.mountsFor(pod.spec.containers[0]);
  assert.deepEqual(
    mounts.map((m) => [m.containerPath, m.readOnly]),
    [
      ['/cfg', true],
      ['/sec', true],
    ],
    'configMap and secret volumes are read-only whatever the mount says',
  );
  const missing = new PodVolumes(() => pod, sources({}), { dir: join(dir, 'other'), canMount: false, ips: () => ({}) });
  await assert.rejects(missing.sync(), (err: Error) => err instanceof VolumeError && err.message === 'MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found');
  await volumes.tearDown();
});

test('with a memory dir, secret and projected volumes go there (a tmpfs: credentials never reach the disk); tearDown removes both', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-volumes-memory-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pod = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u' },
    spec: {
      containers: [{ name: 'c' }],
      volumes: [
        { name: 'cfg', configMap: { name: 'settings' } },
        { name: 'sec', secret: { secretName: 'creds' } },
        { name: 'both', projected: { sources: [{ secret: { name: 'creds' } }, { configMap: { name: 'settings' } }] } },
      ],
    },
  };
  const objects = { 'cm/settings': { data: { k: 'v' } }, 'secret/creds': { data: { password: Buffer.from('s3cret').toString('base64') } } };
  const disk = join(dir, 'disk', 'u', 'volumes');
  const memory = join(dir, 'memory', 'u', 'volumes');
  const volumes = new PodVolumes(() => pod, sources(objects), { dir: disk, memoryDir: memory, canMount: false, ips: () => ({}) });
  await volumes.sync();
  assert.equal(volumes.pathOf('cfg'), join(disk, 'configmap', 'cfg'), 'a ConfigMap stays on disk, as the kubelet keeps it');
  assert.equal(volumes.pathOf('sec'), join(memory, 'secret', 'sec'));
  assert.equal(volumes.pathOf('both'), join(memory, 'projected', 'both'));
  assert.equal(readFileSync(join(volumes.pathOf('both')!, 'password'), 'utf8'), 's3cret');
  await volumes.tearDown();
  assert.deepEqual(readdirSync(join(dir, 'memory')), [], "the pod's memory dir is gone, not left empty");
  assert.deepEqual(readdirSync(join(dir, 'disk')), [], "the pod's dir on disk too, once empty");
});
