/**
 * The flags of autoscaling's two halves:
 *
 * - `--metric-resolution` (metrics-server's): how often the apiserver
 *   scrapes the node agents for metrics.k8s.io (default 15s);
 * - kube-controller-manager's `--horizontal-pod-autoscaler-*`: how often
 *   HPAs are synced (15s), the tolerance (0.1), the scale-down stabilization
 *   window (5m0s), the CPU initialization period (5m0s) and the initial
 *   readiness delay (30s).
 */
import { parseGoDuration } from '../machinery/duration.js';
import type { HorizontalPodAutoscalerOptions } from '../controllers/podautoscaler/controller.js';
import { UsageError } from './usage-error.js';

export const metricResolutionFlags = {
  'metric-resolution': { type: 'string' },
} as const;

export const horizontalPodAutoscalerFlags = {
  'horizontal-pod-autoscaler-sync-period': { type: 'string' },
  'horizontal-pod-autoscaler-tolerance': { type: 'string' },
  'horizontal-pod-autoscaler-downscale-stabilization': { type: 'string' },
  'horizontal-pod-autoscaler-cpu-initialization-period': { type: 'string' },
  'horizontal-pod-autoscaler-initial-readiness-delay': { type: 'string' },
} as const;

function duration(flag: string, value: string | undefined, minimumMs = 0): number | undefined {
  if (value === undefined) return undefined;
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch {
    throw new UsageError(`--${flag} ${value}: a duration such as 15s or 5m0s`);
  }
  if (ms < minimumMs) throw new UsageError(`--${flag} ${value}: must be at least ${minimumMs / 1000}s`);
  return ms;
}

/** metrics-server's --metric-resolution, in milliseconds (at least a second). */
export function metricResolutionFromFlags(values: Partial<Record<keyof typeof metricResolutionFlags, string>>): number | undefined {
  return duration('metric-resolution', values['metric-resolution'], 1000);
}

/** The HPA controller's options the flags give (undefined for those not set: the controller's defaults). */
export function horizontalPodAutoscalerOptionsFromFlags(values: Partial<Record<keyof typeof horizontalPodAutoscalerFlags, string>>): HorizontalPodAutoscalerOptions | undefined {
  if (Object.values(values).every((value) => value === undefined)) return undefined;
  const tolerance = values['horizontal-pod-autoscaler-tolerance'];
  if (tolerance !== undefined && !(Number(tolerance) >= 0)) throw new UsageError(`--horizontal-pod-autoscaler-tolerance ${tolerance}: a number, 0 or more (e.g. 0.1)`);
  const options: HorizontalPodAutoscalerOptions = {
    syncPeriodMs: duration('horizontal-pod-autoscaler-sync-period', values['horizontal-pod-autoscaler-sync-period'], 1000),
    tolerance: tolerance === undefined ? undefined : Number(tolerance),
    downscaleStabilizationMs: duration('horizontal-pod-autoscaler-downscale-stabilization', values['horizontal-pod-autoscaler-downscale-stabilization']),
    cpuInitializationPeriodMs: duration('horizontal-pod-autoscaler-cpu-initialization-period', values['horizontal-pod-autoscaler-cpu-initialization-period']),
    initialReadinessDelayMs: duration('horizontal-pod-autoscaler-initial-readiness-delay', values['horizontal-pod-autoscaler-initial-readiness-delay']),
  };
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as HorizontalPodAutoscalerOptions;
}
