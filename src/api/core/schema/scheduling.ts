/** Where a pod may run: affinity, tolerations and topology spread. */
import { s, LabelSelectorSchema } from '../../../machinery/schema/index.js';
import { V1, atomicStrings, NodeSelectorSchema, NodeSelectorTermSchema } from './common.js';

export const PreferredSchedulingTermSchema = s.object(`${V1}.PreferredSchedulingTerm`, 'A weighted node preference.', {
  weight: s.int32('Weight, 1-100.'),
  preference: s.field(NodeSelectorTermSchema, 'Nodes preferred.'),
}, { required: ['weight', 'preference'] });

export const NodeAffinitySchema = s.object(`${V1}.NodeAffinity`, 'Rules on the node a pod runs on.', {
  requiredDuringSchedulingIgnoredDuringExecution: s.field(NodeSelectorSchema, 'Nodes the pod must run on.'),
  preferredDuringSchedulingIgnoredDuringExecution: s.array(PreferredSchedulingTermSchema, 'Nodes the pod prefers.', { listType: 'atomic' }),
});

export const PodAffinityTermSchema = s.object(`${V1}.PodAffinityTerm`, 'Pods that should (or should not) share a topology domain.', {
  labelSelector: s.field(LabelSelectorSchema, 'Selects the other pods.'),
  namespaces: atomicStrings('Namespaces of the other pods; the pod namespace by default.'),
  topologyKey: s.string('Node label whose value defines the domain.'),
  namespaceSelector: s.field(LabelSelectorSchema, 'Selects namespaces of the other pods.'),
  matchLabelKeys: atomicStrings('Label keys whose values are copied from this pod into the selector.'),
  mismatchLabelKeys: atomicStrings('Label keys whose values must differ from this pod.'),
}, { required: ['topologyKey'] });

export const WeightedPodAffinityTermSchema = s.object(`${V1}.WeightedPodAffinityTerm`, 'A weighted pod affinity term.', {
  weight: s.int32('Weight, 1-100.'),
  podAffinityTerm: s.field(PodAffinityTermSchema, 'The term.'),
}, { required: ['weight', 'podAffinityTerm'] });

const podAffinityFields = (verb: string) => ({
  requiredDuringSchedulingIgnoredDuringExecution: s.array(PodAffinityTermSchema, `Terms the pod must ${verb}.`, { listType: 'atomic' }),
  preferredDuringSchedulingIgnoredDuringExecution: s.array(WeightedPodAffinityTermSchema, `Terms the pod prefers to ${verb}.`, { listType: 'atomic' }),
});

export const AffinitySchema = s.object(`${V1}.Affinity`, 'Scheduling constraints.', {
  nodeAffinity: s.field(NodeAffinitySchema, 'Node affinity.'),
  podAffinity: s.object(`${V1}.PodAffinity`, 'Run near other pods.', podAffinityFields('satisfy')),
  podAntiAffinity: s.object(`${V1}.PodAntiAffinity`, 'Run away from other pods.', podAffinityFields('avoid')),
});

export const TolerationSchema = s.object(`${V1}.Toleration`, 'Lets the pod run on nodes with a matching taint.', {
  key: s.string('Taint key; empty with Exists matches all taints.'),
  operator: s.enumString(['Equal', 'Exists'], 'Exists or Equal; defaults to Equal.'),
  value: s.string('Taint value for Equal.'),
  effect: s.enumString(['NoExecute', 'NoSchedule', 'PreferNoSchedule'], 'Taint effect; empty matches all.'),
  tolerationSeconds: s.int64('For NoExecute: how long the pod stays after the taint appears.'),
});

export const TopologySpreadConstraintSchema = s.object(`${V1}.TopologySpreadConstraint`, 'How to spread matching pods over domains.', {
  maxSkew: s.int32('Largest allowed difference in pod count between domains.'),
  topologyKey: s.string('Node label defining the domains.'),
  whenUnsatisfiable: s.enumString(['DoNotSchedule', 'ScheduleAnyway'], 'DoNotSchedule or ScheduleAnyway.'),
  labelSelector: s.field(LabelSelectorSchema, 'Selects the pods counted.'),
  minDomains: s.int32('Least number of eligible domains.'),
  nodeAffinityPolicy: s.enumString(['Honor', 'Ignore'], 'Whether node affinity limits the domains.'),
  nodeTaintsPolicy: s.enumString(['Honor', 'Ignore'], 'Whether node taints limit the domains.'),
  matchLabelKeys: atomicStrings('Label keys whose values are copied from this pod into the selector.'),
}, { required: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'] });
