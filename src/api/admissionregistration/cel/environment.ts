/**
 * The CEL environments of admission policies, built on skiff's Kubernetes
 * environment (machinery/cel/environment.ts).
 *
 * Expressions are checked in a typed environment and run in a dynamic one:
 *
 * - checking (compile time) declares what upstream declares: `object` and
 *   `oldObject` (dyn, or typed by a schema for typeCheckPolicy), `params`
 *   only when the policy has a paramKind, `authorizer` except in message
 *   expressions, `request` and `namespaceObject` with upstream's field types
 *   (a field they do not have is a compile error), and `variables` typed by
 *   the variables compiled before, so `variables.isProd` is a bool;
 * - running declares every name as dyn (values may be null, variables are
 *   computed lazily) except `authorizer`, which is the library's type.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { kubernetesEnvironment } from '../../../machinery/cel/environment.js';
import { splitTypeArguments } from './cel-errors.js';
import { authorizerTypeName, declareAuthorizerLibrary } from './authorizer-library.js';

/** Upstream's BuildRequestType (no `uid`, no objects: those are root variables). */
function declareRequestType(env: Environment): void {
  env
    .registerType({ name: 'kubernetes.GroupVersionKind', fields: { group: 'string', version: 'string', kind: 'string' } } as never)
    .registerType({ name: 'kubernetes.GroupVersionResource', fields: { group: 'string', version: 'string', resource: 'string' } } as never)
    .registerType({ name: 'kubernetes.UserInfo', fields: { username: 'string', uid: 'string', groups: 'list<string>', extra: 'map<string, list<string>>' } } as never)
    .registerType({
      name: 'kubernetes.AdmissionRequest',
      fields: {
        kind: 'kubernetes.GroupVersionKind',
        resource: 'kubernetes.GroupVersionResource',
        subResource: 'string',
        requestKind: 'kubernetes.GroupVersionKind',
        requestResource: 'kubernetes.GroupVersionResource',
        requestSubResource: 'string',
        name: 'string',
        namespace: 'string',
        operation: 'string',
        userInfo: 'kubernetes.UserInfo',
        dryRun: 'bool',
        options: 'dyn',
      },
    } as never)
    .registerVariable('request', 'kubernetes.AdmissionRequest');
}

/**
 * Upstream's BuildNamespaceType, field for field (its `metadata.UID` too).
 * Timestamps are dyn: at run time they are the object's strings, as upstream's are.
 */
function declareNamespaceType(env: Environment): void {
  env
    .registerType({ name: 'kubernetes.NamespaceSpec', fields: { finalizers: 'list<string>' } } as never)
    .registerType({ name: 'kubernetes.NamespaceStatus', fields: { conditions: 'list<dyn>', phase: 'string' } } as never)
    .registerType({
      name: 'kubernetes.NamespaceMetadata',
      fields: {
        name: 'string', generateName: 'string', namespace: 'string', labels: 'map<string, string>', annotations: 'map<string, string>',
        UID: 'string', creationTimestamp: 'dyn', deletionGracePeriodSeconds: 'int', deletionTimestamp: 'dyn', generation: 'int',
        resourceVersion: 'string', finalizers: 'list<string>',
      },
    } as never)
    .registerType({ name: 'kubernetes.Namespace', fields: { metadata: 'kubernetes.NamespaceMetadata', spec: 'kubernetes.NamespaceSpec', status: 'kubernetes.NamespaceStatus' } } as never)
    .registerVariable('namespaceObject', 'kubernetes.Namespace')
    // A cluster-scoped request has no namespace: expressions may compare it with null.
    .registerOperator('kubernetes.Namespace == null', (value: unknown) => value === null || value === undefined);
}

let runtime: Environment | undefined;

/** The environment every policy expression runs in. */
export function runtimeEnvironment(): Environment {
  if (!runtime) {
    runtime = kubernetesEnvironment(['object', 'oldObject', 'params', 'request', 'namespaceObject', 'variables']);
    declareAuthorizerLibrary(runtime);
    runtime.registerVariable('authorizer', authorizerTypeName);
  }
  return runtime;
}

export interface CheckShape {
  /** The policy has a paramKind: `params` is declared. */
  params: boolean;
  /** `authorizer` is declared (not in message expressions). */
  authorizer: boolean;
}

/** Types for `object`/`oldObject` and `params`, declared by `declare` on the environment (typeCheckPolicy). */
export interface TypedRoots {
  declare(env: Environment): { object?: string; params?: string };
}

/** A typed environment to clone per expression (clones may add the `variables` type). */
export function checkBase(shape: CheckShape, roots?: TypedRoots): Environment {
  const env = kubernetesEnvironment([]);
  declareAuthorizerLibrary(env);
  declareRequestType(env);
  declareNamespaceType(env);
  const types = roots?.declare(env) ?? {};
  env.registerVariable('object', types.object ?? 'dyn').registerVariable('oldObject', types.object ?? 'dyn');
  if (shape.params) env.registerVariable('params', types.params ?? 'dyn');
  if (shape.authorizer) env.registerVariable('authorizer', authorizerTypeName);
  return env;
}

const sharedBases = new Map<string, Environment>();

/** The typed environment of a shape, built once and shared (it is only cloned). */
export function sharedCheckBase(shape: CheckShape): Environment {
  const key = `${shape.params}/${shape.authorizer}`;
  let env = sharedBases.get(key);
  if (!env) {
    env = checkBase(shape);
    sharedBases.set(key, env);
  }
  return env;
}

const declarable = new Set(['bool', 'int', 'uint', 'double', 'string', 'bytes', 'dyn', 'google.protobuf.Timestamp', 'google.protobuf.Duration']);

/**
 * The type a variable's field is declared with, from the type its expression
 * has: scalars, lists and maps keep it, anything else (library objects,
 * optionals, null) is dyn — as upstream's composition does.
 */
export function variableFieldType(type: string | undefined): string {
  if (!type) return 'dyn';
  if (declarable.has(type)) return type;
  const generic = /^(list|map)<(.*)>$/.exec(type);
  if (!generic) return 'dyn';
  const parts = splitTypeArguments(generic[2]).map(variableFieldType);
  return generic[1] === 'list' && parts.length === 1 ? `list<${parts[0]}>` : generic[1] === 'map' && parts.length === 2 ? `map<${parts[0]}, ${parts[1]}>` : 'dyn';
}

/**
 * A clone of `base` with `variables` declared: an object with these fields
 * (name → type). Fields that cannot be declared make `variables` dyn.
 */
export function withVariables(base: Environment, fields: Record<string, string>): Environment {
  const env = base.clone();
  try {
    env.registerType({ name: 'kubernetes.variables', fields: { ...fields } } as never);
    env.registerVariable('variables', 'kubernetes.variables');
  } catch {
    if (!env.hasVariable('variables')) env.registerVariable('variables', 'dyn');
  }
  return env;
}
