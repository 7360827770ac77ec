/**
 * A harness for the plugin's tests: builders of policies, bindings and
 * objects, a run of the plugin over fake deps (namespaces `default` with
 * env=prod and `dev` with env=dev; parameter objects; an authorizer that
 * records its questions), and table cases checked against upstream's
 * messages, codes, warnings and annotations.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRegistry } from '../../../api/index.js';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '../../../api/admissionregistration/policies.js';
import type { RequestAttributes } from '../../../api/rbac/authorize.js';
import type { ReviewedUser } from '../../../api/resource.js';
import { labelSelectorMatches } from '../../../machinery/labels.js';
import type { KubeObject } from '../../../machinery/object.js';
import { StatusError } from '../../../machinery/status.js';
import type { AdmissionAttributes } from '../chain.js';
import { validatingAdmissionPolicy } from './plugin.js';

export const registry = builtinRegistry();
export const typeOf = (group: string, version: string, resource: string) => registry.find(group, version, resource)!;
export const deployments = typeOf('apps', 'v1', 'deployments');
export const pods = typeOf('', 'v1', 'pods');
export const namespaces = typeOf('', 'v1', 'namespaces');
export const hpaV1 = typeOf('autoscaling', 'v1', 'horizontalpodautoscalers');
export const selfSubjectAccessReviews = typeOf('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews');

export type PolicySpec = NonNullable<ValidatingAdmissionPolicy['spec']>;
export type BindingSpec = NonNullable<ValidatingAdmissionPolicyBinding['spec']>;

export const defaultRules = [{ apiGroups: ['', 'apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments', 'pods'], scope: '*' }];

export function policy(name: string, spec: Partial<PolicySpec>): ValidatingAdmissionPolicy {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1' },
    spec: {
      failurePolicy: 'Fail',
      ...spec,
      matchConstraints: { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, resourceRules: defaultRules, ...spec.matchConstraints },
    },
  };
}

export function binding(name: string, policyName: string, spec: Partial<BindingSpec> = {}): ValidatingAdmissionPolicyBinding {
  return { metadata: { name }, spec: { policyName, validationActions: ['Deny'], ...spec } };
}

export function deployment(options: { image?: string; replicas?: number; labels?: Record<string, string>; items?: number[] } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: options.labels ?? { app: 'web' } },
    spec: {
      replicas: options.replicas ?? 1,
      ...(options.items ? { items: options.items } : {}),
      template: { spec: { containers: [{ name: 'app', image: options.image ?? 'registry.example.com/app:1' }] } },
    },
  };
}

export function pod(image: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'app', image }] } };
}

export const configMap = (name: string, data: Record<string, string>, labels: Record<string, string> = {}, namespace = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data,
});

const defaultNamespaces: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', uid: 'ns-default', labels: { env: 'prod' } }, status: { phase: 'Active' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev', labels: { env: 'dev' } } },
];

export type Decide = (attributes: RequestAttributes, user: ReviewedUser) => 'allow' | 'deny' | 'no-opinion' | Error;

export interface Case {
  name: string;
  policies: ValidatingAdmissionPolicy[];
  bindings: ValidatingAdmissionPolicyBinding[];
  request?: Partial<AdmissionAttributes>;
  params?: KubeObject[];
  decide?: Decide;
  /** The refusal's message (and code, reason); undefined: admitted. */
  denied?: string;
  code?: number;
  reason?: string;
  warnings?: string[];
  annotations?: Record<string, string>;
  /** The authorization questions asked, when the case is about them. */
  asked?: { attributes: RequestAttributes; user: ReviewedUser }[];
}

export interface Outcome {
  error?: StatusError;
  warnings: string[];
  annotations: Record<string, string>;
  asked: { attributes: RequestAttributes; user: ReviewedUser }[];
}

export async function run(c: Pick<Case, 'policies' | 'bindings' | 'request' | 'params' | 'decide'>): Promise<Outcome> {
  const asked: Outcome['asked'] = [];
  const plugin = validatingAdmissionPolicy({
    policies: () => c.policies,
    bindings: () => c.bindings,
    resourceTypes: () => registry.all(),
    getNamespace: async (name) => defaultNamespaces.find((ns) => ns.metadata.name === name),
    params: async (type, namespace, name, selector) =>
      (c.params ?? []).filter(
        (p) =>
          p.kind === type.kind &&
          (namespace === undefined || p.metadata.namespace === namespace) &&
          (name !== undefined ? p.metadata.name === name : labelSelectorMatches(selector, p.metadata.labels)),
      ),
    authorize: async (attributes, user) => {
      asked.push({ attributes, user });
      const decision = c.decide?.(attributes, user) ?? 'no-opinion';
      if (decision instanceof Error) throw decision;
      return { decision, reason: decision === 'allow' ? 'allowed by test' : '' };
    },
  });
  const warnings: string[] = [];
  const annotations: Record<string, string> = {};
  const attributes: AdmissionAttributes = {
    operation: 'CREATE',
    type: deployments,
    namespace: 'default',
    name: 'web',
    object: deployment(),
    user: { username: 'alice', groups: ['system:authenticated'] },
    dryRun: false,
    warn: (text) => warnings.push(text),
    annotate: (key, value) => (annotations[key] = value),
    ...c.request,
  };
  try {
    await plugin.validate!(attributes);
    return { warnings, annotations, asked };
  } catch (err) {
    if (!(err instanceof StatusError)) throw err;
    return { error: err, warnings, annotations, asked };
  }
}

/** One table case as a test. */
export function check(c: Case) {
  it(c.name, async () => {
    const outcome = await run(c);
    assert.equal(outcome.error?.message, c.denied);
    if (c.code !== undefined) assert.equal(outcome.error?.code, c.code);
    if (c.reason !== undefined) assert.equal(outcome.error?.reason, c.reason);
    assert.deepEqual(outcome.warnings, c.warnings ?? []);
    if (c.annotations) assert.deepEqual(outcome.annotations, c.annotations);
    if (c.asked) assert.deepEqual(outcome.asked, c.asked);
  });
}

/** Upstream's refusal of the default request (a Deployment `web`) by policy `p` and binding `b`. */
export const refused = (message: string, policyName = 'p', bindingName = 'b', what = 'deployments.apps "web"') =>
  `${what} is forbidden: ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}' denied request: ${message}`;
