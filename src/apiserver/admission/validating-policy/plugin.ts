/**
 * The ValidatingAdmissionPolicy admission plugin (validating phase), as
 * upstream's policy/validating dispatcher: for every policy with bindings
 * whose matchConstraints select the request, every binding whose
 * matchResources select it, and every parameter object of the binding, the
 * policy is evaluated (validator.ts), and its failed validations do what
 * the binding's validationActions say:
 *
 * - Deny: the request is refused (the first denial names the policy, the
 *   binding and the message; its reason gives the code);
 * - Warn: the client is warned;
 * - Audit: the request's audit event gets the failure as JSON.
 *
 * Errors — a policy or binding that cannot be applied, an expression that
 * does not compile or fails — follow the policy's failurePolicy: Fail
 * refuses, Ignore goes on.
 */
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '../../../api/admissionregistration/policies.js';
import type { ResourceType, ReviewedUser } from '../../../api/resource.js';
import type { KubeObject } from '../../../machinery/object.js';
import { StatusError } from '../../../machinery/status.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../chain.js';
import { AuthorizationSession, requestAuthorizer, type AuthorizeFunction } from '../../../api/admissionregistration/cel/authorizer-library.js';
import { PolicyCache, type CompiledPolicy } from '../../../api/admissionregistration/cel/compile.js';
import { admissionForbidden, AuditAnnotationCollector, denialError, validationFailureAnnotation, validationFailureValue, warningText, type Denial } from './denial.js';
import { matchRequest, type MatchContext } from './matching.js';
import { collectParams, resolveParamKind, type ParamsLookup } from './params.js';
import { admissionRequest, namespaceView, requestName, requestNamespace, toCel } from './request.js';
import { validatePolicy } from './validator.js';
import { convertObject, equivalentTypes } from './versions.js';

export interface ValidatingAdmissionPolicyDeps {
  /** The stored policies and bindings (watch caches). */
  policies(): readonly ValidatingAdmissionPolicy[];
  bindings(): readonly ValidatingAdmissionPolicyBinding[];
  /** The served resource types (Registry.all): paramKinds, and other versions for matchPolicy Equivalent. */
  resourceTypes(): readonly ResourceType[];
  getNamespace(name: string): Promise<KubeObject | undefined>;
  /** Parameter objects of a paramKind's type by name or label selector (`namespace` undefined when cluster-scoped). */
  params: ParamsLookup;
  /** The apiserver's authorizers (AccessReviewer.authorize), for the CEL `authorizer` library. */
  authorize: AuthorizeFunction;
  /** False until the caches above are filled: requests are then refused, as upstream's plugin does. */
  ready?(): boolean;
}

/** Requests expression-based admission never sees (upstream's kube-apiserver exclusion list). */
const excludedResources = new Set([
  'authentication.k8s.io/selfsubjectreviews',
  'authentication.k8s.io/tokenreviews',
  'authorization.k8s.io/localsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
  'authorization.k8s.io/subjectaccessreviews',
]);

const byName = <T extends KubeObject>(a: T, b: T) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0);

/** The request's objects in the version a policy matched, converted once per policy. */
interface VersionedValues {
  object: unknown;
  oldObject: unknown;
}

/** One request's pass over the policies. */
class Dispatch {
  readonly denials: Denial[] = [];
  private readonly session: AuthorizationSession;
  private readonly user: ReviewedUser;
  private readonly matchContext: MatchContext;
  private auditFailurePublished = false;
  private namespaceObject: unknown;
  /** The request's objects per version matched, converted once for all policies. */
  private readonly versions = new Map<ResourceType, Promise<VersionedValues>>();

  constructor(
    private readonly deps: ValidatingAdmissionPolicyDeps,
    private readonly attributes: AdmissionAttributes,
    private readonly cache: PolicyCache,
  ) {
    this.session = new AuthorizationSession(deps.authorize);
    const user = attributes.user;
    this.user = { name: user.username, groups: user.groups, uid: user.uid, extra: user.extra };
    let equivalents: ResourceType[] | undefined;
    this.matchContext = {
      attributes,
      getNamespace: (name) => deps.getNamespace(name),
      equivalents: () => (equivalents ??= equivalentTypes(attributes.type, deps.resourceTypes())),
    };
  }

  private configError(policy: ValidatingAdmissionPolicy, binding: ValidatingAdmissionPolicyBinding | undefined, message: string): void {
    const failurePolicy = policy.spec?.failurePolicy ?? 'Fail';
    if (failurePolicy === 'Ignore') return;
    const text = failurePolicy === 'Fail' ? `failed to configure ${binding ? 'binding' : 'policy'}: ${message}` : `unrecognized failure policy: '${failurePolicy}'`;
    this.denials.push({ policy: policy.metadata.name ?? '', binding: binding?.metadata.name, message: text });
  }

  /** `namespaceObject`: null for cluster-scoped requests and for a Namespace itself. */
  private async namespaceValue(): Promise<unknown> {
    if (this.namespaceObject !== undefined) return this.namespaceObject;
    const type = this.attributes.type;
    const name = type.group === '' && type.version === 'v1' && type.kind === 'Namespace' ? '' : requestNamespace(this.attributes);
    if (!name) return (this.namespaceObject = null);
    const namespace = await this.deps.getNamespace(name);
    if (!namespace) throw new StatusError(404, 'NotFound', `namespace ${JSON.stringify(name)} not found`, { name, kind: 'namespace' });
    return (this.namespaceObject = toCel(namespaceView(namespace)));
  }

  async run(policy: ValidatingAdmissionPolicy, bindings: ValidatingAdmissionPolicyBinding[]): Promise<void> {
    const spec = policy.spec ?? {};
    if (!spec.matchConstraints) return this.configError(policy, undefined, 'policy contained no match constraints, a required field');
    const matched = await matchRequest(spec.matchConstraints, this.matchContext);
    if ('error' in matched) return this.configError(policy, undefined, matched.error);
    if (!matched.matches) return;
    const resolved = spec.paramKind ? resolveParamKind(spec.paramKind, this.deps.resourceTypes()) : undefined;
    if (resolved && typeof resolved === 'object' && 'error' in resolved) return this.configError(policy, undefined, resolved.error);

    let compiled: CompiledPolicy;
    try {
      compiled = this.cache.get(policy);
    } catch (err) {
      // Compilation reports expression errors itself; this is a policy it could not read at all.
      return this.configError(policy, undefined, (err as Error).message);
    }
    const collector = new AuditAnnotationCollector();
    let versioned: VersionedValues | undefined;
    for (const binding of bindings) {
      if (binding.spec?.matchResources) {
        const bound = await matchRequest(binding.spec.matchResources, this.matchContext);
        if ('error' in bound) {
          this.configError(policy, binding, bound.error);
          continue;
        }
        if (!bound.matches) continue;
      }
      const collected = await collectParams(spec.paramKind, resolved, binding.spec?.paramRef, requestNamespace(this.attributes), this.deps.params);
      if ('error' in collected) {
        this.configError(policy, binding, collected.error);
        continue;
      }
      if (collected.params.length === 0) continue;
      if (!versioned) {
        try {
          versioned = await this.versionedValues(matched.matched);
        } catch (err) {
          this.configError(policy, binding, `failed to convert object version: ${(err as Error).message}`);
          continue;
        }
      }
      await this.evaluateBinding(policy, binding, compiled, collected.params, matched.matched, versioned, collector);
    }
    collector.publish(policy.metadata.name ?? '', this.attributes);
  }

  private versionedValues(matched: ResourceType): Promise<VersionedValues> {
    let values = this.versions.get(matched);
    if (!values) {
      const { object, oldObject, type } = this.attributes;
      values = (async () => ({
        object: toCel(await convertObject(object, type, matched)),
        oldObject: toCel(await convertObject(oldObject, type, matched)),
      }))();
      this.versions.set(matched, values);
    }
    return values;
  }

  private async evaluateBinding(
    policy: ValidatingAdmissionPolicy,
    binding: ValidatingAdmissionPolicyBinding,
    compiled: CompiledPolicy,
    params: (KubeObject | null)[],
    matched: ResourceType,
    versioned: VersionedValues,
    collector: AuditAnnotationCollector,
  ): Promise<void> {
    const attributes = this.attributes;
    const request = admissionRequest(attributes, matched);
    const requestResource = request.requestResource;
    const namespaceObject = await this.namespaceValue();
    const authorizer = requestAuthorizer(this.session, this.user, {
      group: attributes.type.group,
      resource: attributes.type.resource,
      subresource: attributes.subresource ?? '',
      namespace: requestNamespace(attributes),
      name: requestName(attributes),
    });
    const policyName = policy.metadata.name ?? '';
    const bindingName = binding.metadata.name ?? '';
    for (const param of params) {
      const result = await validatePolicy({
        compiled,
        failurePolicy: policy.spec?.failurePolicy ?? 'Fail',
        values: { ...versioned, params: toCel(param), request: toCel(request), namespaceObject },
        matchRequest: toCel({ ...request, resource: requestResource }),
        session: this.session,
        authorizer,
      });
      result.decisions.forEach((decision, index) => {
        if (decision.action !== 'deny') return;
        for (const action of binding.spec?.validationActions ?? []) {
          if (action === 'Deny') this.denials.push({ policy: policyName, binding: bindingName, message: decision.message, reason: decision.reason });
          else if (action === 'Warn') attributes.warn?.(warningText(policyName, bindingName, decision.message));
          else if (action === 'Audit' && !this.auditFailurePublished) {
            // Upstream's audit annotations cannot be overridden: the first failure is the one recorded.
            this.auditFailurePublished = true;
            attributes.annotate?.(validationFailureAnnotation, validationFailureValue(binding, index, decision.message));
          }
        }
      });
      for (const annotation of result.auditAnnotations) {
        if (annotation.action === 'publish') collector.add(annotation.key, annotation.value!);
        else if (annotation.action === 'error') this.denials.push({ policy: policyName, binding: bindingName, message: annotation.error! });
      }
    }
  }
}

export function validatingAdmissionPolicy(deps: ValidatingAdmissionPolicyDeps): AdmissionPlugin {
  const cache = new PolicyCache();
  return {
    name: 'ValidatingAdmissionPolicy',
    async validate(attributes) {
      const type = attributes.type;
      if (excludedResources.has(`${type.group}/${type.resource}`)) return;
      const bindings = deps.bindings();
      if (bindings.length === 0) return;
      if (deps.ready && !deps.ready()) {
        throw admissionForbidden(attributes, 'not yet ready to handle request');
      }
      const policies = deps.policies();
      cache.retain(policies);
      const bound = new Map<string, ValidatingAdmissionPolicyBinding[]>();
      for (const binding of [...bindings].sort(byName)) {
        const name = binding.spec?.policyName;
        if (name) bound.set(name, [...(bound.get(name) ?? []), binding]);
      }
      const dispatch = new Dispatch(deps, attributes, cache);
      for (const policy of [...policies].sort(byName)) {
        const policyBindings = bound.get(policy.metadata.name ?? '');
        if (policyBindings) await dispatch.run(policy, policyBindings);
      }
      if (dispatch.denials.length > 0) throw denialError(attributes, dispatch.denials[0]);
    },
  };
}

