/** `kubectl get hpa` columns, as upstream's printer shows them. */
import { AGE_COLUMN, NAME_COLUMN, age, column } from '../core/table-util.js';
import type { TableConvertor } from '../resource.js';
import type { HorizontalPodAutoscalerV2, MetricSpec, MetricStatus, MetricTarget, MetricValueStatus } from './types.js';

function targetText(target: MetricTarget | undefined): string {
  if (!target) return '<unknown>';
  if (target.type === 'Utilization') return `${target.averageUtilization ?? 0}%`;
  if (target.type === 'AverageValue') return target.averageValue ?? '<unknown>';
  return target.value ?? '<unknown>';
}

function currentText(current: MetricValueStatus | undefined, target: MetricTarget | undefined): string {
  if (!current) return '<unknown>';
  if (target?.type === 'Utilization') return current.averageUtilization !== undefined ? `${current.averageUtilization}%` : '<unknown>';
  if (target?.type === 'AverageValue') return current.averageValue ?? '<unknown>';
  return current.value ?? '<unknown>';
}

/** The status entry describing the same metric as `spec`, if the controller reported one. */
function statusFor(spec: MetricSpec, statuses: MetricStatus[]): MetricValueStatus | undefined {
  for (const status of statuses) {
    if (status.type !== spec.type) continue;
    switch (spec.type) {
      case 'Resource':
        if (status.resource?.name === spec.resource?.name) return status.resource?.current;
        break;
      case 'ContainerResource':
        if (status.containerResource?.name === spec.containerResource?.name && status.containerResource?.container === spec.containerResource?.container) {
          return status.containerResource?.current;
        }
        break;
      case 'Pods':
        if (status.pods?.metric?.name === spec.pods?.metric?.name) return status.pods?.current;
        break;
      case 'Object':
        if (status.object?.metric?.name === spec.object?.metric?.name) return status.object?.current;
        break;
      case 'External':
        if (status.external?.metric?.name === spec.external?.metric?.name) return status.external?.current;
        break;
    }
  }
  return undefined;
}

function metricText(spec: MetricSpec, statuses: MetricStatus[]): string {
  const source = spec.resource ?? spec.containerResource ?? spec.pods ?? spec.object ?? spec.external;
  const target = source?.target;
  const pair = `${currentText(statusFor(spec, statuses), target)}/${targetText(target)}`;
  if (spec.type === 'Resource') return `${spec.resource?.name}: ${pair}`;
  if (spec.type === 'ContainerResource') return `${spec.containerResource?.name}: ${pair}`;
  return pair;
}

/** `cpu: 40%/80%, memory: <unknown>/500Mi + 1 more...` */
export function formatTargets(obj: HorizontalPodAutoscalerV2): string {
  const metrics = obj.spec?.metrics ?? [];
  if (metrics.length === 0) return '<none>';
  const statuses = obj.status?.currentMetrics ?? [];
  const texts = metrics.map((m) => metricText(m, statuses));
  const shown = texts.slice(0, 2).join(', ');
  return texts.length > 2 ? `${shown} + ${texts.length - 2} more...` : shown;
}

export const hpaTable: TableConvertor<HorizontalPodAutoscalerV2> = {
  columns: [
    NAME_COLUMN,
    column('Reference', 'Reference to target resource'),
    column('Targets', 'Current and target metric values'),
    column('MinPods', 'Minimum number of pods'),
    column('MaxPods', 'Maximum number of pods', 0, 'integer'),
    column('Replicas', 'Current number of replicas', 0, 'integer'),
    AGE_COLUMN,
  ],
  cells: (obj, now) => [
    obj.metadata.name,
    `${obj.spec?.scaleTargetRef?.kind ?? ''}/${obj.spec?.scaleTargetRef?.name ?? ''}`,
    formatTargets(obj),
    obj.spec?.minReplicas !== undefined ? String(obj.spec.minReplicas) : '<unset>',
    obj.spec?.maxReplicas ?? 0,
    obj.status?.currentReplicas ?? 0,
    age(obj, now),
  ],
};
