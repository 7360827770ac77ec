/** TypeScript shapes of HorizontalPodAutoscaler, v2 (stored) and v1. */
import type { KubeObject } from '../../machinery/object.js';
import type { LabelSelector } from '../common/selector.js';

export interface CrossVersionObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
}

export interface MetricTarget {
  type?: string;
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

export interface MetricValueStatus {
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

interface MetricIdentifier {
  name?: string;
  selector?: LabelSelector;
}

export interface MetricSpec {
  type?: string;
  resource?: { name?: string; target?: MetricTarget };
  containerResource?: { name?: string; container?: string; target?: MetricTarget };
  pods?: { metric?: MetricIdentifier; target?: MetricTarget };
  object?: { describedObject?: CrossVersionObjectReference; metric?: MetricIdentifier; target?: MetricTarget };
  external?: { metric?: MetricIdentifier; target?: MetricTarget };
}

export interface MetricStatus {
  type?: string;
  resource?: { name?: string; current?: MetricValueStatus };
  containerResource?: { name?: string; container?: string; current?: MetricValueStatus };
  pods?: { metric?: MetricIdentifier; current?: MetricValueStatus };
  object?: { describedObject?: CrossVersionObjectReference; metric?: MetricIdentifier; current?: MetricValueStatus };
  external?: { metric?: MetricIdentifier; current?: MetricValueStatus };
}

export interface ScalingPolicy {
  type?: string;
  value?: number;
  periodSeconds?: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: string;
  policies?: ScalingPolicy[];
  tolerance?: string;
}

export interface HorizontalPodAutoscalerV2 extends KubeObject {
  spec?: {
    scaleTargetRef?: CrossVersionObjectReference;
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: MetricSpec[];
    behavior?: { scaleUp?: ScalingRules; scaleDown?: ScalingRules };
  };
  status?: {
    observedGeneration?: number;
    lastScaleTime?: string;
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: MetricStatus[];
    conditions?: unknown[];
  };
}

export interface HorizontalPodAutoscalerV1 extends KubeObject {
  spec?: {
    scaleTargetRef?: CrossVersionObjectReference;
    minReplicas?: number;
    maxReplicas?: number;
    targetCPUUtilizationPercentage?: number;
  };
  status?: {
    observedGeneration?: number;
    lastScaleTime?: string;
    currentReplicas?: number;
    desiredReplicas?: number;
    currentCPUUtilizationPercentage?: number;
  };
}
