/**
 * Reading an audit Policy from --audit-policy-file, as upstream's policy
 * reader and validation: YAML or JSON; only audit.k8s.io/v1 (v1alpha1 and
 * v1beta1 were removed in 1.24); wrong JSON types fail; unknown or duplicate
 * fields only warn (upstream falls back to lenient decoding); then each rule
 * is validated, and a policy without rules is refused.
 */
import { readFileSync, statSync } from 'node:fs';
import { field, renderFieldError, isStatusError, type FieldErrorLike } from '../../machinery/status.js';
import { isDNS1123Subdomain } from '../../machinery/validation.js';
import { s } from '../../machinery/schema/build.js';
import { ObjectMetaSchema } from '../../machinery/schema/meta.js';
import { checkTypes, findUnknownFields, parseYamlStrict, type SchemaTypeError } from '../../machinery/schema/validate.js';
import { auditGroup, auditVersion, levels, stages, type GroupResources, type Policy, type PolicyRule, type Stage } from './policy.js';

/** A policy file is a few kilobytes; refusing huge ones keeps the parser's work bounded. */
export const maxPolicyFileBytes = 4 * 1024 * 1024;

/** What upstream's errors name as the audit scheme (where kube-apiserver creates it). */
const schemeName = 'k8s.io/apiserver/pkg/audit/scheme.go:30';

const V1 = 'io.k8s.apiserver.pkg.apis.audit.v1';
const stringList = () => s.array(s.string());
const GroupResourcesSchema = s.object(`${V1}.GroupResources`, undefined, { group: s.string(), resources: stringList(), resourceNames: stringList() });
const PolicyRuleSchema = s.object(`${V1}.PolicyRule`, undefined, {
  level: s.string(),
  users: stringList(),
  userGroups: stringList(),
  verbs: stringList(),
  resources: s.array(GroupResourcesSchema),
  namespaces: stringList(),
  nonResourceURLs: stringList(),
  omitStages: stringList(),
  omitManagedFields: s.boolean(),
});
const PolicySchema = s.object(`${V1}.Policy`, undefined, {
  apiVersion: s.string(),
  kind: s.string(),
  metadata: ObjectMetaSchema,
  rules: s.array(PolicyRuleSchema),
  omitStages: stringList(),
  omitManagedFields: s.boolean(),
});

export interface LoadedPolicy {
  policy: Policy;
  /** Unknown or duplicate fields, which upstream logs and then ignores. */
  warnings: string[];
}

export class AuditPolicyError extends Error {
  override readonly name = 'AuditPolicyError';
}

/** Go's name for the types that are not plain strings (`level` is a v1.Level, stages are v1.Stage). */
function goTypeName(error: SchemaTypeError): string {
  const last = error.path.replace(/\[\d+\]/g, '').split('.').pop();
  if (last === 'level') return 'v1.Level';
  if (last === 'omitStages') return error.goType.startsWith('[]') ? '[]v1.Stage' : 'v1.Stage';
  return error.goType;
}

/** Go's encoding/json message; its field path names struct fields only, no list indexes. */
function typeErrorMessage(error: SchemaTypeError): string {
  const path = error.path.replace(/\[\d+\]/g, '');
  const where = path ? `Go struct field ${error.struct}.${path}` : 'Go value of type v1.Policy';
  return `json: cannot unmarshal ${error.actual} into ${where}${path ? ` of type ${goTypeName(error)}` : ''}`;
}

/** The group and version of an apiVersion, as schema.ParseGroupVersion reads it. */
function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: apiVersion };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  throw new AuditPolicyError(`failed decoding: unexpected GroupVersion string: ${apiVersion}`);
}

/** Checks apiVersion and kind the way the audit scheme's decoder does. */
function checkGroupVersionKind(document: Record<string, unknown>): void {
  for (const key of ['apiVersion', 'kind']) {
    const value = document[key];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      const actual = typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'bool' : Array.isArray(value) ? 'array' : 'object';
      throw new AuditPolicyError(`failed decoding: couldn't get version/kind; json parse error: json: cannot unmarshal ${actual} into Go struct field .${key} of type string`);
    }
  }
  const kind = (document.kind as string | undefined) || 'Policy';
  const { group, version } = parseGroupVersion((document.apiVersion as string | undefined) ?? '');
  // Without apiVersion the decoder falls back to the internal version, which a file may not use.
  if (!group && !version) {
    if (kind !== 'Policy') throw new AuditPolicyError(`failed decoding: no kind ${JSON.stringify(kind)} is registered for the internal version of group "${auditGroup}" in scheme "${schemeName}"`);
    throw new AuditPolicyError(`unknown group version field ${auditGroup}/__internal, Kind=Policy in policy`);
  }
  const groupVersion = group ? `${group}/${version}` : version;
  if (group !== auditGroup || version !== auditVersion || !['Policy', 'PolicyList', 'Event', 'EventList'].includes(kind)) {
    throw new AuditPolicyError(`failed decoding: no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(groupVersion)} in scheme "${schemeName}"`);
  }
  if (kind !== 'Policy') throw new AuditPolicyError(`failed decoding: converting (v1.${kind}) to (audit.Policy): unknown conversion`);
}

function validateOmitStages(omitStages: readonly string[] | undefined, path: string): FieldErrorLike[] {
  const found: FieldErrorLike[] = [];
  (omitStages ?? []).forEach((stage, i) => {
    if (!stages.includes(stage as Stage)) found.push(field.invalid(`${path}[${i}]`, stage, `allowed stages are ${stages.join(',')}`));
  });
  return found;
}

function validateLevel(level: string | undefined, path: string): FieldErrorLike[] {
  if (!level) return [field.required(path)];
  return levels.includes(level as Policy['rules'][number]['level']) ? [] : [field.notSupported(path, level, [...levels])];
}

function validateNonResourceURLs(urls: readonly string[] | undefined, path: string): FieldErrorLike[] {
  const found: FieldErrorLike[] = [];
  (urls ?? []).forEach((url, i) => {
    if (url === '*') return;
    if (!url.startsWith('/')) found.push(field.invalid(`${path}[${i}]`, url, "non-resource URL rules must begin with a '/' character"));
    if (url !== '' && url.slice(0, -1).includes('*')) found.push(field.invalid(`${path}[${i}]`, url, "non-resource URL wildcards '*' must be the final character of the rule"));
  });
  return found;
}

function validateResources(groupResources: readonly GroupResources[] | undefined, path: string): FieldErrorLike[] {
  const found: FieldErrorLike[] = [];
  for (const entry of groupResources ?? []) {
    // Upstream names these fields without the list index.
    if (entry.group) {
      const problems = isDNS1123Subdomain(entry.group);
      if (problems.length) found.push(field.invalid(`${path}.group`, entry.group, problems.join(',')));
    }
    if ((entry.resourceNames ?? []).length > 0 && (entry.resources ?? []).length === 0) {
      found.push(field.invalid(`${path}.resourceNames`, entry.resourceNames, 'using resourceNames requires at least one resource'));
    }
  }
  return found;
}

function validatePolicyRule(rule: PolicyRule, path: string): FieldErrorLike[] {
  const found = [
    ...validateLevel(rule.level, `${path}.level`),
    ...validateNonResourceURLs(rule.nonResourceURLs, `${path}.nonResourceURLs`),
    ...validateResources(rule.resources, `${path}.resources`),
    ...validateOmitStages(rule.omitStages, `${path}.omitStages`),
  ];
  if ((rule.nonResourceURLs ?? []).length > 0 && ((rule.resources ?? []).length > 0 || (rule.namespaces ?? []).length > 0)) {
    found.push(field.invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
  }
  return found;
}

/** Upstream's ValidatePolicy: every problem, with its field path. */
export function validatePolicy(policy: Pick<Policy, 'rules' | 'omitStages'>): FieldErrorLike[] {
  return [...validateOmitStages(policy.omitStages, 'omitStages'), ...(policy.rules ?? []).flatMap((rule, i) => validatePolicyRule(rule, `rules[${i}]`))];
}

/** Field errors as one message, as upstream's ToAggregate prints them: one alone, several as `[a, b]`. */
export function aggregateFieldErrors(found: FieldErrorLike[]): string {
  const messages = [...new Set(found.map(renderFieldError))];
  return messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
}

type Fields = Record<string, unknown>;

/** A string list as Go decodes it: a null list is none, a null item the empty string. */
function stringsOf(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map((item) => (typeof item === 'string' ? item : '')) : undefined;
}

/** Only the known fields, nulls dropped, as decoding into the Go structs keeps them. */
function decodeRule(rule: Fields | null): PolicyRule {
  const decoded: Fields = {};
  for (const key of ['level', 'users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs', 'omitStages', 'omitManagedFields']) {
    const value = rule?.[key];
    if (value === undefined || value === null) continue;
    decoded[key] = Array.isArray(value) ? stringsOf(value) : value;
  }
  if (Array.isArray(rule?.resources)) {
    decoded.resources = (rule.resources as (Fields | null)[]).map((entry): GroupResources => {
      const resources = stringsOf(entry?.resources);
      const resourceNames = stringsOf(entry?.resourceNames);
      return { group: typeof entry?.group === 'string' ? entry.group : '', ...(resources && { resources }), ...(resourceNames && { resourceNames }) };
    });
  }
  return decoded as unknown as PolicyRule;
}

/** Decodes and validates a policy document; throws an AuditPolicyError with upstream's message. */
export function parseAuditPolicy(text: string): LoadedPolicy {
  if (Buffer.byteLength(text) > maxPolicyFileBytes) throw new AuditPolicyError(`failed decoding: the policy is larger than ${maxPolicyFileBytes} bytes`);
  let parsed: { value: unknown; duplicates: string[] };
  try {
    parsed = parseYamlStrict(text);
  } catch (err) {
    throw new AuditPolicyError(`failed decoding: ${isStatusError(err) ? err.message : String(err)}`);
  }
  const value = parsed.value ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    const actual = Array.isArray(value) ? 'array' : typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : 'bool';
    throw new AuditPolicyError(
      `failed decoding: couldn't get version/kind; json parse error: json: cannot unmarshal ${actual} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
    );
  }
  const document = value as Record<string, unknown>;
  checkGroupVersionKind(document);

  const typeErrors = checkTypes(document, PolicySchema);
  if (typeErrors.length > 0) throw new AuditPolicyError(`failed decoding: ${typeErrorMessage(typeErrors[0])}`);

  const strictProblems = [...parsed.duplicates.map((path) => `duplicate field ${JSON.stringify(path)}`), ...findUnknownFields(document, PolicySchema).map((path) => `unknown field ${JSON.stringify(path)}`)];
  const warnings = strictProblems.length ? [`Audit policy contains errors, falling back to lenient decoding: strict decoding error: ${strictProblems.join(', ')}`] : [];

  const policy: Policy = { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: ((document.rules as (Fields | null)[] | null) ?? []).map(decodeRule) };
  if (document.metadata) policy.metadata = document.metadata as Fields;
  const omitStages = stringsOf(document.omitStages);
  if (omitStages) policy.omitStages = omitStages as Stage[];
  if (typeof document.omitManagedFields === 'boolean') policy.omitManagedFields = document.omitManagedFields;

  const problems = validatePolicy(policy);
  if (problems.length > 0) throw new AuditPolicyError(aggregateFieldErrors(problems));
  if (policy.rules.length === 0) throw new AuditPolicyError('loaded illegal policy with 0 rules');
  return { policy, warnings };
}

/** Reads --audit-policy-file; errors read as kube-apiserver's ("loading audit policy file: …"). */
export function loadAuditPolicyFile(path: string): LoadedPolicy {
  if (path === '') throw new AuditPolicyError('loading audit policy file: file path not specified');
  let text: string;
  try {
    if (statSync(path).size > maxPolicyFileBytes) throw new Error(`file is larger than ${maxPolicyFileBytes} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuditPolicyError(`loading audit policy file: failed to read file path ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  try {
    return parseAuditPolicy(text);
  } catch (err) {
    throw new AuditPolicyError(`loading audit policy file: ${(err as Error).message}: from file ${path}`);
  }
}
