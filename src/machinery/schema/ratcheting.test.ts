/** Validation ratcheting (ratcheting.ts): errors about unchanged values do not block an update. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { field } from '../status.js';
import { ratchet } from './ratcheting.js';

describe('ratchet', () => {
  const old = { spec: { name: 'Bad Name', items: [{ size: 99 }], labels: { app: 'x' } } };
  const cases: { name: string; next: unknown; errors: ReturnType<typeof field.invalid>[]; kept: number }[] = [
    { name: 'an unchanged invalid value is let through', next: { spec: { name: 'Bad Name', items: [{ size: 99 }], labels: { app: 'x' }, other: 1 } }, errors: [field.invalid('spec.name', 'Bad Name', 'bad')], kept: 0 },
    { name: 'a changed invalid value is not', next: { spec: { name: 'Still Bad', items: [{ size: 99 }] } }, errors: [field.invalid('spec.name', 'Still Bad', 'bad')], kept: 1 },
    { name: 'list items and map entries by their paths', next: { spec: { name: 'ok', items: [{ size: 99 }], labels: { app: 'x' } } }, errors: [field.invalid('spec.items[0].size', 99, 'too big'), field.invalid('spec.labels[app]', 'x', 'bad')], kept: 0 },
    { name: 'a new value is checked', next: { spec: { items: [{ size: 99 }, { size: 100 }] } }, errors: [field.invalid('spec.items[1].size', 100, 'too big')], kept: 1 },
    { name: 'an object-level rule on an unchanged object is let through', next: old, errors: [field.invalid('spec', 'object', 'rule failed')], kept: 0 },
    { name: 'errors without a path stay', next: old, errors: [field.invalid('', 'object', 'x')], kept: 1 },
    { name: 'a required field missing before and after, in an unchanged parent, is let through', next: { ...old }, errors: [field.required('spec.size', '')], kept: 0 },
    { name: 'a required field the write removed is not', next: { spec: { name: 'Bad Name' } }, errors: [field.required('spec.items', '')], kept: 1 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(ratchet(c.errors, c.next, old).length, c.kept));
});
