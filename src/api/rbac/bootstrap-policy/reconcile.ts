/**
 * What the apiserver does with the bootstrap policy at every start
 * (upstream's pkg/registry/rbac/reconciliation, run by the RBAC post-start
 * hook in its "union" mode): given the stored object, if any, and the
 * expected one, decide what to write. Pure functions; the caller writes.
 *
 * - A missing object is created.
 * - An object annotated `rbac.authorization.kubernetes.io/autoupdate: "false"`
 *   is the admin's: nothing changes.
 * - Otherwise the expected labels and annotations are added (a value the
 *   stored object already has for a key wins), expected rules the stored ones
 *   do not cover are appended (as the atoms covers() reports, which is what
 *   upstream appends), missing aggregation selectors are appended, and
 *   missing subjects are appended. Nothing a user added is taken away — with
 *   one upstream exception: a ClusterRole the policy does not aggregate loses
 *   an aggregationRule it was given (else the aggregation controller would
 *   overwrite the policy's rules).
 * - A binding whose roleRef differs is recreated (roleRef is immutable).
 */
import { semanticEqual } from '../../core/util.js';
import type { LabelSelector } from '../../common/selector.js';
import { deepCopy } from '../../../machinery/object.js';
import { covers } from '../covers.js';
import type { ClusterRole, Role, RoleBinding, Subject } from '../schema.js';
import { AUTOUPDATE_ANNOTATION } from './objects.js';

export type ReconcileAction<T> = { kind: 'create'; object: T } | { kind: 'update'; object: T } | { kind: 'recreate'; object: T } | { kind: 'none' };

type Metadata = { labels?: Record<string, string>; annotations?: Record<string, string> };

const isProtected = (existing: { metadata: Metadata }) => existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false';

/** Adds the expected labels and annotations the copy lacks; says whether anything was added. */
function mergeMetadata(copy: { metadata: Metadata }, expected: { metadata: Metadata }): boolean {
  let changed = false;
  for (const field of ['labels', 'annotations'] as const) {
    const wanted = expected.metadata[field];
    if (!wanted) continue;
    const merged = { ...wanted, ...copy.metadata[field] };
    if (!semanticEqual(merged, copy.metadata[field])) changed = true;
    copy.metadata[field] = merged;
  }
  return changed;
}

function reconcileRules<T extends Role>(existing: T, expected: T): { object: T; changed: boolean } {
  const object = deepCopy(existing);
  let changed = mergeMetadata(object, expected);
  const missing = covers(existing.rules ?? [], expected.rules ?? []).uncovered;
  if (missing.length > 0) {
    object.rules = [...(object.rules ?? []), ...missing];
    changed = true;
  }
  return { object, changed };
}

export function reconcileRole(existing: Role | undefined, expected: Role): ReconcileAction<Role> {
  if (!existing) return { kind: 'create', object: deepCopy(expected) };
  if (isProtected(existing)) return { kind: 'none' };
  const { object, changed } = reconcileRules(existing, expected);
  return changed ? { kind: 'update', object } : { kind: 'none' };
}

export function reconcileClusterRole(existing: ClusterRole | undefined, expected: ClusterRole): ReconcileAction<ClusterRole> {
  if (!existing) return { kind: 'create', object: deepCopy(expected) };
  if (isProtected(existing)) return { kind: 'none' };
  const { object, changed: rulesChanged } = reconcileRules(existing, expected);
  let changed = rulesChanged;
  if (!expected.aggregationRule && existing.aggregationRule) {
    delete object.aggregationRule;
    changed = true;
  } else {
    const missing = missingSelectors(existing.aggregationRule?.clusterRoleSelectors, expected.aggregationRule?.clusterRoleSelectors);
    if (missing.length > 0) {
      object.aggregationRule = { ...object.aggregationRule, clusterRoleSelectors: [...(object.aggregationRule?.clusterRoleSelectors ?? []), ...missing] };
      changed = true;
    }
  }
  return changed ? { kind: 'update', object } : { kind: 'none' };
}

/** The wanted selectors none of the held ones equals (semantically, as upstream compares them). */
function missingSelectors(held: LabelSelector[] = [], wanted: LabelSelector[] = []): LabelSelector[] {
  return wanted.filter((selector) => !held.some((candidate) => semanticEqual(candidate, selector)));
}

/** Reconciles a RoleBinding or a ClusterRoleBinding. */
export function reconcileBinding(existing: RoleBinding | undefined, expected: RoleBinding): ReconcileAction<RoleBinding> {
  if (!existing) return { kind: 'create', object: deepCopy(expected) };
  if (isProtected(existing)) return { kind: 'none' };
  const [had, wants] = [existing.roleRef, expected.roleRef];
  if (had.apiGroup !== wants.apiGroup || had.kind !== wants.kind || had.name !== wants.name) return { kind: 'recreate', object: deepCopy(expected) };
  const object = deepCopy(existing);
  let changed = mergeMetadata(object, expected);
  const missing = uniqueSubjects((expected.subjects ?? []).filter((subject) => !(existing.subjects ?? []).some((held) => sameSubject(held, subject))));
  if (missing.length > 0) {
    object.subjects = [...(object.subjects ?? []), ...missing];
    changed = true;
  }
  return changed ? { kind: 'update', object } : { kind: 'none' };
}

// Subjects compare field by field, an absent field as an empty one (as Go's struct equality sees them).
const sameSubject = (a: Subject, b: Subject) =>
  a.kind === b.kind && (a.apiGroup ?? '') === (b.apiGroup ?? '') && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');

const uniqueSubjects = (subjects: Subject[]) => subjects.filter((subject, i) => subjects.findIndex((other) => sameSubject(other, subject)) === i);
