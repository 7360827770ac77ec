/**
 * From what the metrics ask for to what the HPA sets, as upstream's
 * normalizeDesiredReplicas(WithBehaviors):
 *
 *   - without `spec.behavior`: the highest recommendation of the downscale
 *     stabilization window (default 5 min) is kept, then the result is
 *     clamped to [minReplicas, maxReplicas] and to max(2 × current, 4);
 *   - with `spec.behavior`: recommendations are stabilized in both
 *     directions (scale-down window default 300 s, scale-up 0 s), then the
 *     change is limited by the policies (Pods or Percent per periodSeconds,
 *     counting the scale events of that period; selectPolicy Max, Min or
 *     Disabled), then clamped to [minReplicas, maxReplicas].
 *
 * Each step says which AbleToScale and ScalingLimited reason applies, with
 * upstream's messages. Times are epoch ms; the history is per HPA key.
 */
import type { ScalingPolicy, ScalingRules } from '../../api/autoscaling/index.js';
import type { ConditionStatus } from './conditions.js';

export interface TimestampedRecommendation {
  recommendation: number;
  timestamp: number;
}

export interface TimestampedScaleEvent {
  /** Absolute size of the change. */
  replicaChange: number;
  timestamp: number;
  /** Older than every policy's period: its slot may be reused. */
  outdated: boolean;
}

/** Scaling rules with every field set (defaults applied). */
export interface ResolvedScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: string;
  policies: ScalingPolicy[];
}

export const scaleUpLimitFactor = 2.0;
export const scaleUpLimitMinimum = 4.0;
const maxInt32 = 2147483647;
const minInt32 = -2147483648;

/** Upstream's GenerateHPAScaleUpRules: 4 pods or 100% per 15 s, whichever is more, no stabilization. */
export function resolveScaleUpRules(rules: ScalingRules | undefined): ResolvedScalingRules {
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? 0,
    selectPolicy: rules?.selectPolicy || 'Max',
    policies: rules?.policies ?? [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  };
}

/** Upstream's GenerateHPAScaleDownRules: 100% per 15 s; the window, when unset, is the controller's downscale stabilization. */
export function resolveScaleDownRules(rules: ScalingRules | undefined, downscaleStabilizationMs: number): ResolvedScalingRules {
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? Math.trunc(downscaleStabilizationMs / 1000),
    selectPolicy: rules?.selectPolicy || 'Max',
    policies: rules?.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

/** Recommendations and scale events remembered per HPA (for the life of the controller, as upstream). */
export class ScalingHistory {
  readonly recommendations = new Map<string, TimestampedRecommendation[]>();
  readonly scaleUpEvents = new Map<string, TimestampedScaleEvent[]>();
  readonly scaleDownEvents = new Map<string, TimestampedScaleEvent[]>();

  /** The current size counts as the first recommendation. */
  recordInitialRecommendation(key: string, currentReplicas: number, now: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ recommendation: currentReplicas, timestamp: now }]);
  }

  forget(key: string): void {
    this.recommendations.delete(key);
    this.scaleUpEvents.delete(key);
    this.scaleDownEvents.delete(key);
  }
}

/** What normalizing decided, and the conditions it implies. */
export interface Normalized {
  desiredReplicas: number;
  /** AbleToScale is True either way; the reason says whether stabilization held the change back. */
  ableToScale: { reason: string; message: string };
  scalingLimited: { status: ConditionStatus; reason: string; message: string };
}

export interface Limited {
  replicas: number;
  reason: string;
  message: string;
}

const withinRange: Omit<Limited, 'replicas'> = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const readyForNewScale = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const scaleDownStabilized = { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
const scaleUpStabilized = { reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' };
const tooFew = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
const tooMany = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const scaleUpLimit = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const scaleDownLimit = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };

/** At most double the current size, and at least 4 (guards against bogus usage reports). */
export function calculateScaleUpLimit(currentReplicas: number): number {
  return Math.trunc(Math.max(scaleUpLimitFactor * currentReplicas, scaleUpLimitMinimum));
}

/** Clamps without a behavior: [minReplicas, min(maxReplicas, scale-up limit)]. */
export function convertDesiredReplicasWithRules(currentReplicas: number, desiredReplicas: number, minReplicas: number, maxReplicas: number): Limited {
  const limit = calculateScaleUpLimit(currentReplicas);
  const [maximumAllowed, ceiling] = maxReplicas > limit ? [limit, scaleUpLimit] : [maxReplicas, tooMany];
  if (desiredReplicas < minReplicas) return { replicas: minReplicas, ...tooFew };
  if (desiredReplicas > maximumAllowed) return { replicas: maximumAllowed, ...ceiling };
  return { replicas: desiredReplicas, ...withinRange };
}

/**
 * Without a behavior: the highest recommendation within the window wins;
 * the newest replaces an expired one (or is appended).
 */
export function stabilizeRecommendation(recommendations: TimestampedRecommendation[], desiredReplicas: number, windowMs: number, now: number): number {
  let maxRecommendation = desiredReplicas;
  let oldSampleIndex = -1;
  const cutoff = now - windowMs;
  recommendations.forEach((rec, i) => {
    if (rec.timestamp < cutoff) oldSampleIndex = i;
    else if (rec.recommendation > maxRecommendation) maxRecommendation = rec.recommendation;
  });
  const sample = { recommendation: desiredReplicas, timestamp: now };
  if (oldSampleIndex >= 0) recommendations[oldSampleIndex] = sample;
  else recommendations.push(sample);
  return maxRecommendation;
}

export function normalizeDesiredReplicas(
  history: ScalingHistory,
  key: string,
  args: { currentReplicas: number; desiredReplicas: number; minReplicas: number; maxReplicas: number; downscaleStabilizationMs: number },
  now: number,
): Normalized {
  const recommendations = history.recommendations.get(key) ?? [];
  history.recommendations.set(key, recommendations);
  const stabilized = stabilizeRecommendation(recommendations, args.desiredReplicas, args.downscaleStabilizationMs, now);
  const ableToScale = stabilized !== args.desiredReplicas ? scaleDownStabilized : readyForNewScale;
  const limited = convertDesiredReplicasWithRules(args.currentReplicas, stabilized, args.minReplicas, args.maxReplicas);
  return {
    desiredReplicas: limited.replicas,
    ableToScale,
    scalingLimited: { status: limited.replicas === stabilized ? 'False' : 'True', reason: limited.reason, message: limited.message },
  };
}

export interface BehaviorArgs {
  scaleUp: ResolvedScalingRules;
  scaleDown: ResolvedScalingRules;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number;
  desiredReplicas: number;
}

/**
 * Stabilization in both directions: the result stays between the lowest
 * recommendation of the scale-up window and the highest of the scale-down
 * window, as close to the current size as that allows.
 */
export function stabilizeRecommendationWithBehaviors(recommendations: TimestampedRecommendation[], args: BehaviorArgs, now: number): { replicas: number; reason: string; message: string } {
  let upRecommendation = args.desiredReplicas;
  const upCutoff = now - args.scaleUp.stabilizationWindowSeconds * 1000;
  let downRecommendation = args.desiredReplicas;
  const downCutoff = now - args.scaleDown.stabilizationWindowSeconds * 1000;
  let oldSampleIndex = -1;
  recommendations.forEach((rec, i) => {
    if (rec.timestamp > upCutoff) upRecommendation = Math.min(rec.recommendation, upRecommendation);
    if (rec.timestamp > downCutoff) downRecommendation = Math.max(rec.recommendation, downRecommendation);
    if (rec.timestamp < upCutoff && rec.timestamp < downCutoff) oldSampleIndex = i;
  });
  let recommendation = args.currentReplicas;
  if (recommendation < upRecommendation) recommendation = upRecommendation;
  if (recommendation > downRecommendation) recommendation = downRecommendation;

  const sample = { recommendation: args.desiredReplicas, timestamp: now };
  if (oldSampleIndex >= 0) recommendations[oldSampleIndex] = sample;
  else recommendations.push(sample);

  const stabilized = args.desiredReplicas >= args.currentReplicas ? scaleUpStabilized : scaleDownStabilized;
  return { replicas: recommendation, ...stabilized };
}

/** Replicas added (or removed) by the events of the last `periodSeconds`. */
export function getReplicasChangePerPeriod(periodSeconds: number, events: TimestampedScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.reduce((sum, event) => (event.timestamp > cutoff ? sum + event.replicaChange : sum), 0);
}

/** How many replicas there were when a policy's period began: now, less what was added since, plus what was removed. */
function replicasAtPeriodStart(periodSeconds: number, currentReplicas: number, upEvents: TimestampedScaleEvent[], downEvents: TimestampedScaleEvent[], now: number): number {
  return currentReplicas - getReplicasChangePerPeriod(periodSeconds, upEvents, now) + getReplicasChangePerPeriod(periodSeconds, downEvents, now);
}

/** The most replicas the policies allow now (Max: the most permissive policy, Min: the strictest, Disabled: none). */
export function calculateScaleUpLimitWithScalingRules(currentReplicas: number, upEvents: TimestampedScaleEvent[], downEvents: TimestampedScaleEvent[], rules: ResolvedScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? maxInt32 : minInt32;
  for (const policy of rules.policies) {
    const periodStartReplicas = replicasAtPeriodStart(policy.periodSeconds ?? 0, currentReplicas, upEvents, downEvents, now);
    let proposed = 0;
    if (policy.type === 'Pods') proposed = periodStartReplicas + (policy.value ?? 0);
    // Rounded up, or a small percentage of a few pods would never add one.
    else if (policy.type === 'Percent') proposed = Math.ceil(periodStartReplicas * (1 + (policy.value ?? 0) / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** The fewest replicas the policies allow now. */
export function calculateScaleDownLimitWithBehaviors(currentReplicas: number, upEvents: TimestampedScaleEvent[], downEvents: TimestampedScaleEvent[], rules: ResolvedScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pickMax = rules.selectPolicy === 'Min';
  let result = pickMax ? minInt32 : maxInt32;
  for (const policy of rules.policies) {
    const periodStartReplicas = replicasAtPeriodStart(policy.periodSeconds ?? 0, currentReplicas, upEvents, downEvents, now);
    let proposed = 0;
    if (policy.type === 'Pods') proposed = periodStartReplicas - (policy.value ?? 0);
    else if (policy.type === 'Percent') proposed = Math.trunc(periodStartReplicas * (1 - (policy.value ?? 0) / 100));
    result = pickMax ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/** Applies the rate limits and [minReplicas, maxReplicas] to a stabilized recommendation. */
export function convertDesiredReplicasWithBehaviorRate(args: BehaviorArgs, upEvents: TimestampedScaleEvent[], downEvents: TimestampedScaleEvent[], now: number): Limited {
  if (args.desiredReplicas > args.currentReplicas) {
    // Never below the current size: recent scale-ups may exhaust a changed policy.
    const limit = Math.max(calculateScaleUpLimitWithScalingRules(args.currentReplicas, upEvents, downEvents, args.scaleUp, now), args.currentReplicas);
    const [maximumAllowed, why] = args.maxReplicas > limit ? [limit, scaleUpLimit] : [args.maxReplicas, tooMany];
    if (args.desiredReplicas > maximumAllowed) return { replicas: maximumAllowed, ...why };
  } else if (args.desiredReplicas < args.currentReplicas) {
    const limit = Math.min(calculateScaleDownLimitWithBehaviors(args.currentReplicas, upEvents, downEvents, args.scaleDown, now), args.currentReplicas);
    const [minimumAllowed, why] = args.minReplicas < limit ? [limit, scaleDownLimit] : [args.minReplicas, tooFew];
    if (args.desiredReplicas < minimumAllowed) return { replicas: minimumAllowed, ...why };
  }
  return { replicas: args.desiredReplicas, ...withinRange };
}

export function normalizeDesiredReplicasWithBehaviors(history: ScalingHistory, key: string, args: BehaviorArgs, now: number): Normalized {
  const recommendations = history.recommendations.get(key) ?? [];
  history.recommendations.set(key, recommendations);
  const stabilized = stabilizeRecommendationWithBehaviors(recommendations, args, now);
  const ableToScale = stabilized.replicas !== args.desiredReplicas ? { reason: stabilized.reason, message: stabilized.message } : readyForNewScale;
  const limited = convertDesiredReplicasWithBehaviorRate(
    { ...args, desiredReplicas: stabilized.replicas },
    history.scaleUpEvents.get(key) ?? [],
    history.scaleDownEvents.get(key) ?? [],
    now,
  );
  return {
    desiredReplicas: limited.replicas,
    ableToScale,
    scalingLimited: { status: limited.replicas === stabilized.replicas ? 'False' : 'True', reason: limited.reason, message: limited.message },
  };
}

/** The longest policy period: events older than it matter to no policy. */
export function getLongestPolicyPeriod(rules: ResolvedScalingRules): number {
  return rules.policies.reduce((longest, policy) => Math.max(longest, policy.periodSeconds ?? 0), 0);
}

export function markScaleEventsOutdated(events: TimestampedScaleEvent[], longestPolicyPeriod: number, now: number): void {
  const cutoff = now - longestPolicyPeriod * 1000;
  for (const event of events) if (event.timestamp < cutoff) event.outdated = true;
}

/** Records a scale (with a behavior only: nothing else reads the events), reusing an outdated slot. */
export function storeScaleEvent(history: ScalingHistory, behavior: { scaleUp: ResolvedScalingRules; scaleDown: ResolvedScalingRules } | undefined, key: string, prevReplicas: number, newReplicas: number, now: number): void {
  if (!behavior) return;
  const up = newReplicas > prevReplicas;
  const store = up ? history.scaleUpEvents : history.scaleDownEvents;
  const events = store.get(key) ?? [];
  store.set(key, events);
  markScaleEventsOutdated(events, getLongestPolicyPeriod(up ? behavior.scaleUp : behavior.scaleDown), now);
  let oldSampleIndex = -1;
  events.forEach((event, i) => {
    if (event.outdated) oldSampleIndex = i;
  });
  const event = { replicaChange: Math.abs(newReplicas - prevReplicas), timestamp: now, outdated: false };
  if (oldSampleIndex >= 0) events[oldSampleIndex] = event;
  else events.push(event);
}
