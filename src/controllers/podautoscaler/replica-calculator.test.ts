/**
 * Upstream's replica_calculator_test.go (v1.32) as tables: the same pods,
 * metrics and expectations, through the same path (metrics as the REST
 * client parses them, pods as the lister returns them).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelSelector } from '../../api/common/selector.js';
import { selectorFromLabelSelector } from '../../machinery/labels.js';
import { containerResourceMetrics, podResourceMetrics, type MetricsClient, type PodMetricsList } from './metrics-client.js';
import { MetricReplicaCalculator } from './metric-replicas.js';
import { calculatePodRequests, groupPods, zeroTime, type AutoscaledPod, type PodMetricsInfo } from './replica-calculator.js';

const testNamespace = 'test-namespace';
const podNamePrefix = 'test-pod';
const numContainersPerPod = 2;
const now = Date.parse('2025-06-01T12:00:00Z');
// Upstream's testing defaults.
const settings = { tolerance: 0.1, cpuInitializationPeriodMs: 2 * 60_000, initialReadinessDelayMs: 10_000 };
const hot = now;
const cool = now - 3 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface ResourceInfo {
  requests: string[];
  levels: number[][];
  podNames?: string[];
  targetUtilization: number;
  expectedUtilization?: number;
  expectedValue?: number;
}

type MetricType = 'object' | 'objectPerPod' | 'external' | 'externalPerPod' | 'pod';

interface MetricInfo {
  levels: number[];
  metricType: MetricType;
  selector?: LabelSelector;
  targetUsage?: number;
  perPodTargetUsage?: number;
  expectedUsage: number;
}

interface Case {
  name: string;
  currentReplicas: number;
  expectedReplicas?: number;
  expectedError?: string;
  resource?: ResourceInfo;
  metric?: MetricInfo;
  container?: string;
  podReadiness?: string[];
  podStartTime?: number[];
  podPhase?: string[];
  podDeletionTimestamp?: boolean[];
}

/** `n` pods whose containers all used `level`. */
const levels = (...values: number[]) => values.map((v) => Array.from({ length: numContainersPerPod }, () => v));
const cpu = (...values: string[]) => values;

function podsOf(tc: Case): AutoscaledPod[] {
  const count = Math.max(tc.currentReplicas, tc.podPhase?.length ?? 0);
  return Array.from({ length: count }, (_, i) => {
    const request = tc.resource && i < tc.resource.requests.length ? { requests: { cpu: tc.resource.requests[i] } } : undefined;
    return {
      metadata: {
        name: `${podNamePrefix}-${i}`,
        namespace: testNamespace,
        labels: { name: podNamePrefix },
        ...(tc.podDeletionTimestamp?.[i] ? { deletionTimestamp: iso(now) } : {}),
      },
      spec: { containers: [{ name: 'container1', resources: request }, { name: 'container2', resources: request }] },
      status: {
        phase: tc.podPhase?.[i] ?? 'Running',
        startTime: iso(tc.podStartTime?.[i] ?? zeroTime),
        conditions: [{ type: 'Ready', status: tc.podReadiness?.[i] ?? 'True' }],
      },
    };
  });
}

function podMetricsList(resource: ResourceInfo): PodMetricsList {
  return {
    items: resource.levels.map((perContainer, i) => ({
      metadata: { name: resource.podNames?.[i] ?? `${podNamePrefix}-${i}`, namespace: testNamespace },
      timestamp: iso(zeroTime),
      window: '1m0s',
      // Upstream's fake fills a fixed-size list; slots it does not fill are nameless, without usage.
      containers: Array.from({ length: numContainersPerPod }, (_, j) =>
        j < perContainer.length ? { name: `container${j + 1}`, usage: { cpu: `${perContainer[j]}m` } } : { name: '', usage: {} as Record<string, string> },
      ),
    })),
  };
}

function fakeMetrics(tc: Case): MetricsClient {
  const custom = (levelsOf: number[]) => new Map(levelsOf.map((value, i) => [`${podNamePrefix}-${i}`, { value, timestamp: zeroTime, window: 60_000 }])) as PodMetricsInfo;
  return {
    async getResourceMetric(resource, _namespace, _selector, container) {
      if (!tc.resource) throw new Error('no pod resource metrics specified in test client');
      const list = podMetricsList(tc.resource);
      if (!list.items!.length) throw new Error('no metrics returned from resource metrics API');
      return { metrics: container ? containerResourceMetrics(list, resource, container) : podResourceMetrics(list, resource), timestamp: zeroTime };
    },
    async getRawMetric() {
      return { metrics: custom(tc.metric!.levels), timestamp: zeroTime };
    },
    async getObjectMetric() {
      return { value: tc.metric!.levels[0], timestamp: zeroTime };
    },
    async getExternalMetric() {
      return { values: tc.metric!.levels, timestamp: zeroTime };
    },
  };
}

async function run(tc: Case): Promise<void> {
  const pods = podsOf(tc);
  const selector = selectorFromLabelSelector({ matchLabels: { name: podNamePrefix } });
  const calculator = new MetricReplicaCalculator(fakeMetrics(tc), { list: (_ns, s) => pods.filter((p) => s.matches(p.metadata.labels ?? {})) }, settings, () => now);
  const deployment = { kind: 'Deployment', apiVersion: 'apps/v1', name: 'some-deployment' };
  let outcome: Promise<{ replicas: number; usage?: number; utilization?: number; rawUtilization?: number; timestamp: number }>;
  if (tc.resource) {
    outcome = calculator.getResourceReplicas(tc.currentReplicas, tc.resource.targetUtilization, 'cpu', testNamespace, selector, tc.container ?? '');
  } else {
    const m = tc.metric!;
    switch (m.metricType) {
      case 'object':
        outcome = calculator.getObjectMetricReplicas(tc.currentReplicas, m.targetUsage!, 'qps', testNamespace, deployment, selector, undefined);
        break;
      case 'objectPerPod':
        outcome = calculator.getObjectPerPodMetricReplicas(tc.currentReplicas, m.perPodTargetUsage!, 'qps', testNamespace, deployment, undefined);
        break;
      case 'external':
        outcome = calculator.getExternalMetricReplicas(tc.currentReplicas, m.targetUsage!, 'qps', testNamespace, m.selector, selector);
        break;
      case 'externalPerPod':
        outcome = calculator.getExternalPerPodMetricReplicas(tc.currentReplicas, m.perPodTargetUsage!, 'qps', testNamespace, m.selector);
        break;
      case 'pod':
        outcome = calculator.getMetricReplicas(tc.currentReplicas, m.targetUsage!, 'qps', testNamespace, selector, undefined);
        break;
    }
  }
  if (tc.expectedError) {
    await assert.rejects(outcome, (err: Error) => err.message.includes(tc.expectedError!));
    return;
  }
  const result = await outcome;
  assert.equal(result.replicas, tc.expectedReplicas, 'replicas');
  assert.equal(result.timestamp, zeroTime, 'timestamp');
  if (tc.resource) {
    assert.equal(result.utilization, tc.resource.expectedUtilization, 'utilization');
    assert.equal(result.rawUtilization, tc.resource.expectedValue, 'raw value');
  } else {
    assert.equal(result.usage, tc.metric!.expectedUsage, 'usage');
  }
}

const one = '1.0';
const qpsSelector: LabelSelector = { matchLabels: { label: 'value' } };

// The tolerance regression case (TestReplicaCalcComputedToleranceAlgImplementation), computed as upstream does.
const startPods = 10;
const totalUsed = startPods * 150;
const totalRequested = 2 * totalUsed;
const requestedToUsed = Math.trunc(totalRequested / totalUsed);
const perPodRequested = totalRequested / startPods;
const toleranceRequests = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0].map((d) => `${perPodRequested + d}m`);
const breachTarget = Math.abs(1 / (requestedToUsed * (1 - 0.1))) + 0.01;
const withinTarget = Math.abs(1 / (requestedToUsed * (1 - 0.1))) + 0.004;

const cases: Case[] = [
  { name: 'DisjointResourcesMetrics', currentReplicas: 1, expectedError: 'no metrics returned matched known pods', resource: { requests: cpu(one), levels: levels(100), podNames: ['an-older-pod-name'], targetUtilization: 100 } },
  { name: 'ScaleUp', currentReplicas: 3, expectedReplicas: 5, resource: { requests: cpu(one, one, one), levels: levels(300, 500, 700), targetUtilization: 30, expectedUtilization: 50, expectedValue: numContainersPerPod * 500 } },
  { name: 'ContainerScaleUp', currentReplicas: 3, expectedReplicas: 5, container: 'container2', resource: { requests: cpu(one, one, one), levels: [[1000, 300], [1000, 500], [1000, 700]], targetUtilization: 30, expectedUtilization: 50, expectedValue: 500 } },
  { name: 'ScaleUpUnreadyLessScale', currentReplicas: 3, expectedReplicas: 4, podReadiness: ['False', 'True', 'True'], resource: { requests: cpu(one, one, one), levels: levels(300, 500, 700), targetUtilization: 30, expectedUtilization: 60, expectedValue: numContainersPerPod * 600 } },
  { name: 'ScaleUpContainerHotCpuLessScale', currentReplicas: 3, expectedReplicas: 4, container: 'container2', podStartTime: [hot, cool, cool], resource: { requests: cpu(one, one, one), levels: [[0, 300], [0, 500], [0, 700]], targetUtilization: 30, expectedUtilization: 60, expectedValue: 600 } },
  { name: 'ScaleUpHotCpuLessScale', currentReplicas: 3, expectedReplicas: 4, podStartTime: [hot, cool, cool], resource: { requests: cpu(one, one, one), levels: levels(300, 500, 700), targetUtilization: 30, expectedUtilization: 60, expectedValue: numContainersPerPod * 600 } },
  { name: 'ScaleUpUnreadyNoScale', currentReplicas: 3, expectedReplicas: 3, podReadiness: ['True', 'False', 'False'], resource: { requests: cpu(one, one, one), levels: levels(400, 500, 700), targetUtilization: 30, expectedUtilization: 40, expectedValue: numContainersPerPod * 400 } },
  { name: 'ScaleHotCpuNoScale', currentReplicas: 3, expectedReplicas: 3, podReadiness: ['True', 'False', 'False'], podStartTime: [cool, hot, hot], resource: { requests: cpu(one, one, one), levels: levels(400, 500, 700), targetUtilization: 30, expectedUtilization: 40, expectedValue: numContainersPerPod * 400 } },
  { name: 'ScaleUpIgnoresFailedPods', currentReplicas: 2, expectedReplicas: 4, podReadiness: ['True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Failed', 'Failed'], resource: { requests: cpu(one, one, one, one), levels: levels(500, 700), targetUtilization: 30, expectedUtilization: 60, expectedValue: numContainersPerPod * 600 } },
  { name: 'MissingContainerMetricScaleUpIgnoresFailedPods', currentReplicas: 2, expectedReplicas: 4, container: 'container2', podReadiness: ['True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Failed', 'Failed'], resource: { requests: cpu(one, one, one, one), levels: [[1000, 500], [9000, 700], [1000], [9000]], targetUtilization: 30, expectedUtilization: 60, expectedValue: 600 } },
  { name: 'ScaleUpContainerIgnoresFailedPods', currentReplicas: 2, expectedReplicas: 4, container: 'container2', podReadiness: ['True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Failed', 'Failed'], resource: { requests: cpu(one, one, one, one), levels: [[1000, 500], [9000, 700]], targetUtilization: 30, expectedUtilization: 60, expectedValue: 600 } },
  { name: 'ScaleUpIgnoresDeletionPods', currentReplicas: 2, expectedReplicas: 4, podReadiness: ['True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Running', 'Running'], podDeletionTimestamp: [false, false, true, true], resource: { requests: cpu(one, one, one, one), levels: levels(500, 700), targetUtilization: 30, expectedUtilization: 60, expectedValue: numContainersPerPod * 600 } },
  { name: 'ScaleUpContainerIgnoresDeletionPods', currentReplicas: 2, expectedReplicas: 4, container: 'container1', podReadiness: ['True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Running', 'Running'], podDeletionTimestamp: [false, false, true, true], resource: { requests: cpu(one, one, one, one), levels: levels(500, 700), targetUtilization: 30, expectedUtilization: 60, expectedValue: 600 } },
  { name: 'ScaleUpCM', currentReplicas: 3, expectedReplicas: 4, metric: { levels: [20000, 10000, 30000], targetUsage: 15000, expectedUsage: 20000, metricType: 'pod' } },
  { name: 'ScaleUpCMUnreadyHotCpuNoLessScale', currentReplicas: 3, expectedReplicas: 6, podReadiness: ['True', 'True', 'False'], podStartTime: [cool, cool, hot], metric: { levels: [50000, 10000, 30000], targetUsage: 15000, expectedUsage: 30000, metricType: 'pod' } },
  { name: 'ScaleUpCMUnreadyHotCpuScaleWouldScaleDown', currentReplicas: 3, expectedReplicas: 7, podReadiness: ['False', 'True', 'False'], podStartTime: [hot, cool, hot], metric: { levels: [50000, 15000, 30000], targetUsage: 15000, expectedUsage: 31666, metricType: 'pod' } },
  { name: 'ScaleUpCMObject', currentReplicas: 3, expectedReplicas: 4, metric: { levels: [20000], targetUsage: 15000, expectedUsage: 20000, metricType: 'object' } },
  { name: 'ScaleUpCMPerPodObject', currentReplicas: 3, expectedReplicas: 4, metric: { levels: [20000], perPodTargetUsage: 5000, expectedUsage: 6667, metricType: 'objectPerPod' } },
  { name: 'ScaleUpCMObjectIgnoresUnreadyPods', currentReplicas: 3, expectedReplicas: 5, podReadiness: ['False', 'True', 'False'], metric: { levels: [50000], targetUsage: 10000, expectedUsage: 50000, metricType: 'object' } },
  { name: 'ScaleUpCMExternal', currentReplicas: 1, expectedReplicas: 2, metric: { levels: [8600], targetUsage: 4400, expectedUsage: 8600, selector: qpsSelector, metricType: 'pod' } },
  { name: 'ScaleUpCMExternalIgnoresUnreadyPods', currentReplicas: 3, expectedReplicas: 2, podReadiness: ['False', 'True', 'False'], metric: { levels: [8600], targetUsage: 4400, expectedUsage: 8600, selector: qpsSelector, metricType: 'external' } },
  { name: 'ScaleUpCMExternalNoLabels', currentReplicas: 1, expectedReplicas: 2, metric: { levels: [8600], targetUsage: 4400, expectedUsage: 8600, metricType: 'pod' } },
  { name: 'ScaleUpPerPodCMExternal', currentReplicas: 3, expectedReplicas: 4, metric: { levels: [8600], perPodTargetUsage: 2150, expectedUsage: 2867, selector: qpsSelector, metricType: 'externalPerPod' } },
  { name: 'ScaleDown', currentReplicas: 5, expectedReplicas: 3, resource: { requests: cpu(one, one, one, one, one), levels: levels(100, 300, 500, 250, 250), targetUtilization: 50, expectedUtilization: 28, expectedValue: numContainersPerPod * 280 } },
  { name: 'ContainerScaleDown', currentReplicas: 5, expectedReplicas: 3, container: 'container2', resource: { requests: cpu(one, one, one, one, one), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], targetUtilization: 50, expectedUtilization: 28, expectedValue: 280 } },
  { name: 'ScaleDownCM', currentReplicas: 5, expectedReplicas: 3, metric: { levels: [12000, 12000, 12000, 12000, 12000], targetUsage: 20000, expectedUsage: 12000, metricType: 'pod' } },
  { name: 'ScaleDownPerPodCMObject', currentReplicas: 5, expectedReplicas: 3, metric: { levels: [6000], perPodTargetUsage: 2000, expectedUsage: 1200, metricType: 'objectPerPod' } },
  { name: 'ScaleDownCMObject', currentReplicas: 5, expectedReplicas: 3, metric: { levels: [12000], targetUsage: 20000, expectedUsage: 12000, metricType: 'object' } },
  { name: 'ScaleDownCMExternal', currentReplicas: 5, expectedReplicas: 3, metric: { levels: [8600], targetUsage: 14334, expectedUsage: 8600, selector: qpsSelector, metricType: 'external' } },
  { name: 'ScaleDownPerPodCMExternal', currentReplicas: 5, expectedReplicas: 3, metric: { levels: [8600], perPodTargetUsage: 2867, expectedUsage: 1720, selector: qpsSelector, metricType: 'externalPerPod' } },
  { name: 'ScaleDownExcludeUnreadyPods', currentReplicas: 5, expectedReplicas: 2, podReadiness: ['True', 'True', 'True', 'False', 'False'], resource: { requests: cpu(one, one, one, one, one), levels: levels(100, 300, 500, 250, 250), targetUtilization: 50, expectedUtilization: 30, expectedValue: numContainersPerPod * 300 } },
  { name: 'ScaleDownContainerExcludeUnreadyPods', currentReplicas: 5, expectedReplicas: 2, container: 'container2', podReadiness: ['True', 'True', 'True', 'False', 'False'], resource: { requests: cpu(one, one, one, one, one), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], targetUtilization: 50, expectedUtilization: 30, expectedValue: 300 } },
  { name: 'ScaleDownExcludeUnscheduledPods', currentReplicas: 5, expectedReplicas: 1, podReadiness: ['True', 'False', 'False', 'False', 'False'], podPhase: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'], resource: { requests: cpu(one, one, one, one, one), levels: levels(100), targetUtilization: 50, expectedUtilization: 10, expectedValue: numContainersPerPod * 100 } },
  { name: 'ScaleDownContainerExcludeUnscheduledPods', currentReplicas: 5, expectedReplicas: 1, container: 'container2', podReadiness: ['True', 'False', 'False', 'False', 'False'], podPhase: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'], resource: { requests: cpu(one, one, one, one, one), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], targetUtilization: 50, expectedUtilization: 10, expectedValue: 100 } },
  { name: 'ScaleDownIgnoreHotCpuPods', currentReplicas: 5, expectedReplicas: 2, podStartTime: [cool, cool, cool, hot, hot], resource: { requests: cpu(one, one, one, one, one), levels: levels(100, 300, 500, 250, 250), targetUtilization: 50, expectedUtilization: 30, expectedValue: numContainersPerPod * 300 } },
  { name: 'ScaleDownContainerIgnoreHotCpuPods', currentReplicas: 5, expectedReplicas: 2, container: 'container2', podStartTime: [cool, cool, cool, hot, hot], resource: { requests: cpu(one, one, one, one, one), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 1000], [1000, 1000]], targetUtilization: 50, expectedUtilization: 30, expectedValue: 300 } },
  { name: 'ScaleDownIgnoresFailedPods', currentReplicas: 5, expectedReplicas: 3, podReadiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'], resource: { requests: cpu(one, one, one, one, one, one, one), levels: levels(100, 300, 500, 250, 250), targetUtilization: 50, expectedUtilization: 28, expectedValue: numContainersPerPod * 280 } },
  { name: 'ScaleDownContainerIgnoresFailedPods', currentReplicas: 5, expectedReplicas: 3, container: 'container2', podReadiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'], resource: { requests: cpu(one, one, one, one, one, one, one), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], targetUtilization: 50, expectedUtilization: 28, expectedValue: 280 } },
  { name: 'ScaleDownIgnoresDeletionPods', currentReplicas: 5, expectedReplicas: 3, podReadiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Running', 'Running'], podDeletionTimestamp: [false, false, false, false, false, true, true], resource: { requests: cpu(one, one, one, one, one, one, one), levels: levels(100, 300, 500, 250, 250), targetUtilization: 50, expectedUtilization: 28, expectedValue: numContainersPerPod * 280 } },
  { name: 'ScaleDownIgnoresDeletionPods_StillRunning', currentReplicas: 5, expectedReplicas: 3, container: 'container2', podReadiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Running', 'Running'], podDeletionTimestamp: [false, false, false, false, false, true, true], resource: { requests: cpu(one, one, one, one, one, one, one), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], targetUtilization: 50, expectedUtilization: 28, expectedValue: 280 } },
  { name: 'Tolerance', currentReplicas: 3, expectedReplicas: 3, resource: { requests: cpu('0.9', '1.0', '1.1'), levels: levels(1010, 1030, 1020), targetUtilization: 100, expectedUtilization: 102, expectedValue: numContainersPerPod * 1020 } },
  { name: 'ToleranceCM', currentReplicas: 3, expectedReplicas: 3, metric: { levels: [20000, 21000, 21000], targetUsage: 20000, expectedUsage: 20666, metricType: 'pod' } },
  { name: 'ToleranceCMObject', currentReplicas: 3, expectedReplicas: 3, metric: { levels: [20666], targetUsage: 20000, expectedUsage: 20666, metricType: 'object' } },
  { name: 'TolerancePerPodCMObject', currentReplicas: 4, expectedReplicas: 4, metric: { levels: [20166], perPodTargetUsage: 5000, expectedUsage: 5042, metricType: 'objectPerPod' } },
  { name: 'ToleranceCMExternal', currentReplicas: 3, expectedReplicas: 3, metric: { levels: [8600], targetUsage: 8888, expectedUsage: 8600, selector: qpsSelector, metricType: 'external' } },
  { name: 'TolerancePerPodCMExternal', currentReplicas: 3, expectedReplicas: 3, metric: { levels: [8600], perPodTargetUsage: 2900, expectedUsage: 2867, selector: qpsSelector, metricType: 'externalPerPod' } },
  { name: 'SuperfluousMetrics', currentReplicas: 4, expectedReplicas: 24, resource: { requests: cpu(one, one, one, one), levels: levels(4000, 9500, 3000, 7000, 3200, 2000), targetUtilization: 100, expectedUtilization: 587, expectedValue: numContainersPerPod * 5875 } },
  { name: 'MissingMetrics', currentReplicas: 4, expectedReplicas: 3, resource: { requests: cpu(one, one, one, one), levels: levels(400, 95), targetUtilization: 100, expectedUtilization: 24, expectedValue: 495 } },
  { name: 'EmptyMetrics', currentReplicas: 4, expectedError: 'unable to get metrics for resource cpu: no metrics returned from resource metrics API', resource: { requests: cpu(one, one, one), levels: levels(), targetUtilization: 100 } },
  { name: 'EmptyCPURequest', currentReplicas: 1, expectedError: 'missing request for', resource: { requests: [], levels: levels(200), targetUtilization: 100 } },
  { name: 'PlainMetricMissingMetricsNoChangeEq', currentReplicas: 5, expectedReplicas: 5, metric: { levels: [20000, 19000, 21000], targetUsage: 20000, expectedUsage: 20000, metricType: 'pod' } },
  { name: 'MissingMetricsNoChangeEq', currentReplicas: 2, expectedReplicas: 2, resource: { requests: cpu(one, one), levels: levels(1000), targetUtilization: 100, expectedUtilization: 100, expectedValue: numContainersPerPod * 1000 } },
  { name: 'MissingMetricsNoChangeGt', currentReplicas: 2, expectedReplicas: 2, resource: { requests: cpu(one, one), levels: levels(1900), targetUtilization: 100, expectedUtilization: 190, expectedValue: numContainersPerPod * 1900 } },
  { name: 'MissingMetricsNoChangeLt', currentReplicas: 2, expectedReplicas: 2, resource: { requests: cpu(one, one), levels: levels(600), targetUtilization: 100, expectedUtilization: 60, expectedValue: numContainersPerPod * 600 } },
  { name: 'MissingMetricsUnreadyChange', currentReplicas: 3, expectedReplicas: 3, podReadiness: ['False', 'True', 'True'], resource: { requests: cpu(one, one, one), levels: levels(100, 450), targetUtilization: 50, expectedUtilization: 45, expectedValue: numContainersPerPod * 450 } },
  { name: 'MissingMetricsHotCpuNoChange', currentReplicas: 3, expectedReplicas: 3, podStartTime: [hot, cool, cool], resource: { requests: cpu(one, one, one), levels: levels(100, 450), targetUtilization: 50, expectedUtilization: 45, expectedValue: numContainersPerPod * 450 } },
  { name: 'MissingMetricsUnreadyScaleUp', currentReplicas: 3, expectedReplicas: 4, podReadiness: ['False', 'True', 'True'], resource: { requests: cpu(one, one, one), levels: levels(100, 2000), targetUtilization: 50, expectedUtilization: 200, expectedValue: numContainersPerPod * 2000 } },
  { name: 'MissingMetricsHotCpuScaleUp', currentReplicas: 3, expectedReplicas: 4, podReadiness: ['False', 'True', 'True'], podStartTime: [hot, cool, cool], resource: { requests: cpu(one, one, one), levels: levels(100, 2000), targetUtilization: 50, expectedUtilization: 200, expectedValue: numContainersPerPod * 2000 } },
  { name: 'MissingMetricsUnreadyScaleDown', currentReplicas: 4, expectedReplicas: 3, podReadiness: ['False', 'True', 'True', 'True'], resource: { requests: cpu(one, one, one, one), levels: levels(100, 100, 100), targetUtilization: 50, expectedUtilization: 10, expectedValue: numContainersPerPod * 100 } },
  { name: 'MissingMetricsScaleDownTargetOver100', currentReplicas: 4, expectedReplicas: 2, podReadiness: ['False', 'True', 'True', 'True'], resource: { requests: cpu(one, one, '2.0', '2.0'), levels: levels(200, 100, 100), targetUtilization: 300, expectedUtilization: 6, expectedValue: numContainersPerPod * 100 } },
  { name: 'DuringRollingUpdateWithMaxSurge', currentReplicas: 2, expectedReplicas: 2, podPhase: ['Running', 'Running', 'Running'], resource: { requests: cpu(one, one, one), levels: levels(100, 100), targetUtilization: 50, expectedUtilization: 10, expectedValue: numContainersPerPod * 100 } },
  { name: 'DuringRollingUpdateWithMaxSurgeCM', currentReplicas: 2, expectedReplicas: 2, podPhase: ['Running', 'Running', 'Running'], metric: { levels: [10000, 10000], targetUsage: 17000, expectedUsage: 10000, metricType: 'pod' } },
  {
    name: 'ComputedToleranceAlgImplementation (scales)',
    currentReplicas: startPods,
    expectedReplicas: Math.ceil((totalUsed / (totalRequested * breachTarget)) * startPods),
    resource: { requests: toleranceRequests, levels: levels(...Array.from({ length: 10 }, () => totalUsed / 10)), targetUtilization: Math.trunc(breachTarget * 100), expectedUtilization: Math.trunc((totalUsed * 100) / totalRequested), expectedValue: (numContainersPerPod * totalUsed) / 10 },
  },
  {
    name: 'ComputedToleranceAlgImplementation (within tolerance)',
    currentReplicas: startPods,
    expectedReplicas: startPods,
    resource: { requests: toleranceRequests, levels: levels(...Array.from({ length: 10 }, () => totalUsed / 10)), targetUtilization: Math.trunc(withinTarget * 100), expectedUtilization: Math.trunc((totalUsed * 100) / totalRequested), expectedValue: (numContainersPerPod * totalUsed) / 10 },
  },
];

describe('replica calculator (upstream replica_calculator_test.go)', () => {
  for (const tc of cases) it(tc.name, () => run(tc));
});

describe('groupPods (upstream TestGroupPods)', () => {
  const ms = (n: number) => n * 1000;
  const pod = (name: string, phase: string, extra: { startTime?: number; ready?: { status: string; at: number }; deleted?: boolean } = {}): AutoscaledPod => ({
    metadata: { name, ...(extra.deleted ? { deletionTimestamp: iso(ms(1)) } : {}) },
    status: {
      phase,
      ...(extra.startTime !== undefined ? { startTime: iso(extra.startTime) } : {}),
      ...(extra.ready ? { conditions: [{ type: 'Ready', status: extra.ready.status, lastTransitionTime: iso(extra.ready.at) }] } : {}),
    },
  });
  const metric = (value: number, timestamp = zeroTime, window = 0) => ({ value, timestamp, window });
  const tests: { name: string; pods: AutoscaledPod[]; metrics: [string, ReturnType<typeof metric>][]; resource: string; ready: number; unready?: string[]; missing?: string[]; ignored?: string[] }[] = [
    { name: 'void', pods: [], metrics: [], resource: 'cpu', ready: 0 },
    { name: 'count in a ready pod - memory', pods: [pod('bentham', 'Succeeded')], metrics: [['bentham', metric(1, now, 60_000)]], resource: 'memory', ready: 1 },
    { name: 'unready a pod without ready condition - CPU', pods: [pod('lucretius', 'Succeeded', { startTime: now })], metrics: [['lucretius', metric(1)]], resource: 'cpu', ready: 0, unready: ['lucretius'] },
    {
      name: 'count in a ready pod with fresh metrics during initialization period - CPU',
      pods: [pod('bentham', 'Succeeded', { startTime: now - 60_000, ready: { status: 'True', at: now - 30_000 } })],
      metrics: [['bentham', metric(1, now, 30_000)]],
      resource: 'cpu',
      ready: 1,
    },
    {
      name: 'unready a ready pod without fresh metrics during initialization period - CPU',
      pods: [pod('bentham', 'Succeeded', { startTime: now - 60_000, ready: { status: 'True', at: now - 30_000 } })],
      metrics: [['bentham', metric(1, now, 60_000)]],
      resource: 'cpu',
      ready: 0,
      unready: ['bentham'],
    },
    {
      name: 'unready an unready pod during initialization period - CPU',
      pods: [pod('lucretius', 'Succeeded', { startTime: now - 10 * 60_000, ready: { status: 'False', at: now - 9 * 60_000 - 54_000 } })],
      metrics: [['lucretius', metric(1)]],
      resource: 'cpu',
      ready: 0,
      unready: ['lucretius'],
    },
    {
      name: 'count in a ready pod without fresh metrics after initialization period - CPU',
      pods: [pod('bentham', 'Succeeded', { startTime: now - 3 * 60_000, ready: { status: 'True', at: now - 3 * 60_000 } })],
      metrics: [['bentham', metric(1, now - 2 * 60_000, 60_000)]],
      resource: 'cpu',
      ready: 1,
    },
    {
      name: 'count in an unready pod that was ready after initialization period - CPU',
      pods: [pod('lucretius', 'Succeeded', { startTime: now - 10 * 60_000, ready: { status: 'False', at: now - 9 * 60_000 } })],
      metrics: [['lucretius', metric(1)]],
      resource: 'cpu',
      ready: 1,
    },
    {
      name: 'unready pod that has never been ready after initialization period - CPU',
      pods: [pod('lucretius', 'Succeeded', { startTime: now - 10 * 60_000, ready: { status: 'False', at: now - 9 * 60_000 - 50_000 } })],
      metrics: [['lucretius', metric(1)]],
      resource: 'cpu',
      ready: 1,
    },
    { name: 'a missing pod', pods: [pod('epicurus', 'Succeeded', { startTime: now - 3 * 60_000 })], metrics: [], resource: 'cpu', ready: 0, missing: ['epicurus'] },
    {
      name: 'several pods',
      pods: [
        pod('lucretius', 'Succeeded', { startTime: now }),
        pod('niccolo', 'Succeeded', { startTime: now - 3 * 60_000, ready: { status: 'True', at: now - 3 * 60_000 } }),
        pod('epicurus', 'Succeeded', { startTime: now - 3 * 60_000 }),
      ],
      metrics: [['lucretius', metric(1)], ['niccolo', metric(1)]],
      resource: 'cpu',
      ready: 1,
      unready: ['lucretius'],
      missing: ['epicurus'],
    },
    { name: 'pending pods are unreadied', pods: [pod('unscheduled', 'Pending')], metrics: [], resource: 'cpu', ready: 0, unready: ['unscheduled'] },
    { name: 'ignore pods with deletion timestamps', pods: [pod('deleted', 'Pending', { deleted: true })], metrics: [['deleted', metric(1)]], resource: 'cpu', ready: 0, ignored: ['deleted'] },
    { name: 'ignore pods in a failed state', pods: [pod('failed', 'Failed')], metrics: [['failed', metric(1)]], resource: 'cpu', ready: 0, ignored: ['failed'] },
  ];
  for (const tc of tests) {
    it(tc.name, () => {
      // The "unready pod that has never been ready" cases use upstream's delay of 10 s.
      const groups = groupPods(tc.pods, new Map(tc.metrics), tc.resource, { now, cpuInitializationPeriodMs: settings.cpuInitializationPeriodMs, initialReadinessDelayMs: settings.initialReadinessDelayMs });
      assert.equal(groups.readyPodCount, tc.ready);
      assert.deepEqual([...groups.unreadyPods].sort(), tc.unready ?? []);
      assert.deepEqual([...groups.missingPods].sort(), tc.missing ?? []);
      assert.deepEqual([...groups.ignoredPods].sort(), tc.ignored ?? []);
    });
  }
});

describe('calculatePodRequests (upstream TestCalculatePodRequests)', () => {
  const pod = (spec: AutoscaledPod['spec']): AutoscaledPod => ({ metadata: { name: 'test-pod', namespace: testNamespace }, spec });
  const request = (name: string, milli: number, restartPolicy?: string) => ({ name, ...(restartPolicy ? { restartPolicy } : {}), resources: { requests: { cpu: `${milli}m` } } });
  it('void', () => assert.deepEqual(calculatePodRequests([], '', 'cpu'), new Map()));
  it('pod with regular containers', () => {
    assert.deepEqual(calculatePodRequests([pod({ containers: [request('container1', 100), request('container2', 50)] })], '', 'cpu'), new Map([['test-pod', 150]]));
  });
  it('calculate requests with special container', () => {
    assert.deepEqual(calculatePodRequests([pod({ containers: [request('container1', 100), request('container2', 50)] })], 'container1', 'cpu'), new Map([['test-pod', 100]]));
  });
  it('container missing requests', () => {
    assert.throws(() => calculatePodRequests([pod({ containers: [{ name: 'container1' }] })], '', 'cpu'), { message: 'missing request for cpu in container container1 of Pod test-pod' });
  });
  it('pod with restartable init containers', () => {
    const spec = { containers: [request('container1', 100)], initContainers: [request('init-container1', 20), request('restartable-container1', 50, 'Always')] };
    assert.deepEqual(calculatePodRequests([pod(spec)], '', 'cpu'), new Map([['test-pod', 150]]));
  });
});
