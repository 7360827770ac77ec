/**
 * Priority, as upstream's admission plugin: a new pod's `priorityClassName`
 * becomes its `spec.priority` (and `preemptionPolicy`) from the named
 * PriorityClass; a pod without one gets the globalDefault class's value, or
 * 0. A pod may not bring its own number, nor name a class that does not
 * exist.
 */
import { errors } from '../../machinery/status.js';
import type { KubeObject } from '../../machinery/object.js';
import type { AdmissionPlugin } from './chain.js';

interface PriorityClass extends KubeObject {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
}

export interface PriorityClassLookup {
  get(name: string): Promise<PriorityClass | undefined>;
  list(): Promise<PriorityClass[]>;
}

export function priorityPlugin(classes: PriorityClassLookup): AdmissionPlugin {
  return {
    name: 'Priority',
    async admit(a) {
      if (a.operation !== 'CREATE' || a.subresource || a.type.group !== '' || a.type.resource !== 'pods' || !a.object) return;
      const spec = ((a.object as { spec?: Record<string, unknown> }).spec ??= {}) as { priorityClassName?: string; priority?: number; preemptionPolicy?: string };
      let priorityClass: PriorityClass | undefined;
      if (spec.priorityClassName) {
        priorityClass = await classes.get(spec.priorityClassName);
        if (!priorityClass) throw errors.forbidden('', 'pods', a.name ?? '', `no PriorityClass with name ${spec.priorityClassName} was found`);
      } else {
        // The newest class marked globalDefault, if any.
        const defaults = (await classes.list()).filter((c) => c.globalDefault);
        priorityClass = defaults.sort((x, y) => Date.parse(y.metadata.creationTimestamp ?? '') - Date.parse(x.metadata.creationTimestamp ?? ''))[0];
        if (priorityClass) spec.priorityClassName = priorityClass.metadata.name;
      }
      const value = priorityClass?.value ?? 0;
      if (spec.priority !== undefined && spec.priority !== value) {
        throw errors.forbidden('', 'pods', a.name ?? '', `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
      }
      spec.priority = value;
      const policy = priorityClass?.preemptionPolicy ?? 'PreemptLowerPriority';
      if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== policy) {
        throw errors.forbidden('', 'pods', a.name ?? '', `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
      }
      spec.preemptionPolicy = policy;
    },
  };
}
