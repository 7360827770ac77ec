/** Validation of where a pod may run: node selector, affinity, tolerations, topology spread. */
import { field } from '../../machinery/status.js';
import { isObj as isPlainObject } from './util.js';
import { isQualifiedName, validateLabels } from '../../machinery/validation.js';
import { arr, validateLabelSelector, type Errs } from './validate-common.js';

const nodeSelectorOperators = ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'];

function validateNodeSelectorRequirement(req: any, path: string, isField: boolean): Errs {
  const errs: Errs = [];
  const values = arr(req?.values);
  switch (req?.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(field.required(`${path}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(field.forbidden(`${path}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(field.required(`${path}.values`, 'must be specified single value when `operator` is \'Lt\' or \'Gt\''));
      break;
    default:
      errs.push(field.invalid(`${path}.operator`, req?.operator, 'not a valid selector operator'));
  }
  if (!isField) for (const msg of isQualifiedName(String(req?.key ?? ''))) errs.push(field.invalid(`${path}.key`, req?.key, msg));
  return errs;
}

export function validateNodeSelectorTerm(term: any, path: string): Errs {
  const errs: Errs = [];
  arr(term?.matchExpressions).forEach((r, j) => errs.push(...validateNodeSelectorRequirement(r, `${path}.matchExpressions[${j}]`, false)));
  arr(term?.matchFields).forEach((r, j) => {
    const p = `${path}.matchFields[${j}]`;
    errs.push(...validateNodeSelectorRequirement(r, p, true));
    if (r?.key !== 'metadata.name') errs.push(field.invalid(`${p}.key`, r?.key, 'not a valid field selector key'));
  });
  return errs;
}

export function validateNodeSelector(selector: any, path: string): Errs {
  const terms = arr(selector?.nodeSelectorTerms);
  if (terms.length === 0) return [field.required(`${path}.nodeSelectorTerms`, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(t, `${path}.nodeSelectorTerms[${i}]`));
}

function validateWeight(weight: unknown, path: string): Errs {
  return typeof weight === 'number' && weight >= 1 && weight <= 100 ? [] : [field.invalid(path, weight, 'must be in the range 1-100')];
}

function validatePodAffinityTerm(term: any, path: string): Errs {
  const errs = validateLabelSelector(term?.labelSelector, `${path}.labelSelector`);
  errs.push(...validateLabelSelector(term?.namespaceSelector, `${path}.namespaceSelector`));
  if (!term?.topologyKey) errs.push(field.required(`${path}.topologyKey`, 'can not be empty'));
  else for (const msg of isQualifiedName(term.topologyKey)) errs.push(field.invalid(`${path}.topologyKey`, term.topologyKey, msg));
  return errs;
}

function validatePodAffinity(affinity: any, path: string): Errs {
  if (!isPlainObject(affinity)) return [];
  const errs: Errs = [];
  const a = affinity as any;
  arr(a.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) =>
    errs.push(...validatePodAffinityTerm(t, `${path}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`)));
  arr(a.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    const p = `${path}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    errs.push(...validateWeight(t?.weight, `${p}.weight`), ...validatePodAffinityTerm(t?.podAffinityTerm, `${p}.podAffinityTerm`));
  });
  return errs;
}

export function validateAffinity(affinity: any, path: string): Errs {
  if (!isPlainObject(affinity)) return [];
  const errs: Errs = [];
  const node = (affinity as any).nodeAffinity;
  if (isPlainObject(node)) {
    const n = node as any;
    if (n.requiredDuringSchedulingIgnoredDuringExecution) {
      errs.push(...validateNodeSelector(n.requiredDuringSchedulingIgnoredDuringExecution, `${path}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`));
    }
    arr(n.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const p = `${path}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      errs.push(...validateWeight(t?.weight, `${p}.weight`), ...validateNodeSelectorTerm(t?.preference, `${p}.preference`));
    });
  }
  errs.push(...validatePodAffinity((affinity as any).podAffinity, `${path}.podAffinity`));
  errs.push(...validatePodAffinity((affinity as any).podAntiAffinity, `${path}.podAntiAffinity`));
  return errs;
}

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTolerations(tolerations: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(tolerations).forEach((t: any, i: number) => {
    const p = `${path}[${i}]`;
    if (t?.key) for (const msg of isQualifiedName(t.key)) errs.push(field.invalid(`${p}.key`, t.key, msg));
    if (!t?.key && t?.operator !== 'Exists') {
      errs.push(field.invalid(`${p}.operator`, t?.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t?.tolerationSeconds !== undefined && t?.effect !== 'NoExecute') {
      errs.push(field.invalid(`${p}.effect`, t?.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t?.operator) {
      case undefined:
      case '':
      case 'Equal':
        break;
      case 'Exists':
        if (t.value) errs.push(field.invalid(`${p}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(field.notSupported(`${p}.operator`, t.operator, ['Equal', 'Exists']));
    }
    if (t?.effect && !taintEffects.includes(t.effect)) errs.push(field.notSupported(`${p}.effect`, t.effect, taintEffects));
  });
  return errs;
}

export function validateTopologySpreadConstraints(constraints: unknown, path: string): Errs {
  const errs: Errs = [];
  const seen = new Set<string>();
  arr(constraints).forEach((c: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!(typeof c?.maxSkew === 'number' && c.maxSkew > 0)) errs.push(field.invalid(`${p}.maxSkew`, c?.maxSkew, 'must be greater than zero'));
    if (!c?.topologyKey) errs.push(field.required(`${p}.topologyKey`, 'can not be empty'));
    else for (const msg of isQualifiedName(c.topologyKey)) errs.push(field.invalid(`${p}.topologyKey`, c.topologyKey, msg));
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(c?.whenUnsatisfiable)) {
      errs.push(field.notSupported(`${p}.whenUnsatisfiable`, c?.whenUnsatisfiable, ['DoNotSchedule', 'ScheduleAnyway']));
    }
    const key = `${c?.topologyKey}/${c?.whenUnsatisfiable}`;
    if (seen.has(key)) errs.push(field.duplicate(p, `{${c?.topologyKey}, ${c?.whenUnsatisfiable}}`));
    seen.add(key);
    if (c?.minDomains !== undefined) {
      if (!(c.minDomains > 0)) errs.push(field.invalid(`${p}.minDomains`, c.minDomains, 'must be greater than 0'));
      else if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        errs.push(field.invalid(`${p}.minDomains`, c.minDomains, 'can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway'));
      }
    }
    for (const policy of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      if (c?.[policy] !== undefined && !['Honor', 'Ignore'].includes(c[policy])) errs.push(field.notSupported(`${p}.${policy}`, c[policy], ['Honor', 'Ignore']));
    }
    errs.push(...validateLabelSelector(c?.labelSelector, `${p}.labelSelector`));
  });
  return errs;
}

export function validateNodeSelectorMap(selector: unknown, path: string): Errs {
  return validateLabels(selector as Record<string, string> | undefined, path);
}
