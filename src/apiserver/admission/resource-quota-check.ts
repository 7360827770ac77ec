/**
 * One request against a namespace's ResourceQuotas, as upstream's
 * CheckRequest: find the quotas that concern the object (a resource they
 * limit, all their scopes), refuse it when a pod leaves unstated what such a
 * quota limits, when a quota's usage is not known yet, or when the object's
 * usage (on update, only its growth) would take a quota past `status.hard`;
 * otherwise answer each concerned quota's new `status.used`. Pure: the
 * plugin reads the quotas and writes the answer.
 */
import { isPlainObject, type KubeObject } from '../../machinery/object.js';
import { formatQuantity, tryParseQuantity, type Quantity } from '../../machinery/quantity.js';
import type { AdmissionAttributes } from './chain.js';
import { admissionForbidden } from './forbidden.js';
import type { QuotaEvaluator, ScopeRequirement } from './resource-quota-evaluators.js';

export interface ResourceQuota extends KubeObject {
  spec?: { hard?: Record<string, unknown>; scopes?: string[]; scopeSelector?: { matchExpressions?: ScopeRequirement[] } };
  status?: { hard?: Record<string, unknown>; used?: Record<string, unknown> };
}

type Usage = Map<string, Quantity>;

/** A resource list's amounts; a value that is not a quantity is left out. */
function amounts(list: unknown): Usage {
  const usage: Usage = new Map();
  if (!isPlainObject(list)) return usage;
  for (const [name, value] of Object.entries(list)) {
    const parsed = typeof value === 'string' || typeof value === 'number' ? tryParseQuantity(String(value)) : undefined;
    if (parsed) usage.set(name, parsed);
  }
  return usage;
}

/** a + b; a zero amount takes the other's format, as Go's Quantity.Add (so `0` + `2Gi` stays binary). */
function add(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

/** Upstream's prettyPrint: `name=amount` by name, comma-separated. */
function pretty(usage: Usage, names: string[]): string {
  return [...names]
    .sort()
    .filter((name) => usage.has(name))
    .map((name) => `${name}=${formatQuantity(usage.get(name)!)}`)
    .join(',');
}

/** A quota's scopes and scope selector as one list of requirements. */
function scopeRequirements(quota: ResourceQuota): ScopeRequirement[] {
  const scopes = Array.isArray(quota.spec?.scopes) ? quota.spec.scopes : [];
  const expressions = Array.isArray(quota.spec?.scopeSelector?.matchExpressions) ? quota.spec.scopeSelector.matchExpressions.filter(isPlainObject) : [];
  return [...scopes.map((scopeName) => ({ scopeName, operator: 'Exists' })), ...expressions];
}

/** The quota's limited names the object uses, when it falls in all the quota's scopes; else none. */
function restrictedBy(quota: ResourceQuota, object: KubeObject, evaluator: QuotaEvaluator): string[] {
  const restricted = evaluator.matchingResources([...amounts(quota.status?.hard).keys()]);
  if (restricted.length === 0) return [];
  return scopeRequirements(quota).every((requirement) => evaluator.matchesScope(requirement, object)) ? restricted : [];
}

/** Each amount's growth from `before` (never below zero); zeros left out. */
function growth(after: Usage, before: Usage): Usage {
  const grown: Usage = new Map();
  for (const [name, amount] of after) {
    const nanos = amount.nanos - (before.get(name)?.nanos ?? 0n);
    if (nanos > 0n) grown.set(name, { nanos, format: amount.format });
  }
  return grown;
}

const withoutZeros = (usage: Usage): Usage => new Map([...usage].filter(([, amount]) => amount.nanos !== 0n));

/**
 * The new `status.used` of each quota (by index in `quotas`) the request
 * changes; empty when it changes none. Throws upstream's 403 when it may not
 * be admitted.
 */
export function checkRequest(quotas: ResourceQuota[], a: AdmissionAttributes, evaluator: QuotaEvaluator): Map<number, Record<string, string>> {
  const object = a.object;
  const changes = new Map<number, Record<string, string>>();
  if (!object || !evaluator.handles(a.operation)) return changes;

  const concerned: { index: number; restricted: string[] }[] = [];
  quotas.forEach((quota, index) => {
    const restricted = restrictedBy(quota, object, evaluator);
    if (restricted.length === 0) return;
    const name = quota.metadata.name ?? '';
    const unmet = evaluator.constraints(restricted, object);
    if (unmet) throw admissionForbidden(a, `failed quota: ${name}: ${unmet}`);
    const used = amounts(quota.status?.used);
    if (restricted.some((resource) => !used.has(resource))) {
      throw admissionForbidden(a, `status unknown for quota: ${name}, resources: ${[...restricted].sort().join(',')}`);
    }
    concerned.push({ index, restricted });
  });
  if (concerned.length === 0) return changes;

  const names = [...new Set(concerned.flatMap((c) => c.restricted))];
  const usage = evaluator.usage(object, names);
  const negative = [...usage].filter(([, amount]) => amount.nanos < 0n).map(([name]) => name);
  if (negative.length > 0) throw admissionForbidden(a, `quota usage is negative for resource(s): ${negative.sort().join(',')}`);

  const deltas = new Map<number, Usage>(concerned.map(({ index }) => [index, usage]));
  if (a.operation === 'UPDATE') {
    const old = a.oldObject;
    if (!old) throw admissionForbidden(a, 'unable to get previous usage since prior version of object was not found');
    // An update of an object never stored (no resourceVersion) is charged as a create.
    if (old.metadata?.resourceVersion) {
      const grown = growth(usage, evaluator.usage(old, names));
      for (const { index } of concerned) {
        if (restrictedBy(quotas[index], old, evaluator).length > 0) deltas.set(index, grown);
      }
    }
  }

  for (const { index } of concerned) {
    const delta = withoutZeros(deltas.get(index)!);
    if (delta.size === 0) continue;
    const quota = quotas[index];
    const hard = amounts(quota.status?.hard);
    const used = amounts(quota.status?.used);
    const requested: Usage = new Map([...delta].filter(([name]) => hard.has(name)));
    const newUsed = new Map(used);
    for (const [name, amount] of requested) newUsed.set(name, used.has(name) ? add(used.get(name)!, amount) : amount);
    const exceeded = [...requested.keys()].filter((name) => newUsed.get(name)!.nanos > hard.get(name)!.nanos);
    if (exceeded.length > 0) {
      throw admissionForbidden(
        a,
        `exceeded quota: ${quota.metadata.name ?? ''}, requested: ${pretty(requested, exceeded)}, used: ${pretty(used, exceeded)}, limited: ${pretty(hard, exceeded)}`,
      );
    }
    if (requested.size === 0) continue;
    // Amounts this request does not touch keep their text.
    const record: Record<string, string> = {};
    for (const [name, value] of Object.entries(quota.status?.used ?? {})) record[name] = String(value);
    for (const name of requested.keys()) record[name] = formatQuantity(newUsed.get(name)!);
    changes.set(index, record);
  }
  return changes;
}
