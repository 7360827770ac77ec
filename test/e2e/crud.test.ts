/**
 * The everyday write commands: label, annotate, patch (all three types),
 * replace with a stale resourceVersion, edit, scale, delete, dry runs,
 * strict validation and the imperative `create` generators.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from './harness.js';

const namespace = 'crud';

describe('kubectl writes', () => {
  let cluster: Cluster;
  let scratch: string;
  const k = (args: string[], options?: Parameters<Cluster['kubectl']>[1]) => cluster.kubectl(['-n', namespace, ...args], options);
  const json = async (args: string[]) => JSON.parse((await k([...args, '-o', 'json'])).stdout);

  before(async () => {
    cluster = await startCluster();
    scratch = mkdtempSync(join(tmpdir(), 'skiff-crud-'));
    await cluster.kubectl(['create', 'namespace', namespace]);
  });
  after(async () => {
    await cluster?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('skiff up makes the RuntimeClass host (pods of it run on the node\'s file system, not in an image)', async () => {
    const runtimeClass = JSON.parse((await cluster.kubectl(['get', 'runtimeclass', 'host', '-o', 'json'])).stdout);
    assert.equal(runtimeClass.handler, 'host');
  });

  test('label: add, refuse to overwrite without --overwrite, overwrite, remove', async () => {
    await k(['create', 'configmap', 'labels', '--from-literal=a=1']);
    assert.equal((await k(['label', 'configmap', 'labels', 'env=prod'])).stdout, 'configmap/labels labeled\n');

    const refused = await k(['label', 'configmap', 'labels', 'env=dev'], { allowFailure: true });
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, "error: 'env' already has a value (prod), and --overwrite is false\n");

    await k(['label', 'configmap', 'labels', 'env=dev', '--overwrite']);
    assert.deepEqual((await json(['get', 'configmap', 'labels'])).metadata.labels, { env: 'dev' });

    assert.equal((await k(['label', 'configmap', 'labels', 'env-'])).stdout, 'configmap/labels unlabeled\n');
    assert.equal((await json(['get', 'configmap', 'labels'])).metadata.labels, undefined);
  });

  test('annotate: add and remove', async () => {
    await k(['create', 'configmap', 'notes']);
    assert.equal((await k(['annotate', 'configmap', 'notes', 'note=hello world'])).stdout, 'configmap/notes annotated\n');
    assert.equal((await json(['get', 'configmap', 'notes'])).metadata.annotations.note, 'hello world');
    assert.equal((await k(['annotate', 'configmap', 'notes', 'note-'])).stdout, 'configmap/notes annotated\n');
    assert.equal((await json(['get', 'configmap', 'notes'])).metadata.annotations?.note, undefined);
  });

  test('patch --type strategic merges lists by their merge key', async () => {
    await k(['create', 'deployment', 'patched', '--image=nginx:1.27']);
    const patch = JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.36' }] } } } });
    assert.equal((await k(['patch', 'deployment', 'patched', '--type', 'strategic', '-p', patch])).stdout, 'deployment.apps/patched patched\n');
    const containers = (await json(['get', 'deployment', 'patched'])).spec.template.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`);
    assert.deepEqual(containers.sort(), ['nginx=nginx:1.27', 'sidecar=busybox:1.36']);

    const again = await k(['patch', 'deployment', 'patched', '--type', 'strategic', '-p', patch]);
    assert.equal(again.stdout, 'deployment.apps/patched patched (no change)\n');
  });

  test('patch --type merge replaces lists and deletes keys set to null', async () => {
    await k(['create', 'configmap', 'merged', '--from-literal=keep=1', '--from-literal=drop=2']);
    const result = await k(['patch', 'configmap', 'merged', '--type', 'merge', '-p', '{"data":{"drop":null,"added":"3"}}']);
    assert.equal(result.stdout, 'configmap/merged patched\n');
    assert.deepEqual((await json(['get', 'configmap', 'merged'])).data, { keep: '1', added: '3' });
  });

  test('patch --type json applies operations in order', async () => {
    await k(['create', 'configmap', 'jsonpatched', '--from-literal=a=1']);
    const ops = JSON.stringify([
      { op: 'add', path: '/data/b', value: '2' },
      { op: 'replace', path: '/data/a', value: 'one' },
      { op: 'add', path: '/metadata/labels', value: { patched: 'yes' } },
    ]);
    assert.equal((await k(['patch', 'configmap', 'jsonpatched', '--type', 'json', '-p', ops])).stdout, 'configmap/jsonpatched patched\n');
    const object = await json(['get', 'configmap', 'jsonpatched']);
    assert.deepEqual(object.data, { a: 'one', b: '2' });
    assert.deepEqual(object.metadata.labels, { patched: 'yes' });
  });

  test('replace with a stale resourceVersion is a Conflict', async () => {
    await k(['create', 'configmap', 'contended', '--from-literal=v=1']);
    const stale = (await k(['get', 'configmap', 'contended', '-o', 'yaml'])).stdout;
    await k(['label', 'configmap', 'contended', 'touched=yes']);
    const result = await k(['replace', '-f', '-'], { input: stale.replace('v: "1"', 'v: "2"'), allowFailure: true });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "contended": ' +
        'the object has been modified; please apply your changes to the latest version and try again\n',
    );
    // Without a resourceVersion, replace is unconditional.
    const fresh = stale.replace('v: "1"', 'v: "3"').replace(/^ {2}resourceVersion: .*\n/m, '');
    assert.equal((await k(['replace', '-f', '-'], { input: fresh })).stdout, 'configmap/contended replaced\n');
    assert.equal((await json(['get', 'configmap', 'contended'])).data.v, '3');
  });

  test('edit runs KUBE_EDITOR on the object and saves what it wrote', async () => {
    await k(['create', 'configmap', 'edited', '--from-literal=color=red']);
    const editor = join(scratch, 'editor.mjs');
    writeFileSync(
      editor,
      `import { readFileSync, writeFileSync } from 'node:fs';
const file = process.argv[2];
writeFileSync(file, readFileSync(file, 'utf8').replace('color: red', 'color: blue'));
`,
    );
    chmodSync(editor, 0o755);
    const result = await k(['edit', 'configmap', 'edited'], { env: { KUBE_EDITOR: `${process.execPath} ${editor}` } });
    assert.equal(result.stdout, 'configmap/edited edited\n');
    assert.equal((await json(['get', 'configmap', 'edited'])).data.color, 'blue');

    const unchanged = await k(['edit', 'configmap', 'edited'], { env: { KUBE_EDITOR: `${process.execPath} ${editor}` } });
    assert.equal(unchanged.stderr, 'Edit cancelled, no changes made.\n');
  });

  test('scale changes replicas through the scale subresource', async () => {
    await k(['create', 'deployment', 'scaled', '--image=nginx:1.27', '--replicas=1']);
    assert.equal((await k(['scale', 'deployment', 'scaled', '--replicas=4'])).stdout, 'deployment.apps/scaled scaled\n');
    assert.equal((await k(['get', 'deployment', 'scaled', '-o', 'jsonpath={.spec.replicas}'])).stdout, '4');
    const precondition = await k(['scale', 'deployment', 'scaled', '--current-replicas=2', '--replicas=5'], { allowFailure: true });
    assert.equal(precondition.code, 1);
    assert.match(precondition.stderr, /^error: Expected replicas to be 2, was 4\n$/);
  });

  test('delete by name and by label selector', async () => {
    await k(['create', 'configmap', 'doomed']);
    for (const name of ['batch-a', 'batch-b', 'batch-c']) {
      await k(['create', 'configmap', name]);
      await k(['label', 'configmap', name, 'tier=batch']);
    }
    assert.equal((await k(['delete', 'configmap', 'doomed'])).stdout, 'configmap "doomed" deleted\n');
    const selected = await k(['delete', 'configmap', '-l', 'tier=batch']);
    assert.equal(selected.stdout, 'configmap "batch-a" deleted\nconfigmap "batch-b" deleted\nconfigmap "batch-c" deleted\n');
    const left = await k(['get', 'configmap', '-l', 'tier=batch'], { allowFailure: true });
    assert.equal(left.stdout, '');
    assert.equal(left.stderr, `No resources found in ${namespace} namespace.\n`);
  });

  test('--dry-run=server validates and answers but stores nothing', async () => {
    const result = await k(['create', 'configmap', 'dry', '--from-literal=a=b', '--dry-run=server']);
    assert.equal(result.stdout, 'configmap/dry created (server dry run)\n');
    const printed = await k(['create', 'configmap', 'dry', '--from-literal=a=b', '--dry-run=server', '-o', 'json']);
    assert.equal(JSON.parse(printed.stdout).metadata.name, 'dry');
    const get = await k(['get', 'configmap', 'dry'], { allowFailure: true });
    assert.equal(get.code, 1);
    assert.equal(get.stderr, 'Error from server (NotFound): configmaps "dry" not found\n');
  });

  test('--validate=strict rejects an unknown field with the server\'s message', async () => {
    const manifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: strict
data:
  a: b
spec:
  unknown: true
`;
    const result = await k(['create', '--validate=strict', '-f', '-'], { input: manifest, allowFailure: true });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"\n',
    );
    // --validate=false lets the server drop the field instead.
    await k(['create', '--validate=false', '-f', '-'], { input: manifest });
    assert.equal((await json(['get', 'configmap', 'strict'])).spec, undefined);
  });

  test('imperative create: deployment, job, cronjob, secret generic, configmap, namespace', async () => {
    assert.equal((await k(['create', 'deployment', 'imperative', '--image=nginx:1.27', '--replicas=2', '--port=80'])).stdout, 'deployment.apps/imperative created\n');
    assert.equal((await k(['create', 'job', 'once', '--image=busybox:1.36', '--', 'echo', 'hi'])).stdout, 'job.batch/once created\n');
    assert.equal((await k(['create', 'cronjob', 'tick', '--image=busybox:1.36', '--schedule=*/5 * * * *', '--', 'date'])).stdout, 'cronjob.batch/tick created\n');
    assert.equal((await k(['create', 'secret', 'generic', 'creds', '--from-literal=user=admin'])).stdout, 'secret/creds created\n');
    assert.equal((await k(['create', 'configmap', 'settings', '--from-literal=level=3'])).stdout, 'configmap/settings created\n');
    assert.equal((await cluster.kubectl(['create', 'namespace', 'team-a'])).stdout, 'namespace/team-a created\n');

    const deployment = await json(['get', 'deployment', 'imperative']);
    assert.equal(deployment.spec.replicas, 2);
    assert.deepEqual(deployment.spec.selector, { matchLabels: { app: 'imperative' } });
    assert.deepEqual(deployment.spec.template.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
    const job = await json(['get', 'job', 'once']);
    assert.deepEqual(job.spec.template.spec.containers[0].command, ['echo', 'hi']);
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    const cronJob = await json(['get', 'cronjob', 'tick']);
    assert.equal(cronJob.spec.schedule, '*/5 * * * *');
    assert.equal(cronJob.spec.jobTemplate.spec.template.spec.restartPolicy, 'OnFailure');
    const secret = await json(['get', 'secret', 'creds']);
    assert.equal(secret.type, 'Opaque');
    assert.deepEqual(secret.data, { user: Buffer.from('admin').toString('base64') });
    assert.deepEqual((await json(['get', 'configmap', 'settings'])).data, { level: '3' });
    const ns = JSON.parse((await cluster.kubectl(['get', 'namespace', 'team-a', '-o', 'json'])).stdout);
    assert.equal(ns.status.phase, 'Active');
    assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'team-a');
  });
});
