/**
 * An in-memory world for the HPA sync (scale, metrics, pods, the HPA cache,
 * events and a clock), shaped after upstream horizontal_test.go's testCase:
 * pods `test-pod-<i>` with two containers sharing each pod's CPU request,
 * metrics reported per pod, a ReplicationController target.
 */
import type { HorizontalPodAutoscalerV2, MetricSpec, ScalingRules } from '../../api/autoscaling/index.js';
import type { TimestampedRecommendation } from './behavior.js';
import type { HpaCondition } from './conditions.js';
import { HorizontalController } from './horizontal.js';
import type { MetricsClient } from './metrics-client.js';
import { zeroTime, type AutoscaledPod, type PodMetricsInfo } from './replica-calculator.js';
import type { Scale, ScaleClient } from './scale-client.js';

export const namespace = 'test-namespace';
export const hpaName = 'test-hpa';
export const key = `${namespace}/${hpaName}`;
export const podNamePrefix = 'test-pod';
export const start = Date.parse('2025-06-01T12:00:00Z');
export const iso = (ms: number) => new Date(ms).toISOString();

export interface TestCase {
  minReplicas?: number;
  maxReplicas: number;
  specReplicas: number;
  statusReplicas?: number;
  scaleUpRules?: ScalingRules;
  scaleDownRules?: ScalingRules;
  /** A CPU utilization target (percent); without it and metricsTarget, the 80% default. */
  CPUTarget?: number;
  metricsTarget?: MetricSpec[];
  /** Per pod, milli-CPU (or the custom/object/external metric's level). */
  reportedLevels?: number[];
  reportedCPURequests?: string[];
  reportedPodReadiness?: string[];
  reportedPodStartTime?: number[];
  recommendations?: TimestampedRecommendation[];
  selector?: string;
}

/** Upstream's statusOk, with overrides by type. */
export function statusOk(...overrides: [string, string, string][]): [string, string, string][] {
  const conditions: [string, string, string][] = [
    ['AbleToScale', 'True', 'SucceededRescale'],
    ['ScalingActive', 'True', 'ValidMetricFound'],
    ['ScalingLimited', 'False', 'DesiredWithinRange'],
  ];
  for (const override of overrides) {
    const i = conditions.findIndex((c) => c[0] === override[0]);
    if (i >= 0) conditions[i] = override;
    else conditions.push(override);
  }
  return conditions;
}

export class Harness {
  now = start;
  hpa: HorizontalPodAutoscalerV2;
  scale: Scale;
  readonly pods: AutoscaledPod[];
  readonly events: { type: string; reason: string; message: string }[] = [];
  readonly scaleUpdates: number[] = [];
  readonly statusWrites: HorizontalPodAutoscalerV2[] = [];
  /** Other HPAs in the cache, by name. */
  readonly others = new Map<string, HorizontalPodAutoscalerV2>();
  deleted = false;
  failScaleGet?: Error;
  failScaleUpdate?: Error;
  metrics: MetricsClient;
  readonly controller: HorizontalController;

  constructor(readonly tc: TestCase) {
    const metrics: MetricSpec[] = [];
    if (tc.CPUTarget) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: tc.CPUTarget } } });
    metrics.push(...(tc.metricsTarget ?? []));
    if (!metrics.length) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } });
    const behavior = tc.scaleUpRules || tc.scaleDownRules ? { scaleUp: tc.scaleUpRules, scaleDown: tc.scaleDownRules } : undefined;
    this.hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: hpaName, namespace, uid: 'hpa-uid', resourceVersion: '1' },
      spec: {
        scaleTargetRef: { kind: 'ReplicationController', name: 'test-rc', apiVersion: 'v1' },
        minReplicas: tc.minReplicas ?? 1,
        maxReplicas: tc.maxReplicas,
        metrics,
        ...(behavior ? { behavior } : {}),
      },
      status: { currentReplicas: tc.specReplicas, desiredReplicas: tc.specReplicas },
    };
    this.scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'test-rc', namespace },
      spec: { replicas: tc.specReplicas },
      status: { replicas: tc.statusReplicas ?? tc.specReplicas, selector: tc.selector ?? `name=${podNamePrefix}` },
    };
    const podCount = tc.reportedCPURequests ? tc.reportedCPURequests.length : (tc.statusReplicas ?? tc.specReplicas);
    this.pods = Array.from({ length: podCount }, (_, i) => {
      const request = tc.reportedCPURequests?.[i] ?? '1.0';
      const half = `${Math.trunc(Number(request) * 1000) / 2}m`;
      const startTime = tc.reportedPodStartTime?.[i] ?? zeroTime;
      return {
        metadata: { name: `${podNamePrefix}-${i}`, namespace, labels: { name: podNamePrefix } },
        spec: {
          containers: [
            { name: 'container1', resources: { requests: { cpu: half } } },
            { name: 'container2', resources: { requests: { cpu: half } } },
          ],
        },
        status: { phase: 'Running', startTime: iso(startTime), conditions: [{ type: 'Ready', status: tc.reportedPodReadiness?.[i] ?? 'True', lastTransitionTime: iso(startTime) }] },
      };
    });
    this.metrics = this.fakeMetrics();
    const scales: ScaleClient = {
      get: async () => {
        if (this.failScaleGet) throw this.failScaleGet;
        return { scale: structuredClone(this.scale), target: { group: '', version: 'v1', resource: 'replicationcontrollers' } };
      },
      update: async (_ns, _target, scale) => {
        if (this.failScaleUpdate) throw this.failScaleUpdate;
        this.scaleUpdates.push(scale.spec!.replicas!);
        this.scale = structuredClone(scale);
        return scale;
      },
    };
    this.controller = new HorizontalController(
      {
        scales,
        metrics: { getResourceMetric: (...a) => this.metrics.getResourceMetric(...a), getRawMetric: (...a) => this.metrics.getRawMetric(...a), getObjectMetric: (...a) => this.metrics.getObjectMetric(...a), getExternalMetric: (...a) => this.metrics.getExternalMetric(...a) },
        pods: { list: (_ns, selector) => this.pods.filter((pod) => selector.matches(pod.metadata.labels ?? {})) },
        hpas: { get: (ns, name) => (ns !== namespace ? undefined : name === hpaName ? (this.deleted ? undefined : this.hpa) : this.others.get(name)) },
        updateStatus: async (hpa) => {
          this.statusWrites.push(structuredClone(hpa));
          if (hpa.metadata.name === hpaName) this.hpa = structuredClone(hpa);
          else this.others.set(hpa.metadata.name!, structuredClone(hpa));
        },
        events: { event: (_object, type, reason, message) => this.events.push({ type, reason, message }) },
        now: () => new Date(this.now),
      },
      // Upstream's testing defaults, and its 5 minute downscale window.
      { tolerance: 0.1, cpuInitializationPeriodMs: 2 * 60_000, initialReadinessDelayMs: 10_000, downscaleStabilizationMs: 5 * 60_000 },
    );
    if (tc.recommendations) this.controller.history.recommendations.set(key, tc.recommendations.map((r) => ({ ...r })));
  }

  private fakeMetrics(): MetricsClient {
    const levels = this.tc.reportedLevels ?? [];
    const perPod = (): PodMetricsInfo => new Map(levels.map((value, i) => [`${podNamePrefix}-${i}`, { value, timestamp: this.now, window: 60_000 }]));
    const none = (api: string) => new Error(`no metrics returned from ${api} API`);
    return {
      getResourceMetric: async () => {
        if (!levels.length) throw none('resource metrics');
        return { metrics: perPod(), timestamp: this.now };
      },
      getRawMetric: async () => {
        if (!levels.length) throw none('custom metrics');
        return { metrics: perPod(), timestamp: this.now };
      },
      getObjectMetric: async () => ({ value: levels[0], timestamp: this.now }),
      getExternalMetric: async () => {
        if (!levels.length) throw none('external metrics');
        return { values: levels, timestamp: this.now };
      },
    };
  }

  async sync(): Promise<Error | undefined> {
    return this.controller.reconcileKey(key);
  }

  conditions(): [string, string, string][] {
    return ((this.hpa.status?.conditions ?? []) as HpaCondition[]).map((c) => [c.type, c.status, c.reason ?? '']);
  }

  condition(type: string): HpaCondition | undefined {
    return ((this.hpa.status?.conditions ?? []) as HpaCondition[]).find((c) => c.type === type);
  }
}
