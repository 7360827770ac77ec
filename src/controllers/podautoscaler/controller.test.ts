/**
 * The controller as the manager runs it, against an in-memory apiserver
 * (a fake REST client): discovery, the scale subresource, metrics.k8s.io,
 * the HPA's status and Events, over the real paths; the clock injected.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, EventRecorder, InformerFactory, podsResource, type ControllerContext, type RequestOptions, type RestClient } from '../../client/index.js';
import { horizontalpodautoscalersV2, type HorizontalPodAutoscalerV2 } from '../../api/autoscaling/index.js';
import { StatusError } from '../../machinery/status.js';
import { horizontalPodAutoscalerController } from './controller.js';
import type { HpaCondition } from './conditions.js';

const group = (name: string, version: string, resources: [string, string][]) => ({
  metadata: { name },
  versions: [{ version, resources: resources.map(([resource, kind]) => ({ resource, responseKind: { kind }, scope: 'Namespaced', verbs: ['get', 'list', 'watch', 'update'] })) }],
});

/** Just enough apiserver for the HPA: answers by method and path, remembers writes. */
class InMemoryApiserver {
  replicas = 2;
  servesMetrics = true;
  readonly requests: string[] = [];
  readonly statuses: HorizontalPodAutoscalerV2[] = [];
  readonly events: { reason: string; message: string }[] = [];
  constructor(private readonly now: () => Date) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    this.requests.push(`${method} ${path}`);
    return this.answer(method, path, options) as T;
  }

  private answer(method: string, path: string, options: RequestOptions): unknown {
    const body = options.body as Record<string, unknown> | undefined;
    if (method === 'GET' && path === '/api') return { items: [group('', 'v1', [['pods', 'Pod']])] };
    if (method === 'GET' && path === '/apis') {
      return {
        items: [
          group('apps', 'v1', [['deployments', 'Deployment']]),
          group('autoscaling', 'v2', [['horizontalpodautoscalers', 'HorizontalPodAutoscaler']]),
          ...(this.servesMetrics ? [group('metrics.k8s.io', 'v1beta1', [['pods', 'PodMetrics']])] : []),
        ],
      };
    }
    if (path === '/apis/apps/v1/namespaces/default/deployments/web/scale') {
      if (method === 'PUT') this.replicas = (body as { spec: { replicas: number } }).spec.replicas;
      return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: this.replicas }, status: { replicas: this.replicas, selector: 'app=web' } };
    }
    if (method === 'GET' && path === '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods' && this.servesMetrics) {
      assert.equal(options.query?.labelSelector, 'app=web');
      const timestamp = this.now().toISOString();
      return { kind: 'PodMetricsList', items: ['web-0', 'web-1'].map((name) => ({ metadata: { name, namespace: 'default', labels: { app: 'web' } }, timestamp, window: '15s', containers: [{ name: 'app', usage: { cpu: '80m', memory: '3Mi' } }] })) };
    }
    if (method === 'PUT' && path === '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web/status') {
      this.statuses.push(structuredClone(body) as HorizontalPodAutoscalerV2);
      return body;
    }
    if (method === 'POST' && path === '/api/v1/namespaces/default/events') {
      this.events.push({ reason: body!.reason as string, message: body!.message as string });
      return body;
    }
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  }
}

function setup() {
  let now = Date.parse('2025-06-01T12:00:00Z');
  const clock = () => new Date(now);
  const apiserver = new InMemoryApiserver(clock);
  const client = new Client({ server: 'https://127.0.0.1:1' }, undefined, undefined, apiserver as unknown as RestClient);
  const informers = new InformerFactory(client);
  const recorders: EventRecorder[] = [];
  const context: ControllerContext = {
    client,
    informers,
    signal: new AbortController().signal,
    recorder: (component) => {
      const recorder = new EventRecorder(client, component, clock, 'test');
      recorders.push(recorder);
      return recorder;
    },
    now: clock,
    log: () => {},
  };
  const spec = horizontalPodAutoscalerController(context);
  const hpa: HorizontalPodAutoscalerV2 = {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '1' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
  };
  informers.informerFor(horizontalpodautoscalersV2).store.set(hpa);
  const started = new Date(now - 10 * 60_000).toISOString();
  for (const name of ['web-0', 'web-1']) {
    informers.informerFor(podsResource).store.set({
      metadata: { name, namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', resources: { requests: { cpu: '100m' } } }] },
      status: { phase: 'Running', startTime: started, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: started }] },
    });
  }
  const reconcile = async () => {
    const result = await spec.reconcile('default/web', { signal: new AbortController().signal });
    await Promise.all(recorders.map((r) => r.flush()));
    return result;
  };
  return { spec, apiserver, informers, reconcile, advance: (ms: number) => (now += ms) };
}

describe('horizontalPodAutoscalerController', () => {
  it('works through a queue named as upstream\'s, on autoscaling/v2 HPAs', () => {
    const { spec } = setup();
    assert.equal(spec.name, 'horizontalpodautoscaler');
    assert.equal(spec.for, horizontalpodautoscalersV2);
  });

  it('scales the target through its scale subresource and writes the status', async () => {
    const { apiserver, reconcile } = setup();
    assert.deepEqual(await reconcile(), { requeueAfterMs: 15_000 });
    assert.equal(apiserver.replicas, 4);
    assert.ok(apiserver.requests.includes('PUT /apis/apps/v1/namespaces/default/deployments/web/scale'));
    const status = apiserver.statuses.at(-1)!.status!;
    assert.equal(status.currentReplicas, 2);
    assert.equal(status.desiredReplicas, 4);
    assert.equal(status.lastScaleTime, '2025-06-01T12:00:00Z');
    assert.deepEqual(status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 80, averageValue: '80m' } } }]);
    assert.deepEqual((status.conditions as HpaCondition[]).map((c) => [c.type, c.status, c.reason]), [
      ['AbleToScale', 'True', 'SucceededRescale'],
      ['ScalingActive', 'True', 'ValidMetricFound'],
      ['ScalingLimited', 'False', 'DesiredWithinRange'],
    ]);
    assert.deepEqual(apiserver.events, [{ reason: 'SuccessfulRescale', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target' }]);
  });

  it('syncs each HPA once per sync period, whatever events come in between', async () => {
    const { apiserver, reconcile, advance } = setup();
    await reconcile();
    const requests = apiserver.requests.length;
    advance(5_000);
    assert.deepEqual(await reconcile(), { requeueAfterMs: 10_000 });
    assert.equal(apiserver.requests.length, requests);
    advance(10_000);
    assert.deepEqual(await reconcile(), { requeueAfterMs: 15_000 });
    assert.ok(apiserver.requests.length > requests);
  });

  it('without metrics.k8s.io: FailedGetResourceMetric, in upstream words', async () => {
    const { apiserver, reconcile } = setup();
    apiserver.servesMetrics = false;
    await reconcile();
    assert.equal(apiserver.replicas, 2);
    const active = (apiserver.statuses.at(-1)!.status!.conditions as HpaCondition[]).find((c) => c.type === 'ScalingActive')!;
    assert.equal(active.reason, 'FailedGetResourceMetric');
    assert.equal(
      active.message,
      'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)',
    );
    assert.deepEqual(apiserver.events.map((e) => e.reason), ['FailedGetResourceMetric', 'FailedComputeMetricsReplicas']);
  });

  it('a deleted HPA is dropped without a requeue', async () => {
    const { informers, reconcile } = setup();
    await reconcile();
    informers.informerFor(horizontalpodautoscalersV2).store.delete('default/web');
    assert.equal(await reconcile(), undefined);
  });
});
