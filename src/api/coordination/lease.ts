/** coordination.k8s.io/v1 Lease: heartbeats of nodes and leader election locks. */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import { isQualifiedName, validateObjectMeta } from '../../machinery/validation.js';
import type { ResourceType } from '../resource.js';
import { ageColumn, nameColumn } from '../common/print.js';
import { ageOf } from '../../machinery/duration.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

const V1 = 'io.k8s.api.coordination.v1';

export const LeaseSpecSchema = s.object(`${V1}.LeaseSpec`, 'The desired state of a lease: who holds it and for how long.', {
  acquireTime: s.dateTime('When the current holder acquired the lease.'),
  holderIdentity: s.string('Identity of the current holder.'),
  leaseDurationSeconds: s.int32('How long others wait after the last renewal before taking the lease over.'),
  leaseTransitions: s.int32('How many times the lease changed holders.'),
  preferredHolder: s.string('A better-suited holder the current one should hand over to; needs strategy.'),
  renewTime: s.dateTime('When the current holder last renewed the lease.'),
  strategy: s.string('Strategy of coordinated leader election for this lease, e.g. OldestEmulationVersion.'),
});

export const LeaseSchema = kindSchema({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  definitionName: `${V1}.Lease`,
  description: 'A lease: a lock with a holder and an expiry, used for heartbeats and leader election.',
  fields: { spec: s.field(LeaseSpecSchema, 'The lease holder and timing.') },
});

const knownStrategies = ['OldestEmulationVersion'];

function validateLeaseSpec(spec: LeaseSpec, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0) {
    errs.push(field.invalid(`${path}.leaseDurationSeconds`, spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0) {
    errs.push(field.invalid(`${path}.leaseTransitions`, spec.leaseTransitions, 'must be greater than or equal to 0'));
  }
  if (spec.strategy !== undefined) {
    // Unprefixed strategies are Kubernetes-defined; others must be domain-prefixed names.
    if (!spec.strategy.includes('/')) {
      if (!knownStrategies.includes(spec.strategy)) errs.push(field.notSupported(`${path}.strategy`, spec.strategy, knownStrategies));
    } else {
      for (const msg of isQualifiedName(spec.strategy)) errs.push(field.invalid(`${path}.strategy`, spec.strategy, msg));
    }
  }
  if (spec.preferredHolder && !spec.strategy) {
    errs.push(field.forbidden(`${path}.preferredHolder`, 'may only be specified if `strategy` is defined'));
  }
  return errs;
}

export const leases: ResourceType<Lease> = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  resource: 'leases',
  singular: 'lease',
  namespaced: true,
  schema: LeaseSchema,
  validate(obj) {
    return [...validateObjectMeta(obj.metadata, { namespaced: true }), ...validateLeaseSpec(obj.spec ?? {}, 'spec')];
  },
  table: {
    columns: [nameColumn, { name: 'Holder', type: 'string', description: 'Identity of the current holder of the lease.' }, ageColumn],
    cells: (obj, now) => [obj.metadata.name ?? '', obj.spec?.holderIdentity ?? '', ageOf(obj.metadata.creationTimestamp, now)],
  },
};
