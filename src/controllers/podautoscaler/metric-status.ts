/**
 * One metric of an HPA's spec → a replica proposal, the metric's status
 * entry and a name for it (`cpu resource utilization (percentage of
 * request)`), or, on failure, the ScalingActive condition and Warning event
 * upstream gives (FailedGetResourceMetric, FailedGetPodsMetric, …), worded
 * as upstream's computeReplicasForMetric.
 */
import type { HorizontalPodAutoscalerV2, MetricSpec, MetricStatus, MetricTarget } from '../../api/autoscaling/index.js';
import type { LabelSelector } from '../../api/common/selector.js';
import { selectorFromLabelSelector, type Selector } from '../../machinery/labels.js';
import { formatQuantity, milliValue, tryParseQuantity } from '../../machinery/quantity.js';
import type { ProposedCondition } from './conditions.js';
import { goLabelSelector, type MetricReplicaCalculator } from './metric-replicas.js';

export type MetricOutcome =
  | { ok: true; replicas: number; metricName: string; timestamp: number; status: MetricStatus }
  | { ok: false; error: Error; condition: ProposedCondition };

/** Where Warning events about the HPA go. */
export type WarningRecorder = (reason: string, message: string) => void;

/** A milli-unit count as the quantity upstream writes (NewMilliQuantity, DecimalSI). */
export function milliQuantity(milli: number): string {
  return formatQuantity({ nanos: BigInt(Math.trunc(milli)) * 1_000_000n, format: 'DecimalSI' });
}

function milliOf(text: string | undefined): number | undefined {
  const parsed = text === undefined ? undefined : tryParseQuantity(String(text));
  return parsed ? Number(milliValue(parsed)) : undefined;
}

class MetricError extends Error {
  constructor(
    message: string,
    readonly condition: ProposedCondition,
  ) {
    super(message);
  }
}

export class MetricEvaluator {
  constructor(
    private readonly calculator: MetricReplicaCalculator,
    private readonly warn: WarningRecorder,
  ) {}

  /** Upstream's getUnableComputeReplicaCountCondition: the event now, the condition for later. */
  private unable(reason: string, err: unknown): ProposedCondition {
    const message = (err as Error).message;
    this.warn(reason, message);
    return { type: 'ScalingActive', status: 'False', reason, message: `the HPA was unable to compute the replica count: ${message}` };
  }

  /** Parses a metric selector as upstream's LabelSelectorAsSelector; throws with its message. */
  private metricSelector(selector: LabelSelector | undefined): void {
    selectorFromLabelSelector(selector ?? {});
  }

  async computeReplicasForMetric(hpa: HorizontalPodAutoscalerV2, spec: MetricSpec, specReplicas: number, statusReplicas: number, selector: Selector, signal?: AbortSignal): Promise<MetricOutcome> {
    const namespace = hpa.metadata.namespace ?? '';
    try {
      switch (spec.type) {
        case 'Object': {
          const source = spec.object ?? {};
          return await this.wrap('failed to get object metric value', () => {
            this.guard('FailedGetObjectMetric', () => this.metricSelector(source.metric?.selector));
            return this.objectMetric(source, specReplicas, statusReplicas, namespace, selector, signal);
          });
        }
        case 'Pods': {
          const source = spec.pods ?? {};
          return await this.wrap('failed to get pods metric value', async () => {
            this.guard('FailedGetPodsMetric', () => this.metricSelector(source.metric?.selector));
            const target = milliOf(source.target?.averageValue);
            const name = source.metric?.name ?? '';
            const result = await this.guardAsync('FailedGetPodsMetric', () => {
              if (target === undefined) throw new Error('invalid pods metric source: no average value target was set');
              return this.calculator.getMetricReplicas(specReplicas, target, name, namespace, selector, source.metric?.selector, signal);
            });
            const status: MetricStatus = { type: 'Pods', pods: { metric: identifier(name, source.metric?.selector), current: { averageValue: milliQuantity(result.usage) } } };
            return { ok: true, replicas: result.replicas, metricName: `pods metric ${name}`, timestamp: result.timestamp, status };
          });
        }
        case 'Resource': {
          const source = spec.resource ?? {};
          const name = source.name ?? '';
          return await this.wrap(`failed to get ${name} resource metric value`, async () => {
            const generic = await this.guardAsync('FailedGetResourceMetric', () => this.resourceMetric(source.target, name, namespace, '', selector, specReplicas, false, signal));
            return { ...generic, status: { type: 'Resource', resource: { name, current: generic.current } } };
          });
        }
        case 'ContainerResource': {
          const source = spec.containerResource ?? {};
          const name = source.name ?? '';
          const container = source.container ?? '';
          return await this.wrap(`failed to get ${container} container metric value`, async () => {
            const generic = await this.guardAsync('FailedGetContainerResourceMetric', () => this.resourceMetric(source.target, name, namespace, container, selector, specReplicas, true, signal));
            return { ...generic, status: { type: 'ContainerResource', containerResource: { name, container, current: generic.current } } };
          });
        }
        case 'External':
          return await this.externalMetric(spec.external ?? {}, specReplicas, statusReplicas, namespace, selector, signal);
        default: {
          // The apiserver's validation keeps other types out; an old object may still carry one.
          const error = new Error(`unknown metric source type "${spec.type ?? ''}"`);
          return { ok: false, error, condition: this.unable('InvalidMetricSourceType', error) };
        }
      }
    } catch (err) {
      if (err instanceof MetricError) return { ok: false, error: err, condition: err.condition };
      throw err;
    }
  }

  /** Runs a step; a failure becomes the condition (and event) of `reason`. */
  private guard<T>(reason: string, step: () => T): T {
    try {
      return step();
    } catch (err) {
      if (err instanceof MetricError) throw err;
      throw new MetricError((err as Error).message, this.unable(reason, err));
    }
  }

  private async guardAsync<T>(reason: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (err instanceof MetricError) throw err;
      throw new MetricError((err as Error).message, this.unable(reason, err));
    }
  }

  /** Prefixes the error of a failed metric as upstream's computeReplicasForMetric does. */
  private async wrap(prefix: string, step: () => Promise<MetricOutcome>): Promise<MetricOutcome> {
    try {
      return await step();
    } catch (err) {
      if (err instanceof MetricError) throw new MetricError(`${prefix}: ${err.message}`, err.condition);
      throw err;
    }
  }

  private async objectMetric(
    source: NonNullable<MetricSpec['object']>,
    specReplicas: number,
    statusReplicas: number,
    namespace: string,
    selector: Selector,
    signal?: AbortSignal,
  ): Promise<MetricOutcome> {
    const name = source.metric?.name ?? '';
    const describedObject = source.describedObject ?? {};
    const value = milliOf(source.target?.value);
    const averageValue = milliOf(source.target?.averageValue);
    if (source.target?.type === 'Value' && value !== undefined) {
      const result = await this.guardAsync('FailedGetObjectMetric', () =>
        this.calculator.getObjectMetricReplicas(specReplicas, value, name, namespace, describedObject, selector, source.metric?.selector, signal),
      );
      const status: MetricStatus = { type: 'Object', object: { describedObject, metric: identifier(name, source.metric?.selector), current: { value: milliQuantity(result.usage) } } };
      return { ok: true, replicas: result.replicas, metricName: `${describedObject.kind ?? ''} metric ${name}`, timestamp: result.timestamp, status };
    }
    if (source.target?.type === 'AverageValue' && averageValue !== undefined) {
      let result;
      try {
        result = await this.calculator.getObjectPerPodMetricReplicas(statusReplicas, averageValue, name, namespace, describedObject, source.metric?.selector, signal);
      } catch (err) {
        throw new MetricError(`failed to get ${name} object metric: ${(err as Error).message}`, this.unable('FailedGetObjectMetric', err));
      }
      // Upstream leaves the described object out of this status (an empty reference).
      const status: MetricStatus = { type: 'Object', object: { describedObject: { kind: '', name: '' }, metric: identifier(name, source.metric?.selector), current: { averageValue: milliQuantity(result.usage) } } };
      return { ok: true, replicas: result.replicas, metricName: `external metric ${name}(${goLabelSelector(source.metric?.selector)})`, timestamp: result.timestamp, status };
    }
    return this.guard('FailedGetObjectMetric', () => {
      throw new Error('invalid object metric source: neither a value target nor an average value target was set');
    });
  }

  private async resourceMetric(
    target: MetricTarget | undefined,
    resource: string,
    namespace: string,
    container: string,
    selector: Selector,
    currentReplicas: number,
    isContainer: boolean,
    signal?: AbortSignal,
  ): Promise<{ ok: true; replicas: number; metricName: string; timestamp: number; current: NonNullable<NonNullable<MetricStatus['resource']>['current']> }> {
    const averageValue = milliOf(target?.averageValue);
    if (averageValue !== undefined) {
      let result;
      try {
        result = await this.calculator.getRawResourceReplicas(currentReplicas, averageValue, resource, namespace, selector, container, signal);
      } catch (err) {
        throw new Error(`failed to get ${resource} usage: ${(err as Error).message}`);
      }
      return { ok: true, replicas: result.replicas, metricName: `${resource} resource`, timestamp: result.timestamp, current: { averageValue: milliQuantity(result.usage) } };
    }
    if (target?.averageUtilization === undefined) {
      throw new Error('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    }
    let result;
    try {
      result = await this.calculator.getResourceReplicas(currentReplicas, target.averageUtilization, resource, namespace, selector, container, signal);
    } catch (err) {
      throw new Error(`failed to get ${resource} utilization: ${(err as Error).message}`);
    }
    const metricName = isContainer ? `${resource} container resource utilization (percentage of request)` : `${resource} resource utilization (percentage of request)`;
    return { ok: true, replicas: result.replicas, metricName, timestamp: result.timestamp, current: { averageUtilization: result.utilization, averageValue: milliQuantity(result.rawUtilization) } };
  }

  private async externalMetric(
    source: NonNullable<MetricSpec['external']>,
    specReplicas: number,
    statusReplicas: number,
    namespace: string,
    selector: Selector,
    signal?: AbortSignal,
  ): Promise<MetricOutcome> {
    const name = source.metric?.name ?? '';
    const metricSelector = source.metric?.selector;
    const metricName = `external metric ${name}(${goLabelSelector(metricSelector)})`;
    const averageValue = milliOf(source.target?.averageValue);
    const value = milliOf(source.target?.value);
    const failed = (prefix: string, err: unknown) => new MetricError(`failed to get ${name} external metric value: ${prefix}: ${(err as Error).message}`, this.unable('FailedGetExternalMetric', err));
    if (averageValue !== undefined) {
      let result;
      try {
        result = await this.calculator.getExternalPerPodMetricReplicas(statusReplicas, averageValue, name, namespace, metricSelector, signal);
      } catch (err) {
        throw failed(`failed to get ${name} external metric`, err);
      }
      return { ok: true, replicas: result.replicas, metricName, timestamp: result.timestamp, status: { type: 'External', external: { metric: identifier(name, metricSelector), current: { averageValue: milliQuantity(result.usage) } } } };
    }
    if (value !== undefined) {
      let result;
      try {
        result = await this.calculator.getExternalMetricReplicas(specReplicas, value, name, namespace, metricSelector, selector, signal);
      } catch (err) {
        throw failed(`failed to get external metric ${name}`, err);
      }
      return { ok: true, replicas: result.replicas, metricName, timestamp: result.timestamp, status: { type: 'External', external: { metric: identifier(name, metricSelector), current: { value: milliQuantity(result.usage) } } } };
    }
    const error = new Error('invalid external metric source: neither a value target nor an average value target was set');
    throw new MetricError(`failed to get ${name} external metric value: ${error.message}`, this.unable('FailedGetExternalMetric', error));
  }
}

function identifier(name: string, selector: LabelSelector | undefined): { name: string; selector?: LabelSelector } {
  return selector ? { name, selector } : { name };
}
