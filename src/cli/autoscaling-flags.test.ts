import { test } from 'node:test';
import assert from 'node:assert/strict';
import { horizontalPodAutoscalerOptionsFromFlags, metricResolutionFromFlags } from './autoscaling-flags.js';

test('autoscaling flags: durations as Go writes them, clear errors otherwise', () => {
  assert.equal(metricResolutionFromFlags({}), undefined);
  assert.equal(metricResolutionFromFlags({ 'metric-resolution': '2s' }), 2000);
  assert.throws(() => metricResolutionFromFlags({ 'metric-resolution': '100ms' }), /--metric-resolution 100ms: must be at least 1s/);
  assert.equal(horizontalPodAutoscalerOptionsFromFlags({}), undefined);
  assert.deepEqual(horizontalPodAutoscalerOptionsFromFlags({ 'horizontal-pod-autoscaler-sync-period': '2s', 'horizontal-pod-autoscaler-downscale-stabilization': '0s', 'horizontal-pod-autoscaler-tolerance': '0.2' }), {
    syncPeriodMs: 2000,
    tolerance: 0.2,
    downscaleStabilizationMs: 0,
  });
  assert.throws(() => horizontalPodAutoscalerOptionsFromFlags({ 'horizontal-pod-autoscaler-sync-period': 'soon' }), /a duration such as 15s/);
  assert.throws(() => horizontalPodAutoscalerOptionsFromFlags({ 'horizontal-pod-autoscaler-tolerance': '-1' }), /a number, 0 or more/);
});
