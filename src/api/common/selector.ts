/**
 * Label selector validation and printing shared by the groups in this tree.
 * TODO: switch to `validateLabelSelector` from src/machinery/labels.ts once it
 * lands; this is a local equivalent of upstream's unversioned ValidateLabelSelector.
 */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isQualifiedName, isValidLabelValue, validateLabels } from '../../machinery/validation.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export function validateLabelSelector(selector: LabelSelector | undefined, path: string): FieldErrorLike[] {
  if (!selector) return [];
  const errs = validateLabels(selector.matchLabels, `${path}.matchLabels`);
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(field.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(field.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(field.invalid(`${p}.operator`, req.operator, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(req.key ?? '')) errs.push(field.invalid(`${p}.key`, req.key, msg));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(v)) errs.push(field.invalid(`${p}.values[${j}]`, v, msg));
    });
  });
  return errs;
}

/**
 * A selector as kubectl prints it (upstream's FormatLabelSelector): requirements
 * sorted by key, `<none>` for an empty selector.
 */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '<none>';
  const parts: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) parts.push({ key, text: `${key}=${value}` });
  for (const req of selector.matchExpressions ?? []) {
    const values = [...(req.values ?? [])].sort().join(',');
    const text =
      req.operator === 'In' ? `${req.key} in (${values})`
      : req.operator === 'NotIn' ? `${req.key} notin (${values})`
      : req.operator === 'Exists' ? req.key
      : req.operator === 'DoesNotExist' ? `!${req.key}`
      : `${req.key} ${req.operator} (${values})`;
    parts.push({ key: req.key, text });
  }
  // A stable sort keeps matchLabels before expressions on the same key, like upstream.
  parts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const text = parts.map((p) => p.text).join(',');
  return text || '<none>';
}
