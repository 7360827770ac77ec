/**
 * Which of a CRD's names it may have: upstream's naming controller, as a
 * pure function. Two CRDs of one group may not share a resource name
 * (plural, singular, short names) or a kind (kind, listKind); the first to
 * have a name accepted keeps it. A name already accepted for this CRD stays
 * accepted; a name another CRD of the group has accepted is refused, and the
 * CRD keeps its earlier accepted value for it (none, when new). The
 * NamesAccepted condition says why; when several names conflict, it names
 * the last one checked (plural, singular, short names, kind, listKind), as
 * upstream does. Categories are always accepted.
 */
import type { CustomResourceDefinition, CustomResourceDefinitionCondition, CustomResourceDefinitionNames } from './types.js';

export interface NamingResult {
  acceptedNames: CustomResourceDefinitionNames;
  namesAccepted: Pick<CustomResourceDefinitionCondition, 'status' | 'reason' | 'message'>;
  /** Established while the names are not all accepted: False, NotAccepted (the establishing step sets it True later). */
  established: Pick<CustomResourceDefinitionCondition, 'status' | 'reason' | 'message'>;
}

/** The accepted names of a CRD given the other CRDs (any group: only those of its group count). */
export function acceptNames(crd: CustomResourceDefinition, others: CustomResourceDefinition[]): NamingResult {
  const group = crd.spec.group;
  const usedResources = new Set<string>();
  const usedKinds = new Set<string>();
  for (const other of others) {
    if (other.metadata.name === crd.metadata.name || other.spec.group !== group) continue;
    const accepted = other.status?.acceptedNames;
    if (!accepted) continue;
    for (const name of [accepted.plural, accepted.singular, ...(accepted.shortNames ?? [])]) if (name) usedResources.add(name);
    for (const kind of [accepted.kind, accepted.listKind]) if (kind) usedKinds.add(kind);
  }
  const requested = crd.spec.names;
  const previous: Partial<CustomResourceDefinitionNames> = crd.status?.acceptedNames ?? {};
  const accepted: CustomResourceDefinitionNames = { plural: previous.plural ?? '', kind: previous.kind ?? '' };
  if (previous.singular !== undefined) accepted.singular = previous.singular;
  if (previous.shortNames !== undefined) accepted.shortNames = previous.shortNames;
  if (previous.listKind !== undefined) accepted.listKind = previous.listKind;
  let conflict: { reason: string; message: string } | undefined;
  /** Upstream's equalToAcceptedOrFresh: the same as accepted before, or used by no one else. */
  const check = (wanted: string | undefined, acceptedBefore: string | undefined, used: Set<string>): string | undefined => {
    if (wanted === undefined || wanted === acceptedBefore || !used.has(wanted)) return undefined;
    return `"${wanted}" is already in use`;
  };
  const single = (key: 'plural' | 'singular' | 'kind' | 'listKind', reason: string, used: Set<string>) => {
    const problem = check(requested[key], previous[key], used);
    if (problem) conflict = { reason, message: problem };
    else if (requested[key] !== undefined) accepted[key] = requested[key]!;
  };
  single('plural', 'PluralConflict', usedResources);
  single('singular', 'SingularConflict', usedResources);
  const shortProblems = (requested.shortNames ?? []).filter((name) => !(previous.shortNames ?? []).includes(name)).flatMap((name) => check(name, undefined, usedResources) ?? []);
  if (shortProblems.length) conflict = { reason: 'ShortNamesConflict', message: shortProblems.length === 1 ? shortProblems[0] : `[${shortProblems.join(', ')}]` };
  else if (requested.shortNames !== undefined) accepted.shortNames = requested.shortNames;
  single('kind', 'KindConflict', usedKinds);
  single('listKind', 'ListKindConflict', usedKinds);
  if (requested.categories !== undefined) accepted.categories = requested.categories;
  if (conflict) {
    return {
      acceptedNames: accepted,
      namesAccepted: { status: 'False', reason: conflict.reason, message: conflict.message },
      established: { status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' },
    };
  }
  return {
    acceptedNames: accepted,
    namesAccepted: { status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
    established: { status: 'False', reason: 'Installing', message: 'the initial names have been accepted' },
  };
}
