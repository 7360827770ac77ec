/**
 * A local equivalent of core's toleration validation, for RuntimeClass.
 * TODO: use core/v1's validateTolerations once src/api/core lands.
 */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isQualifiedName, isValidLabelValue } from '../../machinery/validation.js';

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

const effects = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

export function validateTolerations(tolerations: Toleration[] | undefined, path: string): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (t.key) for (const msg of isQualifiedName(t.key)) errs.push(field.invalid(`${p}.key`, t.key, msg));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(field.invalid(`${p}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(field.invalid(`${p}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? '') {
      case '':
      case 'Equal':
        for (const msg of isValidLabelValue(t.value ?? '')) errs.push(field.invalid(`${p}.operator`, t.value, msg));
        break;
      case 'Exists':
        if (t.value) errs.push(field.invalid(`${p}.operator`, t, 'value must be empty when `operator` is \'Exists\''));
        break;
      default:
        errs.push(field.notSupported(`${p}.operator`, t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !effects.includes(t.effect)) errs.push(field.notSupported(`${p}.effect`, t.effect, effects));
  });
  return errs;
}
