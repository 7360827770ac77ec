/** The HPA sync over time (stabilization, rate limits, status writes) and its failures, against in-memory fakes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, key, namespace, podNamePrefix, statusOk } from './fixtures.js';

const one = '1.0';

describe('HPA sync over time', () => {
  it('scales down only once the downscale stabilization window has passed', async () => {
    const h = new Harness({ minReplicas: 2, maxReplicas: 6, specReplicas: 5, CPUTarget: 50, reportedLevels: [100, 300, 500, 250, 250], reportedCPURequests: [one, one, one, one, one] });
    await h.sync();
    assert.deepEqual(h.scaleUpdates, []);
    assert.deepEqual(h.conditions(), statusOk(['AbleToScale', 'True', 'ScaleDownStabilized']));
    assert.equal(h.condition('AbleToScale')?.message, 'recent recommendations were higher than current one, applying the highest recent recommendation');
    h.now += 4 * 60_000;
    await h.sync();
    assert.deepEqual(h.scaleUpdates, []);
    h.now += 60_000 + 1;
    await h.sync();
    assert.deepEqual(h.scaleUpdates, [3]);
    assert.equal(h.hpa.status?.desiredReplicas, 3);
    assert.deepEqual(h.events.map((e) => e.message), ['New size: 3; reason: All metrics below target']);
  });

  it('a behavior limits the change per period, counting earlier scale events', async () => {
    const h = new Harness({ minReplicas: 1, maxReplicas: 100, specReplicas: 2, CPUTarget: 10, scaleUpRules: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] }, reportedLevels: [100, 100], reportedCPURequests: ['0.1', '0.1'] });
    await h.sync();
    assert.deepEqual(h.scaleUpdates, [4]);
    assert.equal(h.condition('ScalingLimited')?.reason, 'ScaleUpLimit');
    // The pods the new size adds are not there yet; 30 s on, the period's budget is spent.
    h.now += 30_000;
    await h.sync();
    assert.deepEqual(h.scaleUpdates, [4]);
    h.now += 31_000;
    await h.sync();
    assert.deepEqual(h.scaleUpdates, [4, 6]);
  });

  it('writes the status only when it changed', async () => {
    const h = new Harness({ minReplicas: 1, maxReplicas: 5, specReplicas: 3, CPUTarget: 100, reportedLevels: [1010, 1030, 1020], reportedCPURequests: ['0.9', '1.0', '1.1'] });
    await h.sync();
    assert.equal(h.statusWrites.length, 1);
    h.now += 15_000;
    await h.sync();
    assert.equal(h.statusWrites.length, 1);
  });

  it('conditions keep their transition time while their status holds', async () => {
    const h = new Harness({ minReplicas: 1, maxReplicas: 5, specReplicas: 3, CPUTarget: 100, reportedLevels: [1010, 1030, 1020], reportedCPURequests: ['0.9', '1.0', '1.1'] });
    await h.sync();
    h.now += 15_000;
    h.metrics = { ...h.metrics, getResourceMetric: async () => ({ metrics: new Map([[`${podNamePrefix}-0`, { value: 9000, timestamp: h.now, window: 60_000 }]]), timestamp: h.now }) };
    await h.sync();
    assert.equal(h.condition('AbleToScale')?.reason, 'SucceededRescale');
    assert.equal(h.condition('AbleToScale')?.lastTransitionTime, '2025-06-01T12:00:00Z');
  });
});

describe('HPA sync failures', () => {
  it('FailedGetScale: the condition and the event, nothing scaled', async () => {
    const h = new Harness({ minReplicas: 1, maxReplicas: 5, specReplicas: 3, CPUTarget: 50, reportedLevels: [100] });
    h.failScaleGet = new Error('replicationcontrollers "test-rc" not found');
    const failure = await h.sync();
    assert.match(failure!.message, /failed to query scale subresource for ReplicationController\/test-namespace\/test-rc/);
    assert.deepEqual(h.conditions(), [['AbleToScale', 'False', 'FailedGetScale']]);
    assert.equal(h.condition('AbleToScale')?.message, `the HPA controller was unable to get the target's current scale: replicationcontrollers "test-rc" not found`);
    assert.deepEqual(h.events, [{ type: 'Warning', reason: 'FailedGetScale', message: 'replicationcontrollers "test-rc" not found' }]);
  });

  it('FailedUpdateScale: reported, then thrown so the queue retries', async () => {
    const h = new Harness({ minReplicas: 2, maxReplicas: 6, specReplicas: 3, CPUTarget: 30, reportedLevels: [300, 500, 700], reportedCPURequests: [one, one, one] });
    h.failScaleUpdate = new Error('Operation cannot be fulfilled on replicationcontrollers "test-rc": the object has been modified');
    await assert.rejects(h.sync(), /failed to rescale ReplicationController\/test-namespace\/test-rc/);
    assert.equal(h.condition('AbleToScale')?.reason, 'FailedUpdateScale');
    assert.equal(h.hpa.status?.desiredReplicas, 3);
    assert.deepEqual(h.events.map((e) => `${e.reason} ${e.message}`), [
      'FailedRescale New size: 5; reason: cpu resource utilization (percentage of request) above target; error: Operation cannot be fulfilled on replicationcontrollers "test-rc": the object has been modified',
    ]);
  });

  it('a scale without a selector: SelectorRequired, InvalidSelector', async () => {
    const h = new Harness({ minReplicas: 1, maxReplicas: 5, specReplicas: 3, CPUTarget: 50, reportedLevels: [100], selector: '' });
    await h.sync();
    assert.deepEqual(h.conditions(), [
      ['AbleToScale', 'True', 'SucceededGetScale'],
      ['ScalingActive', 'False', 'InvalidSelector'],
    ]);
    assert.deepEqual(h.events.map((e) => e.reason), ['SelectorRequired', 'FailedComputeMetricsReplicas']);
  });

  it('missing metrics of a pods metric: FailedGetPodsMetric with upstream wording', async () => {
    const h = new Harness({ minReplicas: 1, maxReplicas: 5, specReplicas: 3, metricsTarget: [{ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '15' } } }], reportedLevels: [] });
    h.metrics = { ...h.metrics, getRawMetric: async () => Promise.reject(new Error('unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered')) };
    await h.sync();
    assert.equal(h.condition('ScalingActive')?.reason, 'FailedGetPodsMetric');
    assert.equal(h.condition('ScalingActive')?.message, 'the HPA was unable to compute the replica count: unable to get metric qps: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered');
    assert.equal(h.events[1].message, 'invalid metrics (1 invalid out of 1), first error is: failed to get pods metric value: unable to get metric qps: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered');
  });

  it('a failing external metric does not stop a scale-up the other metrics ask for (TestScaleUpOneMetricEmpty)', async () => {
    const h = new Harness({
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      CPUTarget: 30,
      metricsTarget: [{ type: 'External', external: { metric: { name: 'qps', selector: {} }, target: { type: 'Value', value: '100m' } } }],
      reportedLevels: [300, 400, 500],
      reportedCPURequests: [one, one, one],
    });
    h.metrics = { ...h.metrics, getExternalMetric: async () => Promise.reject(new Error('something went wrong')) };
    const failure = await h.sync();
    assert.deepEqual(h.scaleUpdates, [4]);
    assert.match(failure!.message, /^invalid metrics \(1 invalid out of 2\), first error is: failed to get qps external metric value: failed to get external metric qps: unable to get external metric test-namespace\/qps\/&LabelSelector\{MatchLabels:map\[string\]string\{\},MatchExpressions:\[\]LabelSelectorRequirement\{\},\}: something went wrong$/);
    assert.deepEqual(h.hpa.status?.currentMetrics?.[1], { type: '' });
  });

  it('two HPAs over the same pods: AmbiguousSelector', async () => {
    const h = new Harness({ minReplicas: 1, maxReplicas: 5, specReplicas: 3, CPUTarget: 50, reportedLevels: [100, 100, 100] });
    h.others.set('other-hpa', { ...structuredClone(h.hpa), metadata: { name: 'other-hpa', namespace } });
    await h.controller.reconcileKey(`${namespace}/other-hpa`);
    await h.sync();
    assert.equal(h.condition('ScalingActive')?.reason, 'AmbiguousSelector');
    assert.equal(h.condition('ScalingActive')?.message, `pods by selector name=${podNamePrefix} are controlled by multiple HPAs: [${namespace}/other-hpa ${key}]`);
  });

  it('a deleted HPA is forgotten', async () => {
    const h = new Harness({ minReplicas: 1, maxReplicas: 5, specReplicas: 3, CPUTarget: 100, reportedLevels: [1010, 1030, 1020], reportedCPURequests: ['0.9', '1.0', '1.1'] });
    await h.sync();
    assert.ok(h.controller.history.recommendations.has(key));
    h.deleted = true;
    await h.sync();
    assert.equal(h.controller.history.recommendations.has(key), false);
  });
});
