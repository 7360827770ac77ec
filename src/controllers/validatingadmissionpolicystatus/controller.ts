/**
 * The ValidatingAdmissionPolicy status controller (upstream's
 * validatingadmissionpolicy-status-controller): for each policy generation
 * it type-checks the CEL expressions against the schemas of the kinds the
 * policy matches and writes what it found to `status.typeChecking`
 * (`expressionWarnings`: a field the matched kinds do not have, a wrong
 * type), with `status.observedGeneration`. The policy is enforced whatever
 * the warnings say; they are for its author (`kubectl describe vap`).
 */
import type { ValidatingAdmissionPolicy } from '../../api/admissionregistration/policies.js';
import { schemaResolverOf, typeCheckPolicy, type SchemaResolver } from '../../api/admissionregistration/cel/type-check.js';
import { builtinRegistry } from '../../api/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { isStatusError } from '../../machinery/status.js';
import { validatingAdmissionPoliciesResource } from '../resources.js';

type Policy = ValidatingAdmissionPolicy & { status?: { observedGeneration?: number; typeChecking?: unknown } };

/** The status a policy should have (pure: what the table tests check). */
export function policyStatus(policy: Policy, resolver: SchemaResolver): NonNullable<Policy['status']> {
  const warnings = typeCheckPolicy(policy, resolver);
  return { ...policy.status, observedGeneration: policy.metadata.generation ?? 1, typeChecking: warnings.length > 0 ? { expressionWarnings: warnings } : {} };
}

export function validatingAdmissionPolicyStatusController(context: ControllerContext): ControllerSpec {
  const informer = context.informers.informerFor<Policy>(validatingAdmissionPoliciesResource);
  const policies = context.client.resource<Policy>(validatingAdmissionPoliciesResource);
  // The built-in kinds' schemas (custom resources are not checked, as upstream without their OpenAPI).
  const resolver = schemaResolverOf(builtinRegistry().all());
  return {
    name: 'validatingadmissionpolicy-status',
    for: validatingAdmissionPoliciesResource,
    async reconcile(name, { signal }) {
      const policy = informer.lister.get(undefined, name);
      if (!policy || policy.status?.observedGeneration === (policy.metadata.generation ?? 1)) return;
      try {
        await policies.updateStatus({ ...policy, status: policyStatus(policy, resolver) }, { signal });
      } catch (err) {
        // A newer policy is on its way through the informer, and with it another reconcile.
        if (!isStatusError(err, 'Conflict') && !isStatusError(err, 'NotFound')) throw err;
      }
    },
  };
}
