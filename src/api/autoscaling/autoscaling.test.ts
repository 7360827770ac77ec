import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { horizontalpodautoscalersV1, horizontalpodautoscalersV2, hpaV1ToV2, hpaV2ToV1, type HorizontalPodAutoscalerV2 } from './index.js';

const base = (): HorizontalPodAutoscalerV2 => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default' },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5 },
});

describe('HorizontalPodAutoscaler', () => {
  it('defaults v2 like upstream', () => {
    const hpa = base();
    horizontalpodautoscalersV2.defaults!(hpa);
    assert.equal(hpa.spec!.minReplicas, 1);
    assert.deepEqual(hpa.spec!.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    assert.equal(hpa.spec!.behavior, undefined);
    const withBehavior = base();
    withBehavior.spec!.behavior = { scaleDown: { stabilizationWindowSeconds: 60 } };
    horizontalpodautoscalersV2.defaults!(withBehavior);
    assert.equal(withBehavior.spec!.behavior!.scaleDown!.stabilizationWindowSeconds, 60);
    assert.equal(withBehavior.spec!.behavior!.scaleUp!.policies!.length, 2);
  });
  it('validates bounds and metrics', () => {
    const hpa = base();
    hpa.spec!.minReplicas = 6;
    hpa.spec!.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }];
    assert.deepEqual(horizontalpodautoscalersV2.validate!(hpa, { operation: 'create' }).map((e) => e.field), [
      'spec.maxReplicas',
      'spec.metrics[0].resource.target.averageUtilization',
    ]);
  });
  it('round-trips v1 ↔ v2 without losing v2-only fields', () => {
    const hpa = base();
    hpa.spec!.minReplicas = 2;
    hpa.spec!.metrics = [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
    ];
    hpa.status = { currentReplicas: 2, desiredReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 30 } } }] };
    const v1 = hpaV2ToV1(hpa);
    assert.equal(v1.spec!.targetCPUUtilizationPercentage, 60);
    assert.equal(v1.status!.currentCPUUtilizationPercentage, 30);
    assert.deepEqual(hpaV1ToV2(v1), hpa);
  });
  it('prints targets with the metric name', () => {
    const hpa = base();
    horizontalpodautoscalersV2.defaults!(hpa);
    hpa.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
    assert.deepEqual(horizontalpodautoscalersV2.table!.cells(hpa, new Date('2024-01-01T00:01:00Z')), ['web', 'Deployment/web', 'cpu: <unknown>/80%', '1', 5, 0, '60s']);
    const v1 = hpaV2ToV1(hpa);
    assert.equal(horizontalpodautoscalersV1.table!.cells(v1, new Date())[2], 'cpu: <unknown>/80%');
  });
});
