/**
 * DefaultTolerationSeconds, as upstream's admission plugin: every new pod
 * tolerates the `node.kubernetes.io/not-ready` and
 * `node.kubernetes.io/unreachable` NoExecute taints for 300 seconds unless it
 * already says how long, so a node that drops out for a moment does not
 * have all its pods evicted at once.
 */
import type { AdmissionPlugin } from './chain.js';

export const defaultTolerationSeconds = 300;
const taintKeys = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

interface Toleration {
  key?: string;
  operator?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** Adds the two tolerations a pod spec lacks (one that already covers a taint, in any way, wins). */
export function addDefaultTolerations(spec: { tolerations?: Toleration[] }): void {
  const tolerations = (spec.tolerations ??= []);
  for (const key of taintKeys) {
    const covered = tolerations.some((t) => (t.key === key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'));
    if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: defaultTolerationSeconds });
  }
}

export function defaultTolerationSecondsPlugin(): AdmissionPlugin {
  return {
    name: 'DefaultTolerationSeconds',
    admit(a) {
      if (a.operation !== 'CREATE' || a.subresource || a.type.group !== '' || a.type.resource !== 'pods' || !a.object) return;
      const spec = (a.object as { spec?: { tolerations?: Toleration[] } }).spec;
      if (spec) addDefaultTolerations(spec);
    },
  };
}
