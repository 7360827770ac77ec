/**
 * Upstream's admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`
 * (403), naming the object by its name, else its generateName, else
 * `Unknown` — a create is admitted before a generated name exists upstream.
 */
import { errors, isStatusError, type StatusError } from '../../machinery/status.js';
import type { AdmissionAttributes } from './chain.js';

export function admissionForbidden(a: AdmissionAttributes, why: string): StatusError {
  const name = a.object?.metadata?.name || a.object?.metadata?.generateName || 'Unknown';
  return errors.forbidden(a.type.group, a.type.resource, name, why);
}

/** A lookup's failure as a plugin passes it on: a Status error as it is, anything else as Forbidden. */
export function lookupFailure(a: AdmissionAttributes, err: unknown): StatusError {
  if (isStatusError(err)) return err;
  return admissionForbidden(a, err instanceof Error ? err.message : String(err));
}
