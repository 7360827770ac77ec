/** The namespaces resource. The `kubernetes` finalizer is added on create and changes only through /finalize. */
import type { ResourceType } from '../resource.js';
import { field } from '../../machinery/status.js';
import { isDNS1123Label, isQualifiedName, validateObjectMeta } from '../../machinery/validation.js';
import { NamespaceSchema } from './schema/misc.js';
import { AGE_COLUMN, NAME_COLUMN, age, column } from './table-util.js';
import { arr, type Errs } from './validate-common.js';
import { isObj } from './util.js';

/** Finalizer names: standard (`kubernetes`) or fully qualified. */
export function validateFinalizerName(name: string, path: string): Errs {
  const errs = isQualifiedName(name).map((msg) => field.invalid(path, name, msg));
  if (errs.length === 0 && !name.includes('/') && name !== 'kubernetes') {
    errs.push(field.invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return errs;
}

function validateNamespace(ns: any): Errs {
  const errs = validateObjectMeta(ns.metadata, { namespaced: false, nameValidator: isDNS1123Label });
  arr(ns.spec?.finalizers).forEach((f, i) => errs.push(...validateFinalizerName(String(f), `spec.finalizers[${i}]`)));
  return errs;
}

function validateNamespaceStatus(ns: any): Errs {
  const phase = ns.status?.phase;
  if (!ns.metadata.deletionTimestamp) {
    if (phase !== 'Active') return [field.invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty")];
  } else if (phase !== 'Terminating') {
    return [field.invalid('status.Phase', phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")];
  }
  return [];
}

export const namespaces: ResourceType = {
  group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', singular: 'namespace',
  shortNames: ['ns'], namespaced: false,
  schema: NamespaceSchema,
  subresources: { status: true, others: ['finalize'] },
  defaults(ns) {
    // Every namespace carries its own name as a label, so selectors can pick namespaces by name.
    if (ns.metadata.name) (ns.metadata.labels ??= {})['kubernetes.io/metadata.name'] = ns.metadata.name;
    const status = isObj(ns.status) ? ns.status : (ns.status = {});
    status.phase ||= 'Active';
  },
  prepareForCreate(ns) {
    ns.status = { phase: 'Active' };
    const spec = isObj(ns.spec) ? ns.spec : (ns.spec = {});
    const finalizers: string[] = Array.isArray(spec.finalizers) ? spec.finalizers : [];
    if (!finalizers.includes('kubernetes')) finalizers.push('kubernetes');
    spec.finalizers = finalizers;
  },
  prepareForUpdate(ns, old) {
    // Finalizers of the spec change only through the finalize subresource.
    const spec = isObj(ns.spec) ? ns.spec : (ns.spec = {});
    if ((old.spec as any)?.finalizers === undefined) delete spec.finalizers;
    else spec.finalizers = structuredClone((old.spec as any).finalizers);
  },
  validate: (ns) => validateNamespace(ns),
  validateStatusUpdate: (ns) => validateNamespaceStatus(ns),
  table: {
    columns: [NAME_COLUMN, column('Status', 'The status of the namespace.'), AGE_COLUMN],
    cells: (ns, now) => [ns.metadata.name, (ns.status as any)?.phase ?? '', age(ns, now)],
  },
  selectableFields: (ns) => ({ 'status.phase': String((ns.status as any)?.phase ?? '') }),
};
