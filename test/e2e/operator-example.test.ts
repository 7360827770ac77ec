/**
 * The operator example (examples/website-operator.ts) as a user runs it: its
 * own process against a real `skiff up`, driven with kubectl — it installs
 * its CRD, and a Website applied with kubectl becomes a ConfigMap, shows
 * READY True in `kubectl get websites`, and goes with its Website.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repositoryRoot } from './tools.js';
import { LineCollector, startCluster, waitFor, type Cluster } from './harness.js';

describe('the website operator example against skiff up', () => {
  let cluster: Cluster;
  let operator: ChildProcess;
  const output = new LineCollector();
  before(async () => {
    cluster = await startCluster();
    operator = spawn(process.execPath, [join(repositoryRoot(), 'dist', 'examples', 'website-operator.js')], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
    operator.stdout!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    operator.stderr!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    await output.waitForLine('website operator running; Ctrl-C to stop', { timeoutMs: 30_000, message: 'the operator to start' });
  });
  after(async () => {
    operator?.kill('SIGTERM');
    await cluster?.stop();
  });

  test('a Website applied with kubectl is served, rendered and cleaned up', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: 'apiVersion: demo.example.com/v1\nkind: Website\nmetadata: {name: home}\nspec: {title: Welcome, pages: 2}\n' });
    const table = await waitFor(async () => {
      const text = (await cluster.kubectl(['get', 'websites'])).stdout;
      return /home\s+Welcome\s+2\s+True\s+\d+s/.test(text) ? text : undefined;
    }, { message: `a Ready Website in kubectl get (operator said: ${output.text.slice(-500)})` });
    assert.match(table.split('\n')[0], /^NAME\s+TITLE\s+PAGES\s+READY\s+AGE$/);
    assert.equal((await cluster.kubectl(['get', 'configmap', 'home-site', '-o', 'jsonpath={.data.index\\.html}'])).stdout, '<h1>Welcome</h1>\n');
    const refused = await cluster.kubectl(['apply', '-f', '-'], { input: 'apiVersion: demo.example.com/v1\nkind: Website\nmetadata: {name: huge}\nspec: {title: Small, pages: 11}\n', allowFailure: true });
    assert.match(refused.stderr, /more than 10 pages only for titles starting with "Big"/);
    await cluster.kubectl(['delete', 'website', 'home']);
    await waitFor(async () => (await cluster.kubectl(['get', 'configmap', 'home-site'], { allowFailure: true })).stderr.includes('NotFound'), { message: 'the ConfigMap to go with its Website' });
  });
});
