/**
 * helm 3.17 against skiff: a chart made with `helm create`, with a `crds/`
 * folder and a template that uses the CRD's kind — installed (the CRD
 * first, then the objects), upgraded, and uninstalled (which keeps the CRD,
 * as helm does).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCluster, waitFor, type Cluster } from './harness.js';
import { helmPath } from './tools.js';
import { crontabDefinition } from './crontab-fixtures.js';

const run = promisify(execFile);

const crontabTemplate = `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: {{ include "demo.fullname" . }}-nightly
  labels:
    {{- include "demo.labels" . | nindent 4 }}
spec:
  cronSpec: {{ .Values.schedule | quote }}
  image: {{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
`;

describe('helm with a chart that brings its CRDs', () => {
  let cluster: Cluster;
  let work: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    cluster = await startCluster();
    work = mkdtempSync(join(tmpdir(), 'skiff-helm-'));
    // helm keeps its caches and config under these; nothing of the user's is read.
    env = { ...process.env, HOME: work, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data'), KUBECONFIG: cluster.kubeconfig };
    await helm(['create', 'demo'], work);
    mkdirSync(join(work, 'demo', 'crds'));
    writeFileSync(join(work, 'demo', 'crds', 'crontab.yaml'), crontabDefinition);
    writeFileSync(join(work, 'demo', 'templates', 'crontab.yaml'), crontabTemplate);
    writeFileSync(join(work, 'demo', 'values.yaml'), `${readFileSync(join(work, 'demo', 'values.yaml'), 'utf8')}\nschedule: "*/5 * * * *"\n`);
  });
  after(async () => {
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function helm(args: string[], cwd = work): Promise<string> {
    const { stdout } = await run(helmPath(), args, { cwd, env, timeout: 120_000 });
    return stdout;
  }

  test('install puts the CRD in first, then the objects that use it', async () => {
    const installed = await helm(['install', 'monitoring', './demo', '--namespace', 'default']);
    assert.match(installed, /STATUS: deployed/);
    const crontab = JSON.parse((await cluster.kubectl(['get', 'crontab', 'monitoring-demo-nightly', '-o', 'json'])).stdout);
    assert.equal(crontab.spec.cronSpec, '*/5 * * * *');
    assert.equal(crontab.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
    const deployment = JSON.parse((await cluster.kubectl(['get', 'deployment', 'monitoring-demo', '-o', 'json'])).stdout);
    assert.equal(deployment.spec.replicas, 1);
    assert.match((await cluster.kubectl(['get', 'service', 'monitoring-demo'])).stdout, /ClusterIP/);
    assert.match(await helm(['list']), /monitoring\s+default\s+1\s+.*deployed/);
  });

  test('upgrade changes the objects; uninstall removes them and keeps the CRD', async () => {
    const upgraded = await helm(['upgrade', 'monitoring', './demo', '--set', 'replicaCount=2', '--set', 'schedule=0 * * * *']);
    assert.match(upgraded, /REVISION: 2/);
    assert.equal((await cluster.kubectl(['get', 'deployment', 'monitoring-demo', '-o', 'jsonpath={.spec.replicas}'])).stdout, '2');
    assert.equal((await cluster.kubectl(['get', 'crontab', 'monitoring-demo-nightly', '-o', 'jsonpath={.spec.cronSpec}'])).stdout, '0 * * * *');
    assert.match(await helm(['uninstall', 'monitoring']), /release "monitoring" uninstalled/);
    await waitFor(async () => (await cluster.kubectl(['get', 'crontabs,deployments,services', '-l', 'app.kubernetes.io/instance=monitoring', '-o', 'name'])).stdout.trim() === '', {
      message: 'the release objects to be gone',
    });
    assert.match((await cluster.kubectl(['get', 'crd', 'crontabs.stable.example.com'])).stdout, /crontabs.stable.example.com/);
  });
});
