/**
 * The HPA sync against in-memory fakes (fixtures.ts), as upstream's
 * horizontal_test.go drives the controller: the same cases, expected sizes,
 * conditions and events.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, start, statusOk, type TestCase } from './fixtures.js';

const one = '1.0';
const cool = start - 3 * 60_000;
const hot = start;

interface Row {
  name: string;
  tc: TestCase;
  expectedDesiredReplicas: number;
  expectedConditions?: [string, string, string][];
  /** Expected CPU utilization in the status. */
  CPUCurrent?: number;
  events?: string[];
}

const rows: Row[] = [
  {
    name: 'TestScaleUp',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, CPUTarget: 30, reportedLevels: [300, 500, 700], reportedCPURequests: [one, one, one] },
    expectedDesiredReplicas: 5,
    CPUCurrent: 50,
    events: ['Normal SuccessfulRescale New size: 5; reason: cpu resource utilization (percentage of request) above target'],
  },
  {
    name: 'TestScaleUpUnreadyLessScale',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, CPUTarget: 30, reportedLevels: [300, 500, 700], reportedCPURequests: [one, one, one], reportedPodReadiness: ['False', 'True', 'True'] },
    expectedDesiredReplicas: 4,
    CPUCurrent: 60,
  },
  {
    name: 'TestScaleUpHotCpuLessScale',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, CPUTarget: 30, reportedLevels: [300, 500, 700], reportedCPURequests: [one, one, one], reportedPodStartTime: [hot, cool, cool] },
    expectedDesiredReplicas: 4,
    CPUCurrent: 60,
  },
  {
    name: 'TestScaleUpUnreadyNoScale',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, CPUTarget: 30, reportedLevels: [400, 500, 700], reportedCPURequests: [one, one, one], reportedPodReadiness: ['True', 'False', 'False'] },
    expectedDesiredReplicas: 3,
    CPUCurrent: 40,
    expectedConditions: statusOk(['AbleToScale', 'True', 'ReadyForNewScale']),
  },
  {
    name: 'TestScaleUpCM',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, metricsTarget: [{ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '15' } } }], reportedLevels: [20000, 10000, 30000], reportedCPURequests: [one, one, one] },
    expectedDesiredReplicas: 4,
    events: ['Normal SuccessfulRescale New size: 4; reason: pods metric qps above target'],
  },
  {
    name: 'TestScaleUpCMObject',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, metricsTarget: [{ type: 'Object', object: { describedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'some-deployment' }, metric: { name: 'qps' }, target: { type: 'Value', value: '15' } } }], reportedLevels: [20000] },
    expectedDesiredReplicas: 4,
    events: ['Normal SuccessfulRescale New size: 4; reason: Deployment metric qps above target'],
  },
  {
    name: 'TestScaleUpFromZeroCMObject',
    tc: { minReplicas: 0, maxReplicas: 6, specReplicas: 0, metricsTarget: [{ type: 'Object', object: { describedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'some-deployment' }, metric: { name: 'qps' }, target: { type: 'Value', value: '15' } } }], reportedLevels: [20000] },
    expectedDesiredReplicas: 2,
  },
  {
    name: 'TestScaleUpPerPodCMObject',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, metricsTarget: [{ type: 'Object', object: { describedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'some-deployment' }, metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } }], reportedLevels: [40000] },
    expectedDesiredReplicas: 4,
  },
  {
    name: 'TestScaleUpCMExternal',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, metricsTarget: [{ type: 'External', external: { metric: { name: 'qps', selector: {} }, target: { type: 'Value', value: '6666m' } } }], reportedLevels: [8600] },
    expectedDesiredReplicas: 4,
  },
  {
    name: 'TestScaleUpPerPodCMExternal',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, metricsTarget: [{ type: 'External', external: { metric: { name: 'qps', selector: {} }, target: { type: 'AverageValue', averageValue: '2222m' } } }], reportedLevels: [8600] },
    expectedDesiredReplicas: 4,
  },
  {
    name: 'TestScaleDown',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 5, CPUTarget: 50, reportedLevels: [100, 300, 500, 250, 250], reportedCPURequests: [one, one, one, one, one], recommendations: [] },
    expectedDesiredReplicas: 3,
    CPUCurrent: 28,
    events: ['Normal SuccessfulRescale New size: 3; reason: All metrics below target'],
  },
  {
    name: 'TestScaleDownWithScalingRules',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 5, CPUTarget: 50, scaleUpRules: { stabilizationWindowSeconds: 30, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] }, reportedLevels: [100, 300, 500, 250, 250], reportedCPURequests: [one, one, one, one, one], recommendations: [] },
    expectedDesiredReplicas: 3,
    CPUCurrent: 28,
  },
  {
    name: 'TestStabilizeDownscale',
    tc: {
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 4,
      CPUTarget: 100,
      reportedLevels: [50, 50, 50],
      reportedCPURequests: ['0.1', '0.1', '0.1'],
      recommendations: [
        { recommendation: 10, timestamp: start - 10 * 60_000 },
        { recommendation: 4, timestamp: start - 60_000 },
      ],
    },
    expectedDesiredReplicas: 4,
    expectedConditions: statusOk(['AbleToScale', 'True', 'ScaleDownStabilized']),
  },
  {
    name: 'TestTolerance',
    tc: { minReplicas: 1, maxReplicas: 5, specReplicas: 3, CPUTarget: 100, reportedLevels: [1010, 1030, 1020], reportedCPURequests: ['0.9', '1.0', '1.1'] },
    expectedDesiredReplicas: 3,
    expectedConditions: statusOk(['AbleToScale', 'True', 'ReadyForNewScale']),
  },
  {
    name: 'TestMinReplicas',
    tc: { minReplicas: 2, maxReplicas: 5, specReplicas: 3, CPUTarget: 90, reportedLevels: [10, 95, 10], reportedCPURequests: ['0.9', '1.0', '1.1'], recommendations: [] },
    expectedDesiredReplicas: 2,
    expectedConditions: statusOk(['ScalingLimited', 'True', 'TooFewReplicas']),
  },
  {
    name: 'TestZeroMinReplicasDesiredZero',
    tc: { minReplicas: 0, maxReplicas: 5, specReplicas: 3, CPUTarget: 90, reportedLevels: [0, 0, 0], reportedCPURequests: ['0.9', '1.0', '1.1'], recommendations: [] },
    expectedDesiredReplicas: 0,
  },
  {
    name: 'TestMinReplicasDesiredZero',
    tc: { minReplicas: 2, maxReplicas: 5, specReplicas: 3, CPUTarget: 90, reportedLevels: [0, 0, 0], reportedCPURequests: ['0.9', '1.0', '1.1'], recommendations: [] },
    expectedDesiredReplicas: 2,
    expectedConditions: statusOk(['ScalingLimited', 'True', 'TooFewReplicas']),
  },
  {
    name: 'TestZeroReplicas',
    tc: { minReplicas: 3, maxReplicas: 5, specReplicas: 0, CPUTarget: 90, reportedLevels: [], reportedCPURequests: [] },
    expectedDesiredReplicas: 0,
    expectedConditions: [
      ['AbleToScale', 'True', 'SucceededGetScale'],
      ['ScalingActive', 'False', 'ScalingDisabled'],
    ],
  },
  {
    name: 'TestTooFewReplicas',
    tc: { minReplicas: 3, maxReplicas: 5, specReplicas: 2, CPUTarget: 90, reportedLevels: [], reportedCPURequests: [] },
    expectedDesiredReplicas: 3,
    expectedConditions: [['AbleToScale', 'True', 'SucceededRescale']],
    events: ['Normal SuccessfulRescale New size: 3; reason: Current number of replicas below Spec.MinReplicas'],
  },
  {
    name: 'TestTooManyReplicas',
    tc: { minReplicas: 3, maxReplicas: 5, specReplicas: 10, CPUTarget: 90, reportedLevels: [], reportedCPURequests: [] },
    expectedDesiredReplicas: 5,
    expectedConditions: [['AbleToScale', 'True', 'SucceededRescale']],
    events: ['Normal SuccessfulRescale New size: 5; reason: Current number of replicas above Spec.MaxReplicas'],
  },
  {
    name: 'TestMaxReplicas',
    tc: { minReplicas: 2, maxReplicas: 5, specReplicas: 3, CPUTarget: 90, reportedLevels: [8000, 9500, 1000], reportedCPURequests: ['0.9', '1.0', '1.1'] },
    expectedDesiredReplicas: 5,
    expectedConditions: statusOk(['ScalingLimited', 'True', 'TooManyReplicas']),
  },
  {
    name: 'TestSuperfluousMetrics',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 4, CPUTarget: 100, reportedLevels: [4000, 9500, 3000, 7000, 3200, 2000], reportedCPURequests: [one, one, one, one] },
    expectedDesiredReplicas: 6,
    expectedConditions: statusOk(['ScalingLimited', 'True', 'TooManyReplicas']),
  },
  {
    name: 'TestMissingMetrics',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 4, CPUTarget: 100, reportedLevels: [400, 95], reportedCPURequests: [one, one, one, one], recommendations: [] },
    expectedDesiredReplicas: 3,
  },
  {
    name: 'TestEmptyMetrics',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 4, CPUTarget: 100, reportedLevels: [], reportedCPURequests: [one, one, one, one] },
    expectedDesiredReplicas: 4,
    expectedConditions: [
      ['AbleToScale', 'True', 'SucceededGetScale'],
      ['ScalingActive', 'False', 'FailedGetResourceMetric'],
    ],
    events: [
      'Warning FailedGetResourceMetric failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
      'Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    ],
  },
  {
    name: 'TestEmptyCPURequest',
    tc: { minReplicas: 1, maxReplicas: 5, specReplicas: 1, CPUTarget: 100, reportedLevels: [200], reportedCPURequests: [] },
    expectedDesiredReplicas: 1,
    expectedConditions: [
      ['AbleToScale', 'True', 'SucceededGetScale'],
      ['ScalingActive', 'False', 'FailedGetResourceMetric'],
    ],
  },
  {
    name: 'TestEventNotCreated',
    tc: { minReplicas: 1, maxReplicas: 5, specReplicas: 2, CPUTarget: 50, reportedLevels: [200, 200], reportedCPURequests: ['0.4', '0.4'] },
    expectedDesiredReplicas: 2,
    expectedConditions: statusOk(['AbleToScale', 'True', 'ReadyForNewScale']),
    events: [],
  },
  {
    name: 'TestMissingReports',
    tc: { minReplicas: 1, maxReplicas: 5, specReplicas: 4, CPUTarget: 50, reportedLevels: [200], reportedCPURequests: ['0.2'], recommendations: [] },
    expectedDesiredReplicas: 2,
  },
  {
    name: 'TestUpscaleCap',
    tc: { minReplicas: 1, maxReplicas: 100, specReplicas: 3, CPUTarget: 10, scaleUpRules: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 700, periodSeconds: 60 }] }, reportedLevels: [100, 200, 300], reportedCPURequests: ['0.1', '0.1', '0.1'] },
    expectedDesiredReplicas: 24,
    expectedConditions: statusOk(['ScalingLimited', 'True', 'ScaleUpLimit']),
  },
  {
    name: 'TestUpscaleCapGreaterThanMaxReplicas',
    tc: { minReplicas: 1, maxReplicas: 20, specReplicas: 3, CPUTarget: 10, scaleUpRules: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 700, periodSeconds: 60 }] }, reportedLevels: [100, 200, 300], reportedCPURequests: ['0.1', '0.1', '0.1'] },
    expectedDesiredReplicas: 20,
    expectedConditions: statusOk(['ScalingLimited', 'True', 'TooManyReplicas']),
  },
  {
    name: 'the scale-up limit without behavior is max(2 × current, 4)',
    tc: { minReplicas: 1, maxReplicas: 100, specReplicas: 3, CPUTarget: 10, reportedLevels: [100, 200, 300], reportedCPURequests: ['0.1', '0.1', '0.1'] },
    expectedDesiredReplicas: 6,
    expectedConditions: statusOk(['ScalingLimited', 'True', 'ScaleUpLimit']),
  },
  {
    name: 'scale-up with selectPolicy Disabled does not scale',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, CPUTarget: 30, scaleUpRules: { selectPolicy: 'Disabled' }, reportedLevels: [300, 500, 700], reportedCPURequests: [one, one, one] },
    expectedDesiredReplicas: 3,
    expectedConditions: statusOk(['AbleToScale', 'True', 'ReadyForNewScale'], ['ScalingLimited', 'True', 'ScaleUpLimit']),
    events: [],
  },
  {
    name: 'scale-down with selectPolicy Disabled does not scale',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 5, CPUTarget: 50, scaleDownRules: { selectPolicy: 'Disabled', stabilizationWindowSeconds: 0 }, reportedLevels: [100, 300, 500, 250, 250], reportedCPURequests: [one, one, one, one, one], recommendations: [] },
    expectedDesiredReplicas: 5,
    expectedConditions: statusOk(['AbleToScale', 'True', 'ReadyForNewScale'], ['ScalingLimited', 'True', 'ScaleDownLimit']),
    events: [],
  },
  {
    name: 'TestScaleUpOneMetricInvalid',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 3, CPUTarget: 30, metricsTarget: [{ type: 'CheddarCheese' }], reportedLevels: [300, 400, 500], reportedCPURequests: [one, one, one] },
    expectedDesiredReplicas: 4,
    events: ['Warning InvalidMetricSourceType unknown metric source type "CheddarCheese"', 'Normal SuccessfulRescale New size: 4; reason: cpu resource utilization (percentage of request) above target'],
  },
  {
    name: 'TestNoScaleDownOneMetricInvalid',
    tc: { minReplicas: 2, maxReplicas: 6, specReplicas: 5, CPUTarget: 50, metricsTarget: [{ type: 'CheddarCheese' }], reportedLevels: [100, 300, 500, 250, 250], reportedCPURequests: [one, one, one, one, one], recommendations: [] },
    expectedDesiredReplicas: 5,
    expectedConditions: [
      ['AbleToScale', 'True', 'SucceededGetScale'],
      ['ScalingActive', 'False', 'InvalidMetricSourceType'],
    ],
  },
];

describe('HPA sync (upstream horizontal_test.go)', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const h = new Harness(row.tc);
      await h.sync();
      const current = row.tc.specReplicas;
      assert.equal(h.hpa.status?.desiredReplicas, row.expectedDesiredReplicas, 'desired replicas in the status');
      assert.deepEqual(h.scaleUpdates, row.expectedDesiredReplicas === current ? [] : [row.expectedDesiredReplicas], 'scale updates');
      assert.deepEqual(h.conditions(), row.expectedConditions ?? statusOk(), 'conditions');
      if (row.CPUCurrent !== undefined) assert.equal(h.hpa.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization, row.CPUCurrent, 'cpu utilization');
      if (row.events) assert.deepEqual(h.events.map((e) => `${e.type} ${e.reason} ${e.message}`), row.events, 'events');
      if (row.expectedDesiredReplicas !== current) assert.equal(h.hpa.status?.lastScaleTime, '2025-06-01T12:00:00Z');
    });
  }
});
