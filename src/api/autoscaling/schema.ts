/** Schemas of HorizontalPodAutoscaler in autoscaling/v2 and autoscaling/v1. */
import { ConditionSchema, kindSchema, LabelSelectorSchema, s } from '../../machinery/schema/index.js';

const V2 = 'io.k8s.api.autoscaling.v2';
const V1 = 'io.k8s.api.autoscaling.v1';

export const CrossVersionObjectReferenceV2Schema = s.object(`${V2}.CrossVersionObjectReference`, 'The object being scaled.', {
  apiVersion: s.string('API version of the referent.'),
  kind: s.string('Kind of the referent, e.g. Deployment.'),
  name: s.string('Name of the referent.'),
}, { required: ['kind', 'name'] });

const MetricTargetSchema = s.object(`${V2}.MetricTarget`, 'The target value of a metric.', {
  averageUtilization: s.int32('Target average across pods, as a percentage of the requested resource.'),
  averageValue: s.quantity('Target average across pods, as a quantity.'),
  type: s.enumString(['Utilization', 'Value', 'AverageValue'], 'Which of the values is the target.'),
  value: s.quantity('Target value, as a quantity.'),
}, { required: ['type'] });

const MetricValueStatusSchema = s.object(`${V2}.MetricValueStatus`, 'The current value of a metric.', {
  averageUtilization: s.int32('Current average utilization, as a percentage of the request.'),
  averageValue: s.quantity('Current average value across pods.'),
  value: s.quantity('Current value.'),
});

const MetricIdentifierSchema = s.object(`${V2}.MetricIdentifier`, 'A metric by name and optional selector.', {
  name: s.string('Name of the metric.'),
  selector: s.field(LabelSelectorSchema, 'Narrows the metric to matching series.'),
}, { required: ['name'] });

export const MetricSpecSchema = s.object(`${V2}.MetricSpec`, 'One metric to scale on.', {
  containerResource: s.object(`${V2}.ContainerResourceMetricSource`, 'A resource of one container of each pod.', {
    container: s.string('Name of the container.'),
    name: s.string('Name of the resource.'),
    target: s.field(MetricTargetSchema, 'The target.'),
  }, { required: ['name', 'target', 'container'] }),
  external: s.object(`${V2}.ExternalMetricSource`, 'A metric from outside the cluster.', {
    metric: s.field(MetricIdentifierSchema, 'The metric.'),
    target: s.field(MetricTargetSchema, 'The target.'),
  }, { required: ['metric', 'target'] }),
  object: s.object(`${V2}.ObjectMetricSource`, 'A metric of another object.', {
    describedObject: s.field(CrossVersionObjectReferenceV2Schema, 'The object.'),
    metric: s.field(MetricIdentifierSchema, 'The metric.'),
    target: s.field(MetricTargetSchema, 'The target.'),
  }, { required: ['describedObject', 'target', 'metric'] }),
  pods: s.object(`${V2}.PodsMetricSource`, 'A metric of each pod, averaged.', {
    metric: s.field(MetricIdentifierSchema, 'The metric.'),
    target: s.field(MetricTargetSchema, 'The target.'),
  }, { required: ['metric', 'target'] }),
  resource: s.object(`${V2}.ResourceMetricSource`, 'A resource (cpu, memory) of the pods.', {
    name: s.string('Name of the resource.'),
    target: s.field(MetricTargetSchema, 'The target.'),
  }, { required: ['name', 'target'] }),
  type: s.enumString(['ContainerResource', 'External', 'Object', 'Pods', 'Resource'], 'Which source is set.'),
}, { required: ['type'] });

export const MetricStatusSchema = s.object(`${V2}.MetricStatus`, 'The last observed value of one metric.', {
  containerResource: s.object(`${V2}.ContainerResourceMetricStatus`, undefined, {
    container: s.string(),
    current: s.field(MetricValueStatusSchema),
    name: s.string(),
  }, { required: ['name', 'current', 'container'] }),
  external: s.object(`${V2}.ExternalMetricStatus`, undefined, { current: s.field(MetricValueStatusSchema), metric: s.field(MetricIdentifierSchema) }, { required: ['metric', 'current'] }),
  object: s.object(`${V2}.ObjectMetricStatus`, undefined, {
    current: s.field(MetricValueStatusSchema),
    describedObject: s.field(CrossVersionObjectReferenceV2Schema),
    metric: s.field(MetricIdentifierSchema),
  }, { required: ['metric', 'current', 'describedObject'] }),
  pods: s.object(`${V2}.PodsMetricStatus`, undefined, { current: s.field(MetricValueStatusSchema), metric: s.field(MetricIdentifierSchema) }, { required: ['metric', 'current'] }),
  resource: s.object(`${V2}.ResourceMetricStatus`, undefined, { current: s.field(MetricValueStatusSchema), name: s.string() }, { required: ['name', 'current'] }),
  type: s.string('Which source is set.'),
}, { required: ['type'] });

const HPAScalingRulesSchema = s.object(`${V2}.HPAScalingRules`, 'How fast to scale in one direction.', {
  policies: s.array(
    s.object(`${V2}.HPAScalingPolicy`, 'At most this much change per period.', {
      periodSeconds: s.int32('Window of the policy, in seconds.'),
      type: s.enumString(['Pods', 'Percent'], 'Pods or Percent.'),
      value: s.int32('Amount of change.'),
    }, { required: ['type', 'value', 'periodSeconds'] }),
    'Policies; selectPolicy picks among them.',
    { listType: 'atomic' },
  ),
  selectPolicy: s.enumString(['Max', 'Min', 'Disabled'], 'Which policy wins: Max (default), Min or Disabled.'),
  stabilizationWindowSeconds: s.int32('Past recommendations considered, to avoid flapping.'),
  tolerance: s.quantity('Relative metric change ignored.'),
});

export const HorizontalPodAutoscalerSpecV2Schema = s.object(`${V2}.HorizontalPodAutoscalerSpec`, 'The desired autoscaling.', {
  behavior: s.object(`${V2}.HorizontalPodAutoscalerBehavior`, 'Scaling speed limits.', {
    scaleDown: s.field(HPAScalingRulesSchema, 'Rules for scaling down.'),
    scaleUp: s.field(HPAScalingRulesSchema, 'Rules for scaling up.'),
  }),
  maxReplicas: s.int32('Upper bound of replicas.'),
  metrics: s.array(MetricSpecSchema, 'Metrics to scale on; the highest recommendation wins.', { listType: 'atomic' }),
  minReplicas: s.int32('Lower bound of replicas (default 1).'),
  scaleTargetRef: s.field(CrossVersionObjectReferenceV2Schema, 'What to scale.'),
}, { required: ['scaleTargetRef', 'maxReplicas'] });

export const HorizontalPodAutoscalerStatusV2Schema = s.object(`${V2}.HorizontalPodAutoscalerStatus`, 'The observed autoscaling.', {
  conditions: s.array(ConditionSchema, 'Conditions such as AbleToScale, ScalingActive.', { listType: 'map', mapKeys: ['type'], mergeKey: 'type', patchStrategy: 'merge' }),
  currentMetrics: s.array(MetricStatusSchema, 'Last observed metric values.', { listType: 'atomic' }),
  currentReplicas: s.int32('Replicas last seen.'),
  desiredReplicas: s.int32('Replicas last decided.'),
  lastScaleTime: s.dateTime('When the autoscaler last scaled.'),
  observedGeneration: s.int64('The generation last acted on.'),
}, { required: ['desiredReplicas'] });

export const HorizontalPodAutoscalerV2Schema = kindSchema({
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  definitionName: `${V2}.HorizontalPodAutoscaler`,
  description: 'Scales a workload between bounds from observed metrics.',
  fields: {
    spec: s.field(HorizontalPodAutoscalerSpecV2Schema, 'Desired behaviour.'),
    status: s.field(HorizontalPodAutoscalerStatusV2Schema, 'Observed state.'),
  },
});

export const HorizontalPodAutoscalerV1Schema = kindSchema({
  group: 'autoscaling',
  version: 'v1',
  kind: 'HorizontalPodAutoscaler',
  definitionName: `${V1}.HorizontalPodAutoscaler`,
  description: 'Scales a workload between bounds on average CPU utilization.',
  fields: {
    spec: s.field(
      s.object(`${V1}.HorizontalPodAutoscalerSpec`, 'The desired autoscaling.', {
        maxReplicas: s.int32('Upper bound of replicas.'),
        minReplicas: s.int32('Lower bound of replicas (default 1).'),
        scaleTargetRef: s.field(
          s.object(`${V1}.CrossVersionObjectReference`, 'The object being scaled.', {
            apiVersion: s.string('API version of the referent.'),
            kind: s.string('Kind of the referent.'),
            name: s.string('Name of the referent.'),
          }, { required: ['kind', 'name'] }),
          'What to scale.',
        ),
        targetCPUUtilizationPercentage: s.int32('Target average CPU utilization, as a percentage of the request.'),
      }, { required: ['scaleTargetRef', 'maxReplicas'] }),
      'Desired behaviour.',
    ),
    status: s.field(
      s.object(`${V1}.HorizontalPodAutoscalerStatus`, 'The observed autoscaling.', {
        currentCPUUtilizationPercentage: s.int32('Average CPU utilization last observed.'),
        currentReplicas: s.int32('Replicas last seen.'),
        desiredReplicas: s.int32('Replicas last decided.'),
        lastScaleTime: s.dateTime('When the autoscaler last scaled.'),
        observedGeneration: s.int64('The generation last acted on.'),
      }, { required: ['currentReplicas', 'desiredReplicas'] }),
      'Observed state.',
    ),
  },
});
