/**
 * RuntimeClass, as upstream's admission plugin: a new pod that names a
 * RuntimeClass gets the class's fixed overhead as `spec.overhead` and the
 * class's scheduling constraints (node selector and tolerations) merged into
 * its own. A pod may not bring an overhead of its own that differs from its
 * class's, nor any overhead without a class that defines one, and its node
 * selector may not contradict the class's.
 */
import { isPlainObject, type KubeObject } from '../../machinery/object.js';
import { tryParseQuantity } from '../../machinery/quantity.js';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.js';
import { admissionForbidden, lookupFailure } from './forbidden.js';
import { mergeTolerations, type Toleration } from './merge-tolerations.js';

export interface RuntimeClassDependencies {
  /** The RuntimeClass of that name (from the watch cache), undefined when there is none. */
  getRuntimeClass(name: string): KubeObject | undefined | Promise<KubeObject | undefined>;
}

interface RuntimeClass extends KubeObject {
  overhead?: { podFixed?: Record<string, unknown> | null } | null;
  scheduling?: { nodeSelector?: Record<string, string> | null; tolerations?: Toleration[] | null } | null;
}

interface PodSpec {
  runtimeClassName?: string | null;
  overhead?: Record<string, unknown> | null;
  nodeSelector?: Record<string, string> | null;
  tolerations?: Toleration[] | null;
}

const overheadMismatch = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";

/** Resource lists equal as upstream's semantic comparison: the same names, equal amounts; nothing equals empty. */
export function sameResourceList(a: Record<string, unknown> | null | undefined, b: Record<string, unknown> | null | undefined): boolean {
  const left = Object.entries(a ?? {});
  if (left.length !== Object.keys(b ?? {}).length) return false;
  return left.every(([name, value]) => {
    if (!b || !Object.hasOwn(b, name)) return false;
    const x = tryParseQuantity(String(value));
    const y = tryParseQuantity(String(b[name]));
    return x && y ? x.nanos === y.nanos : String(value) === String(b[name]);
  });
}

function podSpecOf(a: AdmissionAttributes): PodSpec | undefined {
  if (a.operation !== 'CREATE' || a.subresource || a.type.group !== '' || a.type.resource !== 'pods' || !a.object) return undefined;
  return isPlainObject(a.object.spec) ? (a.object.spec as PodSpec) : undefined;
}

async function runtimeClassOf(a: AdmissionAttributes, spec: PodSpec, deps: RuntimeClassDependencies): Promise<RuntimeClass | undefined> {
  const name = spec.runtimeClassName;
  if (typeof name !== 'string') return undefined;
  let runtimeClass: KubeObject | undefined;
  try {
    runtimeClass = await deps.getRuntimeClass(name);
  } catch (err) {
    throw lookupFailure(a, err);
  }
  if (!runtimeClass) throw admissionForbidden(a, `pod rejected: RuntimeClass ${JSON.stringify(name)} not found`);
  return runtimeClass as RuntimeClass;
}

function setOverhead(a: AdmissionAttributes, spec: PodSpec, runtimeClass: RuntimeClass): void {
  if (!runtimeClass.overhead) return;
  const podFixed = runtimeClass.overhead.podFixed ?? undefined;
  if (spec.overhead != null && !sameResourceList(podFixed, spec.overhead)) throw admissionForbidden(a, overheadMismatch);
  if (podFixed) spec.overhead = { ...podFixed };
  else delete spec.overhead;
}

function setScheduling(a: AdmissionAttributes, spec: PodSpec, runtimeClass: RuntimeClass): void {
  const scheduling = runtimeClass.scheduling;
  if (!scheduling) return;
  // A malformed node selector or toleration list is left for validation to refuse.
  if (spec.nodeSelector != null && !isPlainObject(spec.nodeSelector)) return;
  if (spec.tolerations != null && !(Array.isArray(spec.tolerations) && spec.tolerations.every(isPlainObject))) return;
  const classSelector = scheduling.nodeSelector ?? {};
  if (spec.nodeSelector == null) {
    if (scheduling.nodeSelector) spec.nodeSelector = { ...classSelector };
    else delete spec.nodeSelector;
  } else {
    for (const [key, value] of Object.entries(classSelector)) {
      const podValue = spec.nodeSelector[key];
      if (podValue !== undefined && podValue !== value) {
        throw admissionForbidden(a, `conflict: runtimeClass.scheduling.nodeSelector[${key}] = ${value}; pod.spec.nodeSelector[${key}] = ${podValue}`);
      }
      spec.nodeSelector[key] = value;
    }
  }
  const merged = mergeTolerations(spec.tolerations ?? [], scheduling.tolerations ?? []);
  if (merged.length > 0) spec.tolerations = merged;
  else delete spec.tolerations;
}

export function runtimeClassPlugin(deps: RuntimeClassDependencies): AdmissionPlugin {
  return {
    name: 'RuntimeClass',
    async admit(a) {
      const spec = podSpecOf(a);
      if (!spec) return;
      const runtimeClass = await runtimeClassOf(a, spec, deps);
      if (!runtimeClass) return;
      setOverhead(a, spec, runtimeClass);
      setScheduling(a, spec, runtimeClass);
    },
    async validate(a) {
      const spec = podSpecOf(a);
      if (!spec) return;
      // Looked up again: the class may have changed, or an earlier plugin may have set the overhead.
      const runtimeClass = await runtimeClassOf(a, spec, deps);
      if (runtimeClass?.overhead) {
        if (!sameResourceList(runtimeClass.overhead.podFixed, spec.overhead)) throw admissionForbidden(a, overheadMismatch);
      } else if (spec.overhead != null) {
        throw admissionForbidden(a, 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
      }
    },
  };
}
