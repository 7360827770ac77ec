/**
 * One HPA's sync, as upstream's reconcileAutoscaler:
 *
 *   1. read the target's scale (FailedGetScale when it cannot);
 *   2. with zero replicas scaling is off (ScalingDisabled); outside
 *      [minReplicas, maxReplicas] the size is brought inside; otherwise each
 *      metric proposes a size, the largest wins (a failing metric is reported
 *      and, unless all fail or a scale-down would follow, ignored);
 *   3. the proposal is stabilized and limited (behavior.ts);
 *   4. a new size is written to the scale (SuccessfulRescale / FailedRescale);
 *   5. the status (current and desired replicas, metrics, conditions,
 *      lastScaleTime) is written when it changed.
 *
 * Its I/O comes in as dependencies, so tests run it against fakes. Writes
 * that fail throw (the work queue retries them with backoff); other
 * failures are reported in the status and events and returned.
 */
import type { HorizontalPodAutoscalerV2, MetricSpec, MetricStatus } from '../../api/autoscaling/index.js';
import { splitKey } from '../../client/index.js';
import { parseSelector, type Selector } from '../../machinery/labels.js';
import type { KubeObject } from '../../machinery/object.js';
import { canonicalJson } from '../util/hash.js';
import { timestamp } from '../util/time.js';
import {
  ScalingHistory,
  normalizeDesiredReplicas,
  normalizeDesiredReplicasWithBehaviors,
  resolveScaleDownRules,
  resolveScaleUpRules,
  storeScaleEvent,
  type ResolvedScalingRules,
} from './behavior.js';
import { setCondition, type ConditionStatus, type ConditionType, type HpaCondition, type ProposedCondition } from './conditions.js';
import { MetricReplicaCalculator, type PodLister } from './metric-replicas.js';
import { MetricEvaluator } from './metric-status.js';
import type { MetricsClient } from './metrics-client.js';
import { defaultCpuInitializationPeriodMs, defaultInitialReadinessDelayMs, defaultTolerance } from './replica-calculator.js';
import type { Scale, ScaleClient } from './scale-client.js';

type Hpa = HorizontalPodAutoscalerV2;

export interface HorizontalSettings {
  /** `--horizontal-pod-autoscaler-tolerance` (0.1). */
  tolerance: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization` (5 min). */
  downscaleStabilizationMs: number;
  /** `--horizontal-pod-autoscaler-cpu-initialization-period` (5 min). */
  cpuInitializationPeriodMs: number;
  /** `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s). */
  initialReadinessDelayMs: number;
}

export const defaultHorizontalSettings: HorizontalSettings = {
  tolerance: defaultTolerance,
  downscaleStabilizationMs: 5 * 60_000,
  cpuInitializationPeriodMs: defaultCpuInitializationPeriodMs,
  initialReadinessDelayMs: defaultInitialReadinessDelayMs,
};

export interface HorizontalDependencies {
  scales: ScaleClient;
  metrics: MetricsClient;
  pods: PodLister;
  /** The HPA cache. */
  hpas: { get(namespace: string, name: string): Hpa | undefined };
  updateStatus(hpa: Hpa, signal?: AbortSignal): Promise<void>;
  events: { event(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void };
  now(): Date;
  log?(event: Record<string, unknown>): void;
}

interface ComputedReplicas {
  /** -1 when nothing can be decided. */
  replicas: number;
  metric: string;
  statuses?: MetricStatus[];
  error?: Error;
}

export class HorizontalController {
  readonly history = new ScalingHistory();
  /** The selector each HPA last used, to find pods that two HPAs would scale. */
  private readonly selectors = new Map<string, Selector>();
  private readonly evaluatorFor: (warn: (reason: string, message: string) => void) => MetricEvaluator;

  constructor(
    private readonly deps: HorizontalDependencies,
    private readonly settings: HorizontalSettings = defaultHorizontalSettings,
  ) {
    const calculator = new MetricReplicaCalculator(deps.metrics, deps.pods, settings, () => deps.now().getTime());
    this.evaluatorFor = (warn) => new MetricEvaluator(calculator, warn);
  }

  /** Drops what is remembered of a deleted HPA. */
  forget(key: string): void {
    this.history.forget(key);
    this.selectors.delete(key);
  }

  /** Syncs one HPA; returns a failure that was reported (not retried before the next sync); throws when a write failed. */
  async reconcileKey(key: string, signal?: AbortSignal): Promise<Error | undefined> {
    const { namespace, name } = splitKey(key);
    const shared = this.deps.hpas.get(namespace ?? '', name);
    if (!shared) {
      this.forget(key);
      return undefined;
    }
    return this.reconcileAutoscaler(shared, key, signal);
  }

  private async reconcileAutoscaler(shared: Hpa, key: string, signal?: AbortSignal): Promise<Error | undefined> {
    const { deps } = this;
    // Events name the object by apiVersion and kind, which cached list items may lack.
    const hpa: Hpa = { ...structuredClone(shared), apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
    const originalStatus = canonicalJson(hpa.status ?? {});
    const status = (hpa.status ??= {});
    const conditions = ((status.conditions as HpaCondition[] | undefined) ??= []);
    const set = (type: ConditionType, value: ConditionStatus, reason: string, message: string) => setCondition(conditions, type, value, reason, message, deps.now());
    const namespace = hpa.metadata.namespace ?? '';
    const spec = hpa.spec ?? {};
    const ref = spec.scaleTargetRef ?? {};
    const reference = `${ref.kind ?? ''}/${namespace}/${ref.name ?? ''}`;

    let scale: Scale;
    let target;
    try {
      ({ scale, target } = await deps.scales.get(namespace, ref, signal));
    } catch (err) {
      if (signal?.aborted) throw err;
      const message = (err as Error).message;
      deps.events.event(hpa, 'Warning', 'FailedGetScale', message);
      set('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${message}`);
      await this.updateStatusIfNeeded(originalStatus, hpa, signal);
      return new Error(`failed to query scale subresource for ${reference}: ${message}`);
    }
    set('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const currentReplicas = scale.spec?.replicas ?? 0;
    this.history.recordInitialRecommendation(key, currentReplicas, deps.now().getTime());

    const minReplicas = spec.minReplicas ?? 1;
    const maxReplicas = spec.maxReplicas ?? 0;
    const behavior = spec.behavior ? this.resolveBehavior(spec.behavior) : undefined;
    let metricStatuses: MetricStatus[] | undefined;
    let desiredReplicas = 0;
    let rescaleReason = '';
    let rescale = true;
    let failure: Error | undefined;

    if (currentReplicas === 0 && minReplicas !== 0) {
      // Someone scaled the target to zero: autoscaling stays off until they scale it up.
      desiredReplicas = 0;
      rescale = false;
      set('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      const computed = await this.computeReplicasForMetrics(hpa, key, scale, spec.metrics ?? [], set, signal);
      if (computed.error && computed.replicas === -1) {
        this.setStatus(hpa, currentReplicas, status.desiredReplicas ?? 0, computed.statuses, false);
        await this.updateStatusIfNeeded(originalStatus, hpa, signal);
        deps.events.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error.message);
        return new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${computed.error.message}`);
      }
      // Some metrics failed, the others still decide.
      failure = computed.error;
      metricStatuses = computed.statuses;
      let rescaleMetric = '';
      if (computed.replicas > desiredReplicas) {
        desiredReplicas = computed.replicas;
        rescaleMetric = computed.metric;
      }
      if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      const now = deps.now().getTime();
      const normalized = behavior
        ? normalizeDesiredReplicasWithBehaviors(this.history, key, { ...behavior, minReplicas, maxReplicas, currentReplicas, desiredReplicas }, now)
        : normalizeDesiredReplicas(this.history, key, { currentReplicas, desiredReplicas, minReplicas, maxReplicas, downscaleStabilizationMs: this.settings.downscaleStabilizationMs }, now);
      set('AbleToScale', 'True', normalized.ableToScale.reason, normalized.ableToScale.message);
      set('ScalingLimited', normalized.scalingLimited.status, normalized.scalingLimited.reason, normalized.scalingLimited.message);
      desiredReplicas = normalized.desiredReplicas;
      rescale = desiredReplicas !== currentReplicas;
    }

    if (rescale) {
      try {
        await deps.scales.update(namespace, target, { ...scale, spec: { ...scale.spec, replicas: desiredReplicas } }, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        const message = (err as Error).message;
        deps.events.event(hpa, 'Warning', 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${message}`);
        set('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${message}`);
        this.setStatus(hpa, currentReplicas, status.desiredReplicas ?? 0, metricStatuses, false);
        await this.updateStatusIfNeeded(originalStatus, hpa, signal);
        throw new Error(`failed to rescale ${reference}: ${message}`);
      }
      set('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`);
      deps.events.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      storeScaleEvent(this.history, behavior, key, currentReplicas, desiredReplicas, deps.now().getTime());
      deps.log?.({ controller: 'horizontalpodautoscaler', msg: 'Successfully rescaled', hpa: key, currentReplicas, desiredReplicas, reason: rescaleReason });
    } else {
      desiredReplicas = currentReplicas;
    }
    this.setStatus(hpa, currentReplicas, desiredReplicas, metricStatuses, rescale);
    await this.updateStatusIfNeeded(originalStatus, hpa, signal);
    return failure;
  }

  private resolveBehavior(behavior: NonNullable<NonNullable<Hpa['spec']>['behavior']>): { scaleUp: ResolvedScalingRules; scaleDown: ResolvedScalingRules } {
    return { scaleUp: resolveScaleUpRules(behavior.scaleUp), scaleDown: resolveScaleDownRules(behavior.scaleDown, this.settings.downscaleStabilizationMs) };
  }

  /** The largest proposal of the metrics, or -1 with the first failure's condition set. */
  private async computeReplicasForMetrics(
    hpa: Hpa,
    key: string,
    scale: Scale,
    metricSpecs: MetricSpec[],
    set: (type: ConditionType, value: ConditionStatus, reason: string, message: string) => void,
    signal?: AbortSignal,
  ): Promise<ComputedReplicas> {
    const selector = this.validateAndParseSelector(hpa, key, scale.status?.selector ?? '', set);
    if (selector instanceof Error) return { replicas: -1, metric: '', error: selector };
    const specReplicas = scale.spec?.replicas ?? 0;
    const statusReplicas = scale.status?.replicas ?? 0;
    // A failed metric keeps an empty entry, so entries line up with the spec's metrics.
    const statuses: MetricStatus[] = metricSpecs.map(() => ({ type: '' }));
    const evaluator = this.evaluatorFor((reason, message) => this.deps.events.event(hpa, 'Warning', reason, message));
    let replicas = 0;
    let metric = '';
    let invalidCount = 0;
    let invalidError: Error | undefined;
    let invalidCondition: ProposedCondition | undefined;
    for (const [i, metricSpec] of metricSpecs.entries()) {
      const outcome = await evaluator.computeReplicasForMetric(hpa, metricSpec, specReplicas, statusReplicas, selector, signal);
      if (!outcome.ok) {
        if (invalidCount === 0) {
          invalidCondition = outcome.condition;
          invalidError = outcome.error;
        }
        invalidCount++;
        continue;
      }
      statuses[i] = outcome.status;
      if (replicas === 0 || outcome.replicas > replicas) {
        replicas = outcome.replicas;
        metric = outcome.metricName;
      }
    }
    const error = invalidCount > 0 || metricSpecs.length === 0 ? new Error(`invalid metrics (${invalidCount} invalid out of ${metricSpecs.length}), first error is: ${invalidError?.message ?? '<nil>'}`) : undefined;
    // All failed, or the ones that work would scale down while others cannot be read: decide nothing.
    if (invalidCount >= metricSpecs.length || (invalidCount > 0 && replicas < specReplicas)) {
      if (invalidCondition) set(invalidCondition.type, invalidCondition.status, invalidCondition.reason, invalidCondition.message);
      return { replicas: -1, metric: '', statuses, error };
    }
    set('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`);
    return { replicas, metric, statuses, error };
  }

  /** The scale's selector, parsed, and selecting no pod another HPA scales; otherwise an InvalidSelector or AmbiguousSelector error. */
  private validateAndParseSelector(hpa: Hpa, key: string, text: string, set: (type: ConditionType, value: ConditionStatus, reason: string, message: string) => void): Selector | Error {
    const fail = (event: string, eventMessage: string, reason: string, conditionMessage: string) => {
      this.deps.events.event(hpa, 'Warning', event, eventMessage);
      set('ScalingActive', 'False', reason, conditionMessage);
      return new Error(eventMessage);
    };
    if (text === '') return fail('SelectorRequired', 'selector is required', 'InvalidSelector', "the HPA target's scale is missing a selector");
    let selector: Selector;
    try {
      selector = parseSelector(text);
    } catch (err) {
      const message = `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`;
      return fail('InvalidSelector', message, 'InvalidSelector', message);
    }
    this.selectors.set(key, selector);
    const namespace = hpa.metadata.namespace ?? '';
    const neighbours = [...this.selectors].filter(([otherKey]) => splitKey(otherKey).namespace === namespace);
    const selecting = new Set<string>();
    for (const pod of this.deps.pods.list(namespace, selector)) {
      for (const [otherKey, other] of neighbours) if (other.matches(pod.metadata.labels ?? {})) selecting.add(otherKey);
    }
    if (selecting.size > 1) {
      const message = `pods by selector ${text} are controlled by multiple HPAs: [${[...selecting].sort().join(' ')}]`;
      return fail('AmbiguousSelector', message, 'AmbiguousSelector', message);
    }
    return selector;
  }

  /** Recreates the status, as upstream's setStatus (observedGeneration is not kept, as there). */
  private setStatus(hpa: Hpa, currentReplicas: number, desiredReplicas: number, metricStatuses: MetricStatus[] | undefined, rescale: boolean): void {
    const previous = hpa.status ?? {};
    hpa.status = {
      currentReplicas,
      desiredReplicas,
      ...(previous.lastScaleTime ? { lastScaleTime: previous.lastScaleTime } : {}),
      ...(metricStatuses ? { currentMetrics: metricStatuses } : {}),
      conditions: previous.conditions,
    };
    if (rescale) hpa.status.lastScaleTime = timestamp(this.deps.now());
  }

  /** Writes the status when it differs from what was read; a failed write is an event and a retry. */
  private async updateStatusIfNeeded(originalStatus: string, hpa: Hpa, signal?: AbortSignal): Promise<void> {
    if (canonicalJson(hpa.status ?? {}) === originalStatus) return;
    try {
      await this.deps.updateStatus(hpa, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      this.deps.events.event(hpa, 'Warning', 'FailedUpdateStatus', (err as Error).message);
      throw new Error(`failed to update status for ${hpa.metadata.name ?? ''}: ${(err as Error).message}`);
    }
  }
}
