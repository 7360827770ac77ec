/** The smaller kinds: Namespace, ConfigMap, Secret, ServiceAccount, Event, ResourceQuota, LimitRange, ReplicationController. */
import { s, kindSchema, ConditionSchema, ObjectMetaSchema } from '../../../machinery/schema/index.js';
import { V1, atomicStrings, resourceList, LocalObjectReferenceSchema, ObjectReferenceSchema } from './common.js';
import { PodTemplateSpecSchema } from './pod.js';

const kind = (name: string, description: string, fields: Record<string, any>, required?: string[]) =>
  kindSchema({ group: '', version: 'v1', kind: name, definitionName: `${V1}.${name}`, description, fields, required });

export const EventSourceSchema = s.object(`${V1}.EventSource`, 'Component and host an event came from.', {
  component: s.string('Component name.'),
  host: s.string('Node name.'),
});

export const NamespaceSchema = kind('Namespace', 'A scope for names.', {
  spec: s.object(`${V1}.NamespaceSpec`, 'Desired state.', {
    finalizers: atomicStrings('Finalizers that must run before the namespace is removed.'),
  }),
  status: s.object(`${V1}.NamespaceStatus`, 'Observed state.', {
    phase: s.enumString(['Active', 'Terminating'], 'Active or Terminating.'),
    conditions: s.array(s.object(`${V1}.NamespaceCondition`, 'A condition of a namespace.', {
      type: s.string('Condition type.'),
      status: s.string('True, False or Unknown.'),
      lastTransitionTime: s.dateTime('Last time the status changed.'),
      reason: s.string('Machine-readable reason.'),
      message: s.string('Human-readable details.'),
    }, { required: ['type', 'status'] }), 'Current conditions.', {
      listType: 'map', mapKeys: ['type'], mergeKey: 'type', patchStrategy: 'merge',
    }),
  }),
});

export const ConfigMapSchema = kind('ConfigMap', 'Configuration data as key/value pairs.', {
  immutable: s.boolean('When true, data can no longer change.'),
  data: s.map(s.string(), 'UTF-8 values.'),
  binaryData: s.map(s.bytes(), 'Binary values.'),
});

export const SecretSchema = kind('Secret', 'Sensitive data as key/value pairs.', {
  immutable: s.boolean('When true, data can no longer change.'),
  data: s.map(s.bytes(), 'Base64-encoded values.'),
  stringData: s.map(s.string(), 'Plain values merged into data on write; never read back.'),
  type: s.string('How the data is used, e.g. Opaque or kubernetes.io/tls.'),
});

export const ServiceAccountSchema = kind('ServiceAccount', 'An identity for processes in pods.', {
  secrets: s.array(ObjectReferenceSchema, 'Secrets pods of this account may use (legacy).', {
    listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge',
  }),
  imagePullSecrets: s.array(LocalObjectReferenceSchema, 'Secrets used to pull images of its pods.', { listType: 'atomic' }),
  automountServiceAccountToken: s.boolean('Whether pods mount an API token by default.'),
});

export const EventSchema = kind('Event', 'A report of something that happened.', {
  involvedObject: s.field(ObjectReferenceSchema, 'The object the event is about.'),
  reason: s.string('Short machine-readable reason.'),
  message: s.string('Human-readable description.'),
  source: s.field(EventSourceSchema, 'Component that reported the event.'),
  firstTimestamp: s.dateTime('When the event was first seen.'),
  lastTimestamp: s.dateTime('When the event was last seen.'),
  count: s.int32('How often the event happened.'),
  type: s.string('Normal or Warning.'),
  eventTime: { ...s.dateTime('When the event first happened, in microseconds.'), format: 'date-time' },
  series: s.object(`${V1}.EventSeries`, 'A series of repeats of the event.', {
    count: s.int32('Occurrences so far.'),
    lastObservedTime: s.dateTime('Last occurrence.'),
  }),
  action: s.string('What was done.'),
  related: s.field(ObjectReferenceSchema, 'A secondary object.'),
  reportingComponent: s.string('Controller that emitted the event.'),
  reportingInstance: s.string('Instance of the controller.'),
}, ['metadata', 'involvedObject']);

const ScopedResourceSelectorRequirementSchema = s.object(`${V1}.ScopedResourceSelectorRequirement`, 'A quota scope requirement.', {
  scopeName: s.string('Scope name.'),
  operator: s.enumString(['DoesNotExist', 'Exists', 'In', 'NotIn'], 'In, NotIn, Exists or DoesNotExist.'),
  values: atomicStrings('Values for In and NotIn.'),
}, { required: ['scopeName', 'operator'] });

export const ResourceQuotaSchema = kind('ResourceQuota', 'Limits on resource use in a namespace.', {
  spec: s.object(`${V1}.ResourceQuotaSpec`, 'Desired limits.', {
    hard: resourceList('Limit per resource.'),
    scopes: atomicStrings('Scopes of the objects counted.'),
    scopeSelector: s.object(`${V1}.ScopeSelector`, 'Selects the scopes counted.', {
      matchExpressions: s.array(ScopedResourceSelectorRequirementSchema, 'Requirements.', { listType: 'atomic' }),
    }, { mapType: 'atomic' }),
  }),
  status: s.object(`${V1}.ResourceQuotaStatus`, 'Observed usage.', {
    hard: resourceList('Enforced limit per resource.'),
    used: resourceList('Current usage per resource.'),
  }),
});

export const LimitRangeSchema = kind('LimitRange', 'Per-object resource bounds and defaults in a namespace.', {
  spec: s.object(`${V1}.LimitRangeSpec`, 'The limits.', {
    limits: s.array(s.object(`${V1}.LimitRangeItem`, 'Bounds for one kind of object.', {
      type: s.string('Pod, Container or PersistentVolumeClaim.'),
      max: resourceList('Largest allowed amounts.'),
      min: resourceList('Smallest allowed amounts.'),
      default: resourceList('Default limits.'),
      defaultRequest: resourceList('Default requests.'),
      maxLimitRequestRatio: resourceList('Largest allowed limit / request ratio.'),
    }, { required: ['type'] }), 'Bounds.', { listType: 'atomic' }),
  }, { required: ['limits'] }),
});

export const ReplicationControllerSchema = kind('ReplicationController', 'Keeps a number of pod replicas running.', {
  spec: s.object(`${V1}.ReplicationControllerSpec`, 'Desired state.', {
    replicas: s.int32('Desired number of pods; defaults to 1.'),
    minReadySeconds: s.int32('Seconds a pod must be ready to count as available.'),
    selector: { ...s.map(s.string(), 'Labels of the pods managed.'), 'x-kubernetes-map-type': 'atomic' },
    template: s.field(PodTemplateSpecSchema, 'Template of new pods.'),
  }),
  status: s.object(`${V1}.ReplicationControllerStatus`, 'Observed state.', {
    replicas: s.int32('Pods currently managed.'),
    fullyLabeledReplicas: s.int32('Pods with all template labels.'),
    readyReplicas: s.int32('Ready pods.'),
    availableReplicas: s.int32('Available pods.'),
    observedGeneration: s.int64('Generation last acted on.'),
    conditions: s.array(s.object(`${V1}.ReplicationControllerCondition`, 'A condition of a replication controller.', {
      type: s.string('Condition type.'),
      status: s.string('True, False or Unknown.'),
      lastTransitionTime: s.dateTime('Last time the status changed.'),
      reason: s.string('Machine-readable reason.'),
      message: s.string('Human-readable details.'),
    }, { required: ['type', 'status'] }), 'Current conditions.', {
      listType: 'map', mapKeys: ['type'], mergeKey: 'type', patchStrategy: 'merge',
    }),
  }, { required: ['replicas'] }),
});

