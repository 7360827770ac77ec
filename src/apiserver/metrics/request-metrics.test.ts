/** The apiserver's metrics: upstream's names, labels and verbs, and the exposition text. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { parseResourcePath } from '../request-info.js';
import { ApiServerMetrics, labelsOf, reportedVerb } from './request-metrics.js';

const info = (method: string, path: string, watch = false) => parseResourcePath(method, path, watch);

it('reports verbs as upstream does', () => {
  const cases: [string, string, boolean, string | undefined, string][] = [
    ['GET', '/api/v1/namespaces/a/pods', false, undefined, 'LIST'],
    ['GET', '/api/v1/namespaces/a/pods', true, undefined, 'WATCH'],
    ['GET', '/api/v1/namespaces/a/pods/x', false, undefined, 'GET'],
    ['PATCH', '/apis/apps/v1/namespaces/a/deployments/x', false, 'application/apply-patch+yaml', 'APPLY'],
    ['PATCH', '/apis/apps/v1/namespaces/a/deployments/x', false, 'application/merge-patch+json', 'PATCH'],
    ['POST', '/api/v1/namespaces/a/pods/x/exec', false, undefined, 'CONNECT'],
    ['DELETE', '/api/v1/namespaces/a/pods', false, undefined, 'DELETE'],
  ];
  for (const [method, path, watch, contentType, verb] of cases) assert.equal(reportedVerb(method, info(method, path, watch), contentType), verb, `${method} ${path}`);
});

it('labels a request with its resource and scope, and a path in subresource', () => {
  assert.deepEqual(labelsOf('GET', info('GET', '/apis/apps/v1/namespaces/a/deployments/x'), undefined, false), { verb: 'GET', dry_run: '', group: 'apps', version: 'v1', resource: 'deployments', subresource: '', scope: 'resource', component: 'apiserver' });
  assert.equal(labelsOf('GET', info('GET', '/api/v1/nodes'), undefined, false).scope, 'cluster');
  assert.equal(labelsOf('POST', info('POST', '/api/v1/namespaces/a/pods'), undefined, true).dry_run, 'All');
  assert.equal(labelsOf('GET', undefined, undefined, false, '/readyz').subresource, '/readyz');
});

it('exposes counters, histograms and gauges in the text format', async () => {
  const metrics = new ApiServerMetrics({ inFlight: () => ({ readOnly: 2, mutating: 1 }), storedObjects: () => new Map([['pods', 3]]) });
  const labels = labelsOf('POST', info('POST', '/api/v1/namespaces/a/configmaps'), undefined, false);
  metrics.observe(labels, 201, 0.003, false);
  const end = metrics.startLongRunning(labelsOf('GET', info('GET', '/api/v1/pods', true), undefined, false));
  const { body, contentType } = await metrics.text();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  assert.match(body, /^apiserver_request_total\{verb="POST",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver",code="201"\} 1$/m);
  assert.match(body, /^apiserver_request_duration_seconds_bucket\{le="0.005",verb="POST".*\} 1$/m);
  assert.match(body, /^apiserver_longrunning_requests\{verb="WATCH",group="",version="v1",resource="pods",subresource="",scope="cluster",component="apiserver"\} 1$/m);
  assert.match(body, /^apiserver_current_inflight_requests\{request_kind="readOnly"\} 2$/m);
  assert.match(body, /^apiserver_storage_objects\{resource="pods"\} 3$/m);
  end();
  assert.match((await metrics.text()).body, /^apiserver_longrunning_requests\{verb="WATCH".*\} 0$/m);
});
