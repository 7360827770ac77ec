/**
 * Upstream's tolerations.MergeTolerations (pkg/util/tolerations): two lists
 * joined, leaving out any toleration another one already covers (of two
 * equal ones, the first stays).
 *
 * Finding what covers what compares every pair; past a few thousand
 * tolerations (only a hostile pod has that many) the lists are joined
 * leaving out exact repeats only, which tolerates exactly the same taints.
 */

/** Beyond this many tolerations in all, only exact repeats are dropped (bounded work). */
export const maxPairwiseMergedTolerations = 2000;

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number | null;
}

/** Equal as Go compares the structs: a missing string is the empty one. */
function sameToleration(a: Toleration, b: Toleration): boolean {
  return (
    (a.key ?? '') === (b.key ?? '') &&
    (a.operator ?? '') === (b.operator ?? '') &&
    (a.value ?? '') === (b.value ?? '') &&
    (a.effect ?? '') === (b.effect ?? '') &&
    (a.tolerationSeconds ?? null) === (b.tolerationSeconds ?? null)
  );
}

/** Whether `wider` tolerates everything `t` does. */
export function toleratesSuperset(wider: Toleration, t: Toleration): boolean {
  if (sameToleration(wider, t)) return true;
  // An empty key with Exists matches every key.
  if ((t.key ?? '') !== (wider.key ?? '') && ((wider.key ?? '') !== '' || wider.operator !== 'Exists')) return false;
  // An empty effect matches every effect.
  if ((t.effect ?? '') !== (wider.effect ?? '') && (wider.effect ?? '') !== '') return false;
  if (wider.effect === 'NoExecute' && typeof wider.tolerationSeconds === 'number') {
    if (typeof t.tolerationSeconds !== 'number' || t.tolerationSeconds > wider.tolerationSeconds) return false;
  }
  switch (wider.operator ?? '') {
    case 'Equal':
    case '':
      return t.operator === 'Equal' && (t.value ?? '') === (wider.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

const identity = (t: Toleration) => JSON.stringify([t.key ?? '', t.operator ?? '', t.value ?? '', t.effect ?? '', t.tolerationSeconds ?? null]);

export function mergeTolerations(first: Toleration[], second: Toleration[]): Toleration[] {
  const all = [...first, ...second];
  if (all.length > maxPairwiseMergedTolerations) {
    const seen = new Set<string>();
    return all.filter((t) => !seen.has(identity(t)) && Boolean(seen.add(identity(t))));
  }
  const merged: Toleration[] = [];
  all.forEach((t, i) => {
    if (merged.some((kept) => toleratesSuperset(kept, t))) return;
    if (all.slice(i + 1).some((later) => !sameToleration(t, later) && toleratesSuperset(later, t))) return;
    merged.push(t);
  });
  return merged;
}
