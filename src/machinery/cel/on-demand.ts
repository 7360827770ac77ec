/**
 * CEL for CustomResourceDefinitions' `x-kubernetes-validations`, loaded when
 * it is first needed rather than with the apiserver. The CEL library
 * registers its functions as it loads (some 20 ms of every start), and a
 * cluster without CRDs never evaluates a rule.
 *
 * Validation stays synchronous, so the loading is done before it:
 *
 * - a write to a kind that may run rules (the CRD kind, a custom resource
 *   whose schema has rules) awaits `loadValidationRules()` first — the kinds
 *   say so with `prepareWrites`, and the resource handlers call it;
 * - an apiserver starting over stored CRDs loads CEL before it serves.
 *
 * `validationRules()` then returns the loaded module; called before any of
 * these, it throws (a 500 naming the missing step, not a wrong answer).
 * This module imports nothing of CEL itself.
 */
export { hasValidationRules } from './has-rules.js';

type ValidationRulesModule = typeof import('./validation-rules.js');

let loaded: ValidationRulesModule | undefined;
let loading: Promise<ValidationRulesModule> | undefined;

/** Loads the CEL rules module (once); resolves when `validationRules()` may be called. */
export async function loadValidationRules(): Promise<void> {
  if (loaded) return;
  loading ??= import('./validation-rules.js');
  loaded = await loading;
}

/** The CEL rules module, once `loadValidationRules()` has resolved. */
export function validationRules(): ValidationRulesModule {
  if (!loaded) throw new Error('CEL validation rules were used before loadValidationRules() resolved');
  return loaded;
}
