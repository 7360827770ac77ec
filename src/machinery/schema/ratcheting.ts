/**
 * Validation ratcheting (upstream's CRDValidationRatcheting, on by default
 * since v1.30): an update is not refused for a value it did not change. A
 * CRD whose schema grew stricter keeps its old objects writable; only
 * values a write touches must meet the new rules. An error is dropped when
 * the value at its path is the same in the old object; errors without a
 * path to compare (or whose value is new) stay.
 */
import { isPlainObject } from '../object.js';
import type { FieldErrorLike } from '../status.js';

/** `spec.items[0].name`, `spec.labels[app]` → its steps (a number for an index, else a key). */
function stepsOf(path: string): (string | number)[] | undefined {
  const steps: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[([^\]]*)\]/g;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = pattern.exec(path))) {
    if (match[1] !== undefined) steps.push(match[1]);
    else steps.push(/^\d+$/.test(match[2]) ? Number(match[2]) : match[2]);
    consumed = pattern.lastIndex;
  }
  return consumed === path.length || path.slice(consumed).replace(/\./g, '') === '' ? steps : undefined;
}

function valueAt(value: unknown, steps: (string | number)[]): { found: boolean; value: unknown } {
  let current = value;
  for (const step of steps) {
    if (typeof step === 'number' ? !Array.isArray(current) || step >= current.length : !isPlainObject(current) || !(step in current)) return { found: false, value: undefined };
    current = typeof step === 'number' ? (current as unknown[])[step] : (current as Record<string, unknown>)[step];
  }
  return { found: true, value: current };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The errors an update of `old` to `next` must answer for: those about values it changed. */
export function ratchet(errors: FieldErrorLike[], next: unknown, old: unknown): FieldErrorLike[] {
  return errors.filter((error) => {
    const steps = error.field ? stepsOf(error.field) : undefined;
    if (!steps || steps.length === 0) return true;
    const before = valueAt(old, steps);
    const after = valueAt(next, steps);
    // A missing required field is reported at the field: it was missing before too, or it is the write's doing.
    if (!before.found && !after.found) return error.type !== 'FieldValueRequired' || valueAt(old, steps.slice(0, -1)).found === false || !same(valueAt(old, steps.slice(0, -1)).value, valueAt(next, steps.slice(0, -1)).value);
    return !(before.found && after.found && same(before.value, after.value));
  });
}
