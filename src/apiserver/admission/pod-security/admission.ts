/**
 * PodSecurity, as upstream's admission plugin (k8s.io/pod-security-admission
 * admission.go behind kube-apiserver's podsecurity plugin): a validating
 * plugin that judges pods against the level their namespace's labels (or the
 * cluster defaults) choose. Per mode:
 *   enforce  pods (create, updates that change images or add ephemeral
 *            containers, pods/ephemeralcontainers): 403 Forbidden
 *   audit    every pod and pod template: an audit annotation
 *   warn     every pod and pod template: a Warning to the client
 * Namespaces get their labels validated, and a stricter enforce level warns
 * about the pods already there. Exemptions: usernames, runtime classes,
 * namespaces; none by default.
 */
import type { KubeObject } from '../../../machinery/object.js';
import { errors, renderFieldError, StatusError, type FieldErrorLike } from '../../../machinery/status.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../chain.js';
import { aggregateCheckResults, aggregateForbiddenDetail, type AggregateCheckResult } from './checks.js';
import { completeDefaults, defaultPolicyFrom, type PodSecurityDefaults, type PodSecurityExemptions } from './configuration.js';
import { newEvaluator, type Evaluator } from './evaluator.js';
import { compareLevels, levelVersionsEqual, levelVersionString, versionsEqual, type LevelVersion } from './levels.js';
import {
  auditAnnotationPrefix,
  auditViolationsAnnotationKey,
  enforcedPolicyAnnotationKey,
  exemptionReasonAnnotationKey,
  fullyPrivileged,
  policyToEvaluate,
  type Policy,
} from './namespace-labels.js';
import { defaultNamespacePodCheckLimits, evaluatePodsInNamespace, exemptNamespaceWarning, type NamespacePodCheckLimits } from './namespace-pods.js';
import { extractPodSpec, hasPodSpec } from './pod-spec-extractor.js';
import { isSignificantPodUpdate } from './pod-updates.js';
import type { PodMetadata, PodSpec } from './pod-spec.js';

export const podSecurityPluginName = 'PodSecurity';

export interface PodSecurityOptions {
  /** The policy of namespaces without labels; each unset level is privileged, each unset version latest. */
  defaults?: PodSecurityDefaults;
  exemptions?: PodSecurityExemptions;
  /** Reads a namespace (the watch cache); undefined when there is none. */
  getNamespace(name: string): Promise<KubeObject | undefined>;
  /** Lists a namespace's pods (the watch cache), for the check of a stricter enforce level. */
  listPods(namespace: string): Promise<KubeObject[]>;
  /** Bounds of that check; upstream's 3000 pods and one second unless set. */
  namespacePodCheckLimits?: NamespacePodCheckLimits;
  /** Upstream's alpha UserNamespacesPodSecurityStandards gate (off by default). */
  relaxForUserNamespacePods?: boolean;
  /** The checks to run; upstream's v1.32 checks unless set (tests pass their own). */
  evaluator?: Evaluator;
}

/** Pod subresources that cannot change what a pod runs; any other (ephemeralcontainers, resize) is judged. */
const ignoredPodSubresources = new Set(['exec', 'attach', 'binding', 'eviction', 'log', 'portforward', 'proxy', 'status']);

/** What one request comes to: warnings, audit annotations (keys without the prefix) and maybe a refusal. */
interface Outcome {
  warnings?: string[];
  annotations?: Record<string, string>;
  error?: StatusError;
}

function report(a: AdmissionAttributes, outcome: Outcome): void {
  for (const warning of outcome.warnings ?? []) a.warn?.(warning);
  for (const [key, value] of Object.entries(outcome.annotations ?? {})) a.annotate?.(auditAnnotationPrefix + key, value);
  if (outcome.error) throw outcome.error;
}

const quote = (text: string) => JSON.stringify(text);
const requestName = (a: AdmissionAttributes) => a.name || a.object?.metadata?.name || '';
const labelsOf = (object: KubeObject | undefined) => (object?.metadata?.labels && typeof object.metadata.labels === 'object' ? object.metadata.labels : undefined);

/** Upstream's aggregate of field errors: one message alone, several in brackets. */
function aggregateMessage(fieldErrors: FieldErrorLike[]): string {
  const messages = [...new Set(fieldErrors.map(renderFieldError))];
  return messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
}

/** A request whose object cannot be read: upstream answers 400 but keeps the Forbidden details it started from. */
function undecodable(a: AdmissionAttributes, message: string): Outcome {
  return {
    annotations: { error: message },
    error: new StatusError(400, 'BadRequest', message, { name: requestName(a) || undefined, group: a.type.group || undefined, kind: a.type.resource }),
  };
}

export function podSecurity(options: PodSecurityOptions): AdmissionPlugin {
  const defaultPolicy = defaultPolicyFrom(completeDefaults(options.defaults), options.exemptions ?? {});
  const evaluator = options.evaluator ?? newEvaluator(undefined, { relaxForUserNamespacePods: options.relaxForUserNamespacePods });
  const exemptUsernames = new Set(options.exemptions?.usernames ?? []);
  const exemptNamespaces = new Set(options.exemptions?.namespaces ?? []);
  const exemptRuntimeClasses = new Set(options.exemptions?.runtimeClasses ?? []);
  const limits = options.namespacePodCheckLimits ?? defaultNamespacePodCheckLimits;

  const exemptNamespace = (name: string | undefined) => !!name && exemptNamespaces.has(name);
  const exemptUser = (name: string | undefined) => !!name && exemptUsernames.has(name);
  const exemptRuntimeClass = (name: unknown) => typeof name === 'string' && name !== '' && exemptRuntimeClasses.has(name);
  const policyOf = (labels: Record<string, string> | undefined) => policyToEvaluate(labels, defaultPolicy);

  /** The namespace, or the reason it could not be read (upstream's getter reports a missing one as NotFound). */
  async function lookupNamespace(name: string): Promise<{ namespace?: KubeObject; problem?: string }> {
    try {
      const namespace = await options.getNamespace(name);
      return namespace ? { namespace } : { problem: errors.notFound('', 'namespaces', name).message };
    } catch (err) {
      return { problem: err instanceof Error ? err.message : String(err) };
    }
  }

  function evaluate(lv: LevelVersion, metadata: PodMetadata, spec: PodSpec): AggregateCheckResult {
    return aggregateCheckResults(evaluator.evaluatePod(lv, metadata, spec));
  }

  /** Upstream's EvaluatePod: enforce (pods only), then audit, then warn, each level:version judged once. */
  function evaluatePod(a: AdmissionAttributes, policy: Policy, policyErrors: FieldErrorLike[], metadata: PodMetadata, spec: PodSpec, enforce: boolean): Outcome {
    if (exemptRuntimeClass(spec.runtimeClassName)) return { annotations: { [exemptionReasonAnnotationKey]: 'runtimeClass' } };
    const annotations: Record<string, string> = {};
    const warnings: string[] = [];
    let error: StatusError | undefined;
    if (policyErrors.length > 0) annotations.error = `Failed to parse policy: ${aggregateMessage(policyErrors)}`;

    const results = new Map<string, AggregateCheckResult>();
    const resultAt = (lv: LevelVersion) => {
      const key = levelVersionString(lv);
      let result = results.get(key);
      if (!result) results.set(key, (result = evaluate(lv, metadata, spec)));
      return result;
    };
    if (enforce) {
      annotations[enforcedPolicyAnnotationKey] = levelVersionString(policy.enforce);
      const result = resultAt(policy.enforce);
      if (!result.allowed) {
        const why = `violates PodSecurity ${quote(levelVersionString(policy.enforce))}: ${aggregateForbiddenDetail(result)}`;
        error = errors.forbidden(a.type.group, a.type.resource, requestName(a), why);
      }
    }
    const audit = resultAt(policy.audit);
    if (!audit.allowed) {
      annotations[auditViolationsAnnotationKey] = `would violate PodSecurity ${quote(levelVersionString(policy.audit))}: ${aggregateForbiddenDetail(audit)}`;
    }
    // A request about to be refused gets no warnings on top.
    if (!error) {
      const warn = resultAt(policy.warn);
      if (!warn.allowed) warnings.push(`would violate PodSecurity ${quote(levelVersionString(policy.warn))}: ${aggregateForbiddenDetail(warn)}`);
    }
    return { warnings, annotations, error };
  }

  async function validateNamespace(a: AdmissionAttributes): Promise<Outcome> {
    if (a.subresource) return {};
    const namespace = a.object;
    if (!namespace?.metadata) return undecodable(a, 'failed to decode namespace');
    const name = a.name || namespace.metadata.name || '';
    const labels = labelsOf(namespace);
    const { policy: newPolicy, errors: newErrors } = policyOf(labels);
    const invalid = (): Outcome => ({ error: errors.invalid('', 'Namespace', name, newErrors) });
    const exemptWarning = (): Outcome => {
      const warning = exemptNamespaceWarning(name, newPolicy, labels, defaultPolicy);
      return warning ? { warnings: [warning] } : {};
    };

    if (a.operation === 'CREATE') {
      if (newErrors.length > 0) return invalid();
      return exemptNamespace(name) ? exemptWarning() : {};
    }
    const old = a.oldObject;
    // Upstream's text, its doubled space included.
    if (!old?.metadata) return undecodable(a, 'failed to decode  old namespace');
    const { policy: oldPolicy, errors: oldErrors } = policyOf(labelsOf(old));
    // Labels that were already invalid in the same way do not block other changes to the namespace.
    const sameErrors = oldErrors.length === newErrors.length && oldErrors.every((e, i) => renderFieldError(e) === renderFieldError(newErrors[i]));
    if (newErrors.length > 0 && (oldErrors.length === 0 || !sameErrors)) return invalid();

    if (levelVersionsEqual(newPolicy.enforce, oldPolicy.enforce)) return {};
    if (newPolicy.enforce.level === 'privileged') return {};
    if (versionsEqual(newPolicy.enforce.version, oldPolicy.enforce.version) && compareLevels(newPolicy.enforce.level, oldPolicy.enforce.level) < 1) return {};
    if (exemptNamespace(name)) return exemptWarning();
    const warnings = await evaluatePodsInNamespace({
      namespace: name,
      enforce: newPolicy.enforce,
      listPods: options.listPods,
      evaluator,
      exemptRuntimeClass,
      limits,
    });
    return { warnings };
  }

  async function validatePod(a: AdmissionAttributes): Promise<Outcome> {
    if (a.subresource && ignoredPodSubresources.has(a.subresource)) return {};
    if (exemptNamespace(a.namespace)) return { annotations: { [exemptionReasonAnnotationKey]: 'namespace' } };
    if (exemptUser(a.user?.username)) return { annotations: { [exemptionReasonAnnotationKey]: 'user' } };

    const namespaceName = a.namespace ?? '';
    const { namespace, problem } = await lookupNamespace(namespaceName);
    if (!namespace) {
      const error = errors.internal(`failed to lookup namespace ${quote(namespaceName)}`);
      return { annotations: { error: `${error.message}: ${problem}` }, error };
    }
    const { policy, errors: policyErrors } = policyOf(labelsOf(namespace));
    if (policyErrors.length === 0 && fullyPrivileged(policy)) return { annotations: { [enforcedPolicyAnnotationKey]: 'privileged:latest' } };

    const pod = a.object;
    if (!pod?.metadata) return undecodable(a, 'failed to decode pod');
    const extracted = extractPodSpec('', 'pods', pod)!;
    if (a.operation === 'UPDATE') {
      const old = a.oldObject;
      if (!old?.metadata) return undecodable(a, 'failed to decode old pod');
      // Upstream judges only updates that can change what runs: images, and ephemeral containers.
      if (!isSignificantPodUpdate(extracted.spec, extractPodSpec('', 'pods', old)!.spec)) return {};
    }
    return evaluatePod(a, policy, policyErrors, extracted.metadata, extracted.spec, true);
  }

  async function validatePodController(a: AdmissionAttributes): Promise<Outcome> {
    if (a.subresource) return {};
    if (exemptNamespace(a.namespace)) return { annotations: { [exemptionReasonAnnotationKey]: 'namespace' } };
    if (exemptUser(a.user?.username)) return { annotations: { [exemptionReasonAnnotationKey]: 'user' } };

    const namespaceName = a.namespace ?? '';
    const { namespace, problem } = await lookupNamespace(namespaceName);
    // Templates are never refused, so a failed lookup only leaves a note in the audit log.
    if (!namespace) return { annotations: { error: `failed to lookup namespace ${quote(namespaceName)}: ${problem}` } };
    const { policy, errors: policyErrors } = policyOf(labelsOf(namespace));
    if (policyErrors.length === 0 && policy.warn.level === 'privileged' && policy.audit.level === 'privileged') return {};

    if (!a.object?.metadata) return { annotations: { error: 'failed to decode object' } };
    const extracted = extractPodSpec(a.type.group, a.type.resource, a.object);
    if (!extracted) return {};
    return evaluatePod(a, policy, policyErrors, extracted.metadata, extracted.spec, false);
  }

  return {
    name: podSecurityPluginName,
    async validate(a) {
      if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
      const { group, resource } = a.type;
      if (group === '' && resource === 'namespaces') return report(a, await validateNamespace(a));
      if (group === '' && resource === 'pods') return report(a, await validatePod(a));
      if (hasPodSpec(group, resource)) return report(a, await validatePodController(a));
    },
  };
}
