/** Upstream's horizontal_test.go normalization cases (v1.32) as tables. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ScalingRules } from '../../api/autoscaling/index.js';
import {
  ScalingHistory,
  calculateScaleDownLimitWithBehaviors,
  calculateScaleUpLimit,
  calculateScaleUpLimitWithScalingRules,
  convertDesiredReplicasWithBehaviorRate,
  convertDesiredReplicasWithRules,
  getReplicasChangePerPeriod,
  resolveScaleDownRules,
  resolveScaleUpRules,
  stabilizeRecommendation,
  stabilizeRecommendationWithBehaviors,
  storeScaleEvent,
  type TimestampedRecommendation,
  type TimestampedScaleEvent,
} from './behavior.js';

const now = Date.parse('2025-06-01T12:00:00Z');
const minutes = (n: number) => n * 60_000;
const seconds = (n: number) => n * 1000;

/** Upstream's generateScalingRules: a Pods and/or a Percent policy, selectPolicy Max. */
function generateScalingRules(pods: number, podsPeriod: number, percent: number, percentPeriod: number, stabilizationWindow: number): ScalingRules {
  const policies = [];
  if (pods !== 0) policies.push({ type: 'Pods', value: pods, periodSeconds: podsPeriod });
  if (percent !== 0) policies.push({ type: 'Percent', value: percent, periodSeconds: percentPeriod });
  return { stabilizationWindowSeconds: stabilizationWindow, selectPolicy: 'Max', policies };
}

/** Upstream's generateEventsUniformDistribution: events spread over the last `periodSeconds`, each in the middle of its segment. */
function generateEventsUniformDistribution(rawEvents: number[], periodSeconds: number): TimestampedScaleEvent[] {
  const segment = periodSeconds / rawEvents.length;
  return rawEvents.map((replicaChange, i) => ({ replicaChange, timestamp: now - seconds(Math.trunc(periodSeconds - segment * (i + 1) + segment / 2)), outdated: false }));
}

describe('convertDesiredReplicasWithRules (upstream TestConvertDesiredReplicasWithRules)', () => {
  const cases = [
    { current: 5, desired: 7, min: 3, max: 8, expected: 7, condition: 'DesiredWithinRange', name: 'prenormalized desired replicas within range' },
    { current: 3, desired: 1, min: 2, max: 8, expected: 2, condition: 'TooFewReplicas', name: 'prenormalized desired replicas < minReplicas' },
    { current: 1, desired: 0, min: 0, max: 10, expected: 0, condition: 'DesiredWithinRange', name: 'prenormalized desired zeroed replicas within range' },
    { current: 20, desired: 1000, min: 1, max: 10, expected: 10, condition: 'TooManyReplicas', name: 'maxReplicas is the limit because maxReplicas < scaleUpLimit' },
    { current: 3, desired: 1000, min: 1, max: 2000, expected: calculateScaleUpLimit(3), condition: 'ScaleUpLimit', name: 'scaleUpLimit is the limit because scaleUpLimit < maxReplicas' },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const result = convertDesiredReplicasWithRules(tc.current, tc.desired, tc.min, tc.max);
      assert.equal(result.replicas, tc.expected);
      assert.equal(result.reason, tc.condition);
    });
  }
  it('the scale-up limit is max(2 × current, 4)', () => {
    assert.equal(calculateScaleUpLimit(1), 4);
    assert.equal(calculateScaleUpLimit(3), 6);
    assert.equal(calculateScaleUpLimit(10), 20);
  });
});

describe('scale limits with rules (upstream TestCalculateScaleUpLimitWithScalingRules, TestCalculateScaleDownLimitWithBehaviors)', () => {
  const rules = resolveScaleUpRules({
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Min',
    policies: [
      { type: 'Pods', value: 2, periodSeconds: 60 },
      { type: 'Percent', value: 50, periodSeconds: 60 },
    ],
  });
  it('scale up, Min policy', () => assert.equal(calculateScaleUpLimitWithScalingRules(1, [], [], rules, now), 2));
  it('scale down, Min policy', () => assert.equal(calculateScaleDownLimitWithBehaviors(5, [], [], rules, now), 3));
  it('Disabled allows no change either way', () => {
    const disabled = resolveScaleUpRules({ selectPolicy: 'Disabled' });
    assert.equal(calculateScaleUpLimitWithScalingRules(5, [], [], disabled, now), 5);
    assert.equal(calculateScaleDownLimitWithBehaviors(5, [], [], disabled, now), 5);
  });
});

describe('stabilizeRecommendation (upstream TestNormalizeDesiredReplicas)', () => {
  const cases: { name: string; recommendations: TimestampedRecommendation[]; desired: number; expected: number; logLength: number }[] = [
    { name: 'empty log', recommendations: [], desired: 5, expected: 5, logLength: 1 },
    { name: 'stabilize', recommendations: [{ recommendation: 4, timestamp: now - minutes(2) }, { recommendation: 5, timestamp: now - minutes(1) }], desired: 3, expected: 5, logLength: 3 },
    { name: 'no stabilize', recommendations: [{ recommendation: 1, timestamp: now - minutes(2) }, { recommendation: 2, timestamp: now - minutes(1) }], desired: 3, expected: 3, logLength: 3 },
    { name: 'no stabilize - old recommendations', recommendations: [{ recommendation: 10, timestamp: now - minutes(10) }, { recommendation: 9, timestamp: now - minutes(9) }], desired: 3, expected: 3, logLength: 2 },
    {
      name: 'stabilize - old recommendations',
      recommendations: [
        { recommendation: 10, timestamp: now - minutes(10) },
        { recommendation: 4, timestamp: now - minutes(1) },
        { recommendation: 5, timestamp: now - minutes(2) },
        { recommendation: 9, timestamp: now - minutes(9) },
      ],
      desired: 3,
      expected: 5,
      logLength: 4,
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const log = [...tc.recommendations];
      assert.equal(stabilizeRecommendation(log, tc.desired, minutes(5), now), tc.expected);
      assert.equal(log.length, tc.logLength);
    });
  }
});

describe('convertDesiredReplicasWithBehaviorRate (upstream TestScalingWithRules)', () => {
  interface Case {
    name: string;
    scaleUpEvents?: TimestampedScaleEvent[];
    scaleDownEvents?: TimestampedScaleEvent[];
    min: number;
    max: number;
    scaleUpRules?: ScalingRules;
    scaleDownRules?: ScalingRules;
    current: number;
    desired: number;
    expected: number;
    condition: string;
  }
  const cases: Case[] = [
    { name: 'prenormalized desired replicas within range', current: 5, desired: 7, min: 3, max: 8, expected: 7, condition: 'DesiredWithinRange' },
    { name: 'prenormalized desired replicas < minReplicas', current: 3, desired: 1, min: 2, max: 8, expected: 2, condition: 'TooFewReplicas' },
    { name: 'prenormalized desired replicas within range when minReplicas is 0', current: 1, desired: 0, min: 0, max: 10, expected: 0, condition: 'DesiredWithinRange' },
    { name: 'maxReplicas is the limit because maxReplicas < scaleUpLimit', current: 20, desired: 1000, min: 1, max: 10, expected: 10, condition: 'TooManyReplicas' },
    { name: 'desired replica count is more than the maximum replica count', current: 100, desired: 1000, min: 100, max: 150, expected: 150, condition: 'TooManyReplicas' },
    { name: 'scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies', current: 3, desired: 1000, min: 1, max: 2000, expected: 4, condition: 'ScaleUpLimit', scaleUpRules: generateScalingRules(0, 0, 1, 60, 0) },
    { name: 'scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies', current: 1000, desired: 3, min: 3, max: 2000, scaleDownRules: generateScalingRules(20, 60, 0, 0, 0), expected: 980, condition: 'ScaleDownLimit' },
    { name: 'scaleUp with default behavior', min: 1, max: 1000, current: 10, desired: 50, expected: 20, condition: 'ScaleUpLimit' },
    { name: 'scaleUp with pods policy larger than percent policy', min: 1, max: 1000, scaleUpRules: generateScalingRules(100, 60, 100, 60, 0), current: 10, desired: 500, expected: 110, condition: 'ScaleUpLimit' },
    { name: 'scaleUp with percent policy larger than pods policy', min: 1, max: 1000, scaleUpRules: generateScalingRules(2, 60, 100, 60, 0), current: 10, desired: 500, expected: 20, condition: 'ScaleUpLimit' },
    { name: 'scaleUp with spec MaxReplicas limitation with large pod policy', min: 1, max: 1000, scaleUpRules: generateScalingRules(100, 60, 0, 0, 0), current: 10, desired: 50, expected: 50, condition: 'DesiredWithinRange' },
    { name: 'scaleUp with spec MaxReplicas limitation with large percent policy', min: 1, max: 1000, scaleUpRules: generateScalingRules(10000, 60, 0, 0, 0), current: 10, desired: 50, expected: 50, condition: 'DesiredWithinRange' },
    { name: 'scaleUp with pod policy limitation', min: 1, max: 1000, scaleUpRules: generateScalingRules(30, 60, 0, 0, 0), current: 10, desired: 50, expected: 40, condition: 'ScaleUpLimit' },
    { name: 'scaleUp with percent policy limitation', min: 1, max: 1000, scaleUpRules: generateScalingRules(0, 0, 200, 60, 0), current: 10, desired: 50, expected: 30, condition: 'ScaleUpLimit' },
    { name: 'scaleDown with percent policy larger than pod policy', min: 1, max: 1000, scaleDownRules: generateScalingRules(20, 60, 1, 60, 300), current: 100, desired: 2, expected: 80, condition: 'ScaleDownLimit' },
    { name: 'scaleDown with pod policy larger than percent policy', min: 1, max: 1000, scaleDownRules: generateScalingRules(2, 60, 1, 60, 300), current: 100, desired: 2, expected: 98, condition: 'ScaleDownLimit' },
    { name: 'scaleDown with spec MinReplicas=nil limitation with large pod policy', min: 1, max: 1000, scaleDownRules: generateScalingRules(100, 60, 0, 0, 300), current: 10, desired: 0, expected: 1, condition: 'TooFewReplicas' },
    { name: 'scaleDown with spec MinReplicas limitation with large pod policy', min: 1, max: 1000, scaleDownRules: generateScalingRules(100, 60, 0, 0, 300), current: 10, desired: 0, expected: 1, condition: 'TooFewReplicas' },
    { name: 'scaleDown with spec MinReplicas limitation with large percent policy', min: 5, max: 1000, scaleDownRules: generateScalingRules(0, 0, 100, 60, 300), current: 10, desired: 2, expected: 5, condition: 'TooFewReplicas' },
    { name: 'scaleDown with pod policy limitation', min: 1, max: 1000, scaleDownRules: generateScalingRules(5, 60, 0, 0, 300), current: 10, desired: 2, expected: 5, condition: 'ScaleDownLimit' },
    { name: 'scaleDown with percent policy limitation', min: 1, max: 1000, scaleDownRules: generateScalingRules(0, 0, 50, 60, 300), current: 10, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
    { name: 'scaleUp with spec MaxReplicas limitation with large pod policy and events', scaleUpEvents: generateEventsUniformDistribution([1, 5, 9], 120), min: 1, max: 200, scaleUpRules: generateScalingRules(300, 60, 0, 0, 0), current: 100, desired: 500, expected: 200, condition: 'TooManyReplicas' },
    { name: 'scaleUp with spec MaxReplicas limitation with large percent policy and events', scaleUpEvents: generateEventsUniformDistribution([1, 5, 9], 120), min: 1, max: 200, scaleUpRules: generateScalingRules(0, 0, 10000, 60, 0), current: 100, desired: 500, expected: 200, condition: 'TooManyReplicas' },
    { name: 'scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events', scaleUpEvents: generateEventsUniformDistribution([1, 5, 9], 120), min: 1, max: 1000, scaleUpRules: generateScalingRules(5, 120, 0, 0, 0), current: 100, desired: 500, expected: 100, condition: 'ScaleUpLimit' },
    { name: 'scaleUp with pod policy and previous scale up events', scaleUpEvents: generateEventsUniformDistribution([1, 5, 9], 120), min: 1, max: 1000, scaleUpRules: generateScalingRules(150, 120, 0, 0, 0), current: 100, desired: 500, expected: 235, condition: 'ScaleUpLimit' },
    { name: 'scaleUp with percent policy and previous scale up events', scaleUpEvents: generateEventsUniformDistribution([1, 5, 9], 120), min: 1, max: 1000, scaleUpRules: generateScalingRules(0, 0, 200, 120, 0), current: 100, desired: 500, expected: 255, condition: 'ScaleUpLimit' },
    { name: 'scaleUp with percent policy and previous scale up and down events', scaleUpEvents: generateEventsUniformDistribution([4], 120), scaleDownEvents: generateEventsUniformDistribution([2], 120), min: 1, max: 1000, scaleUpRules: generateScalingRules(0, 0, 300, 300, 0), current: 6, desired: 24, expected: 16, condition: 'ScaleUpLimit' },
    { name: 'scaleDown with default policy and previous events', scaleDownEvents: generateEventsUniformDistribution([1, 5, 9], 120), min: 1, max: 1000, current: 10, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
    { name: 'scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events', scaleDownEvents: generateEventsUniformDistribution([1, 5, 9], 120), min: 1, max: 1000, scaleDownRules: generateScalingRules(115, 120, 0, 0, 300), current: 100, desired: 0, expected: 1, condition: 'TooFewReplicas' },
    { name: 'scaleDown with spec MinReplicas limitation with large pod policy and previous events', scaleDownEvents: generateEventsUniformDistribution([1, 5, 9], 120), min: 5, max: 1000, scaleDownRules: generateScalingRules(130, 120, 0, 0, 300), current: 100, desired: 0, expected: 5, condition: 'TooFewReplicas' },
    { name: 'scaleDown with spec MinReplicas limitation with large percent policy and previous events', scaleDownEvents: generateEventsUniformDistribution([1, 5, 9], 120), min: 5, max: 1000, scaleDownRules: generateScalingRules(0, 0, 100, 120, 300), current: 100, desired: 2, expected: 5, condition: 'TooFewReplicas' },
    { name: 'scaleDown with pod policy limitation and previous events', scaleDownEvents: generateEventsUniformDistribution([1, 5, 9], 120), min: 1, max: 1000, scaleDownRules: generateScalingRules(5, 120, 0, 0, 300), current: 100, desired: 2, expected: 100, condition: 'ScaleDownLimit' },
    { name: 'scaleDown with percent policy limitation and previous events', scaleDownEvents: generateEventsUniformDistribution([2, 4, 6], 120), min: 1, max: 1000, scaleDownRules: generateScalingRules(0, 0, 50, 120, 300), current: 100, desired: 0, expected: 56, condition: 'ScaleDownLimit' },
    { name: 'scaleDown with percent policy and previous scale up and down events', scaleUpEvents: generateEventsUniformDistribution([2], 120), scaleDownEvents: generateEventsUniformDistribution([4], 120), min: 1, max: 1000, scaleDownRules: generateScalingRules(0, 0, 50, 180, 0), current: 10, desired: 1, expected: 6, condition: 'ScaleDownLimit' },
    { name: 'scaleDown with previous events preventing further scale down', scaleDownEvents: generateEventsUniformDistribution([10, 10, 10], 120), min: 1, max: 1000, scaleDownRules: generateScalingRules(0, 0, 10, 120, 300), current: 100, desired: 0, expected: 100, condition: 'ScaleDownLimit' },
    { name: 'scaleDown with with previous events still allowing more scale down', scaleDownEvents: generateEventsUniformDistribution([10, 10, 10], 120), min: 1, max: 1000, scaleDownRules: generateScalingRules(0, 0, 1000, 120, 300), current: 10, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
    { name: "check 'outdated' flag for events for one behavior for up", scaleUpEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120), min: 1, max: 1000, scaleUpRules: generateScalingRules(1000, 60, 0, 0, 0), current: 100, desired: 200, expected: 200, condition: 'DesiredWithinRange' },
    { name: "check that events were not marked 'outdated' for two different policies in the behavior for up", scaleUpEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120), min: 1, max: 1000, scaleUpRules: generateScalingRules(1000, 120, 100, 60, 0), current: 100, desired: 200, expected: 200, condition: 'DesiredWithinRange' },
    { name: "check that events were marked 'outdated' for two different policies in the behavior for up", scaleUpEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120), min: 1, max: 1000, scaleUpRules: generateScalingRules(1000, 30, 100, 60, 0), current: 100, desired: 200, expected: 200, condition: 'DesiredWithinRange' },
    { name: "check 'outdated' flag for events for one behavior for down", scaleDownEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120), min: 1, max: 1000, scaleDownRules: generateScalingRules(1000, 60, 0, 0, 300), current: 100, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
    { name: "check that events were not marked 'outdated' for two different policies in the behavior for down", scaleDownEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120), min: 1, max: 1000, scaleDownRules: generateScalingRules(1000, 120, 100, 60, 300), current: 100, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
    { name: "check that events were marked 'outdated' for two different policies in the behavior for down", scaleDownEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120), min: 1, max: 1000, scaleDownRules: generateScalingRules(1000, 30, 100, 60, 300), current: 100, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
    // selectPolicy Disabled: no change in that direction, whatever the metrics say.
    { name: 'scaleUp disabled', min: 1, max: 1000, scaleUpRules: { selectPolicy: 'Disabled' }, current: 10, desired: 50, expected: 10, condition: 'ScaleUpLimit' },
    { name: 'scaleDown disabled', min: 1, max: 1000, scaleDownRules: { selectPolicy: 'Disabled' }, current: 10, desired: 2, expected: 10, condition: 'ScaleDownLimit' },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const result = convertDesiredReplicasWithBehaviorRate(
        { scaleUp: resolveScaleUpRules(tc.scaleUpRules), scaleDown: resolveScaleDownRules(tc.scaleDownRules, minutes(5)), minReplicas: tc.min, maxReplicas: tc.max, currentReplicas: tc.current, desiredReplicas: tc.desired },
        tc.scaleUpEvents ?? [],
        tc.scaleDownEvents ?? [],
        now,
      );
      assert.equal(result.replicas, tc.expected, 'replicas');
      assert.equal(result.reason, tc.condition, 'condition');
    });
  }
});

describe('storeScaleEvent (upstream TestStoreScaleEvents)', () => {
  const event = (replicaChange: number, ago: number, outdated = false): TimestampedScaleEvent => ({ replicaChange, timestamp: now - seconds(ago), outdated });
  const cases: { name: string; replicaChange: number; prev: TimestampedScaleEvent[]; next: [number, boolean][]; rules?: ScalingRules; expectedChange: number }[] = [
    { name: 'empty entries with default behavior', replicaChange: 5, prev: [], next: [], expectedChange: 0 },
    { name: 'empty entries with two-policy-behavior', replicaChange: 5, prev: [], next: [[5, false]], rules: generateScalingRules(10, 60, 100, 60, 0), expectedChange: 0 },
    { name: 'one outdated entry to be kept untouched without behavior', replicaChange: 5, prev: [event(7, 61)], next: [[7, false]], expectedChange: 0 },
    { name: 'one outdated entry to be replaced with behavior', replicaChange: 5, prev: [event(7, 61)], next: [[5, false]], rules: generateScalingRules(10, 60, 100, 60, 0), expectedChange: 0 },
    { name: 'one actual entry to be not touched with behavior', replicaChange: 5, prev: [event(7, 58)], next: [[7, false], [5, false]], rules: generateScalingRules(10, 60, 100, 60, 0), expectedChange: 7 },
    { name: 'two entries, one of them to be replaced', replicaChange: 5, prev: [event(7, 61), event(6, 59)], next: [[5, false], [6, false]], rules: generateScalingRules(10, 60, 0, 0, 0), expectedChange: 6 },
    {
      name: 'replace one entry, use policies with different periods',
      replicaChange: 5,
      prev: [event(8, 29), event(6, 59), event(7, 61), event(9, 61)],
      next: [[8, false], [6, false], [7, true], [5, false]],
      rules: generateScalingRules(10, 60, 100, 30, 0),
      expectedChange: 14,
    },
    { name: 'two entries, both actual', replicaChange: 5, prev: [event(7, 58), event(6, 59)], next: [[7, false], [6, false], [5, false]], rules: generateScalingRules(10, 120, 100, 30, 0), expectedChange: 13 },
  ];
  for (const tc of cases) {
    for (const direction of ['up', 'down'] as const) {
      it(`${tc.name} (${direction})`, () => {
        const history = new ScalingHistory();
        const store = direction === 'up' ? history.scaleUpEvents : history.scaleDownEvents;
        store.set('', tc.prev.map((e) => ({ ...e })));
        assert.equal(getReplicasChangePerPeriod(60, store.get('')!, now), tc.expectedChange);
        const behavior = tc.rules ? { scaleUp: resolveScaleUpRules(tc.rules), scaleDown: resolveScaleDownRules(tc.rules, minutes(5)) } : undefined;
        storeScaleEvent(history, behavior, '', 10, direction === 'up' ? 10 + tc.replicaChange : 10 - tc.replicaChange, now);
        assert.deepEqual((store.get('') ?? []).map((e) => [e.replicaChange, e.outdated]), tc.next);
      });
    }
  }
});

describe('stabilizeRecommendationWithBehaviors (upstream TestNormalizeDesiredReplicasWithBehavior)', () => {
  const rec = (recommendation: number, ago: number): TimestampedRecommendation => ({ recommendation, timestamp: now - ago });
  const cases: { name: string; recommendations: TimestampedRecommendation[]; current: number; desired: number; expected: number; expectedRecommendations?: number[]; up?: number; down?: number }[] = [
    { name: 'empty recommendations for scaling down', recommendations: [], current: 100, desired: 5, expected: 5, expectedRecommendations: [5] },
    { name: 'simple scale down stabilization', recommendations: [rec(4, minutes(2)), rec(5, minutes(1))], current: 100, desired: 3, expected: 5, expectedRecommendations: [4, 5, 3], down: 180 },
    { name: 'simple scale up stabilization', recommendations: [rec(4, minutes(2)), rec(5, minutes(1))], current: 1, desired: 7, expected: 4, expectedRecommendations: [4, 5, 7], up: 300 },
    { name: 'no scale down stabilization', recommendations: [rec(1, minutes(2)), rec(2, minutes(1))], current: 100, desired: 3, expected: 3, expectedRecommendations: [1, 2, 3], up: 300 },
    { name: 'no scale up stabilization', recommendations: [rec(4, minutes(2)), rec(5, minutes(1))], current: 1, desired: 3, expected: 3, expectedRecommendations: [4, 5, 3], down: 300 },
    { name: 'no scale down stabilization, reuse recommendation element', recommendations: [rec(10, minutes(10)), rec(9, minutes(9))], current: 100, desired: 3, expected: 3, expectedRecommendations: [10, 3] },
    { name: 'no scale up stabilization, reuse recommendation element', recommendations: [rec(10, minutes(10)), rec(9, minutes(9))], current: 1, desired: 100, expected: 100, expectedRecommendations: [10, 100] },
    { name: 'scale down stabilization, reuse one of obsolete recommendation element', recommendations: [rec(10, minutes(10)), rec(4, minutes(1)), rec(5, minutes(2)), rec(9, minutes(9))], current: 100, desired: 3, expected: 5, expectedRecommendations: [10, 4, 5, 3], down: 180 },
    { name: 'scale up stabilization, reuse one of obsolete recommendation element', recommendations: [rec(10, minutes(100)), rec(6, minutes(1)), rec(5, minutes(2)), rec(9, minutes(3))], current: 1, desired: 100, expected: 5, expectedRecommendations: [100, 6, 5, 9], up: 300 },
    { name: 'scale up and down stabilization, do not scale up when prenormalized rec goes down', recommendations: [rec(2, minutes(100)), rec(3, minutes(3))], current: 2, desired: 1, expected: 2, up: 300, down: 300 },
    { name: 'scale up and down stabilization, do not scale down when prenormalized rec goes up', recommendations: [rec(2, minutes(100)), rec(1, minutes(3))], current: 2, desired: 3, expected: 2, up: 300, down: 300 },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const log = [...tc.recommendations];
      const rules = (seconds: number) => ({ stabilizationWindowSeconds: seconds, selectPolicy: 'Max', policies: [] });
      const result = stabilizeRecommendationWithBehaviors(log, { scaleUp: rules(tc.up ?? 0), scaleDown: rules(tc.down ?? 0), minReplicas: 1, maxReplicas: 1000, currentReplicas: tc.current, desiredReplicas: tc.desired }, now);
      assert.equal(result.replicas, tc.expected);
      if (tc.expectedRecommendations) assert.deepEqual(log.map((r) => r.recommendation), tc.expectedRecommendations);
    });
  }
});
