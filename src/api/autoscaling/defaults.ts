/** Upstream's HorizontalPodAutoscaler defaults (SetDefaults_HorizontalPodAutoscaler). */
import type { HorizontalPodAutoscalerV1, HorizontalPodAutoscalerV2, ScalingRules } from './types.js';

/** The target when none is given: 80% average CPU utilization. */
export const defaultCPUUtilization = 80;

function scaleUpRules(rules: ScalingRules | undefined): ScalingRules {
  const out: ScalingRules = { ...rules };
  out.stabilizationWindowSeconds ??= 0;
  out.selectPolicy ||= 'Max';
  if (!out.policies?.length) {
    out.policies = [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ];
  }
  return out;
}

function scaleDownRules(rules: ScalingRules | undefined): ScalingRules {
  // No stabilization window by default, as upstream: the controller's --horizontal-pod-autoscaler-downscale-stabilization applies.
  const out: ScalingRules = { ...rules };
  out.selectPolicy ||= 'Max';
  if (!out.policies?.length) out.policies = [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  return out;
}

export function defaultHorizontalPodAutoscalerV2(obj: HorizontalPodAutoscalerV2): void {
  const spec = (obj.spec ??= {});
  spec.minReplicas ??= 1;
  if (!spec.metrics?.length) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: defaultCPUUtilization } } }];
  }
  // Only a behavior the user started is completed; none means "the controller's defaults".
  if (spec.behavior) {
    spec.behavior.scaleUp = scaleUpRules(spec.behavior.scaleUp);
    spec.behavior.scaleDown = scaleDownRules(spec.behavior.scaleDown);
  }
}

export function defaultHorizontalPodAutoscalerV1(obj: HorizontalPodAutoscalerV1): void {
  const spec = (obj.spec ??= {});
  spec.minReplicas ??= 1;
}
