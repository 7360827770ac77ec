/**
 * certificates.k8s.io/v1 CertificateSigningRequest: a request for a
 * certificate from a named signer. The requester's identity is written by the
 * apiserver; approval (Approved/Denied conditions) goes through the
 * `/approval` subresource, and the signer writes the certificate (or a Failed
 * condition) through `/status`.
 */
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isDNS1123Subdomain, validateObjectMeta } from '../../machinery/validation.js';
import { humanDuration } from '../../machinery/duration.js';
import type { Requester, ResourceType } from '../resource.js';
import { ageColumn, nameColumn, since } from '../common/print.js';
import { certificateBlocksError, parseCertificateRequest } from './request.js';

const V1 = 'io.k8s.api.certificates.v1';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface CertificateSigningRequestCondition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface CertificateSigningRequestSpec {
  /** Base64 of a PEM `CERTIFICATE REQUEST` block. */
  request: string;
  signerName: string;
  expirationSeconds?: number;
  usages?: string[];
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface CertificateSigningRequest extends KubeObject {
  spec: CertificateSigningRequestSpec;
  status?: {
    conditions?: CertificateSigningRequestCondition[];
    /** Base64 of the issued PEM certificate(s). */
    certificate?: string;
  };
}

/** The signers skiff's controller manager signs for, and the legacy one no one does. */
export const kubeAPIServerClientSignerName = 'kubernetes.io/kube-apiserver-client';
export const kubeAPIServerClientKubeletSignerName = 'kubernetes.io/kube-apiserver-client-kubelet';
export const kubeletServingSignerName = 'kubernetes.io/kubelet-serving';
export const legacyUnknownSignerName = 'kubernetes.io/legacy-unknown';

export const knownUsages = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment', 'cert sign', 'crl sign',
  'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing', 'email protection', 's/mime', 'ipsec end system',
  'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing', 'microsoft sgc', 'netscape sgc',
];

/** Upstream's floor for spec.expirationSeconds: ten minutes. */
export const minExpirationSeconds = 600;

const ConditionSchema = s.object(`${V1}.CertificateSigningRequestCondition`, 'A condition of a CertificateSigningRequest.', {
  lastTransitionTime: s.dateTime('When the condition last changed status; set by the server when empty.'),
  lastUpdateTime: s.dateTime('When the condition was last updated; set by the server when empty.'),
  message: s.string('Human readable details.'),
  reason: s.string('Machine readable reason, in CamelCase.'),
  status: s.string('True, False or Unknown. Approved, Denied and Failed conditions may only be True.'),
  type: s.string('Approved, Denied, Failed, or another type.'),
}, { required: ['type', 'status'] });

export const CertificateSigningRequestSpecSchema = s.object(`${V1}.CertificateSigningRequestSpec`, 'The certificate requested, and who requested it.', {
  expirationSeconds: s.int32('Requested validity of the issued certificate, at least 600; the signer may issue a shorter one.'),
  extra: s.map(s.array(s.string(), undefined, { listType: 'atomic' }), 'Extra attributes of the requesting user; set by the apiserver.'),
  groups: s.array(s.string(), 'Groups of the requesting user; set by the apiserver.', { listType: 'atomic' }),
  request: s.bytes('A PEM "CERTIFICATE REQUEST" block (PKCS#10), base64-encoded in JSON.'),
  signerName: s.string('The signer asked to sign, e.g. kubernetes.io/kube-apiserver-client.'),
  uid: s.string('UID of the requesting user; set by the apiserver.'),
  usages: s.array(s.string(), 'Key usages and extended key usages asked for, e.g. "digital signature", "client auth".', { listType: 'atomic' }),
  username: s.string('Name of the requesting user; set by the apiserver.'),
}, { required: ['request', 'signerName'] });

export const CertificateSigningRequestStatusSchema = s.object(`${V1}.CertificateSigningRequestStatus`, 'Approval and the issued certificate.', {
  certificate: s.bytes('The issued PEM certificate, set by the signer through /status once approved; immutable once set.'),
  conditions: s.array(ConditionSchema, 'Approved, Denied, Failed and other conditions.', { listType: 'map', mapKeys: ['type'] }),
});

export const CertificateSigningRequestSchema = kindSchema({
  group: 'certificates.k8s.io',
  version: 'v1',
  kind: 'CertificateSigningRequest',
  definitionName: `${V1}.CertificateSigningRequest`,
  description: 'A request for a certificate from a signer, approved or denied, then signed.',
  fields: {
    spec: s.field(CertificateSigningRequestSpecSchema, 'The request.'),
    status: s.field(CertificateSigningRequestStatusSchema, 'Approval and the certificate.'),
  },
  required: ['spec'],
});

function decodeBase64(value: string | undefined): string {
  return Buffer.from(value ?? '', 'base64').toString('utf8');
}

function conditionOf(csr: CertificateSigningRequest, type: string): CertificateSigningRequestCondition | undefined {
  return csr.status?.conditions?.find((c) => c.type === type);
}

/** Whether the request carries a condition of `type` (Approved, Denied, Failed) with status True. */
export function hasCondition(csr: CertificateSigningRequest, type: string): boolean {
  return conditionOf(csr, type)?.status === 'True';
}

/** A signer name is `<fully qualified domain>/<path>`, as upstream checks it. */
function validateSignerName(path: string, signerName: string | undefined): FieldErrorLike[] {
  if (!signerName) return [field.required(path, '')];
  const slash = signerName.indexOf('/');
  if (slash < 0) return [field.invalid(path, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const domain = signerName.slice(0, slash);
  const name = signerName.slice(slash + 1);
  const errs: FieldErrorLike[] = [];
  if (!name) errs.push(field.invalid(path, signerName, 'validating path: path must not be empty'));
  if (!domain.includes('.')) errs.push(field.invalid(path, signerName, 'should be a domain with at least two segments separated by dots'));
  for (const msg of isDNS1123Subdomain(domain)) errs.push(field.invalid(path, signerName, msg));
  return errs;
}

function validateSpec(spec: CertificateSigningRequestSpec | undefined): FieldErrorLike[] {
  if (!spec) return [field.required('spec', '')];
  const errs: FieldErrorLike[] = [];
  if (!spec.request) errs.push(field.required('spec.request', ''));
  else {
    try {
      parseCertificateRequest(decodeBase64(spec.request));
    } catch (err) {
      errs.push(field.invalid('spec.request', spec.request, (err as Error).message));
    }
  }
  if (!spec.usages?.length) errs.push(field.required('spec.usages', 'usages must be provided'));
  const seen = new Set<string>();
  (spec.usages ?? []).forEach((usage, i) => {
    if (!knownUsages.includes(usage)) errs.push(field.notSupported(`spec.usages[${i}]`, usage, knownUsages));
    if (seen.has(usage)) errs.push(field.duplicate(`spec.usages[${i}]`, usage));
    seen.add(usage);
  });
  errs.push(...validateSignerName('spec.signerName', spec.signerName));
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds < minExpirationSeconds) {
    errs.push(field.invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  return errs;
}

function validateConditions(conditions: CertificateSigningRequestCondition[] | undefined): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const seen = new Set<string>();
  (conditions ?? []).forEach((c, i) => {
    const path = `status.conditions[${i}]`;
    if (!c.type) errs.push(field.required(`${path}.type`, ''));
    if (!['True', 'False', 'Unknown'].includes(c.status)) {
      if (!c.status) errs.push(field.required(`${path}.status`, ''));
      else errs.push(field.notSupported(`${path}.status`, c.status, ['False', 'True', 'Unknown']));
    }
    if ((c.type === 'Approved' || c.type === 'Denied' || c.type === 'Failed') && c.status && c.status !== 'True') {
      errs.push(field.invalid(`${path}.status`, c.status, `${c.type} condition may only be set to True`));
    }
    if (c.type && seen.has(c.type)) errs.push(field.duplicate(`${path}.type`, c.type));
    seen.add(c.type);
  });
  if (seen.has('Approved') && seen.has('Denied')) errs.push(field.invalid('status.conditions', '[omitted]', 'Approved and Denied conditions are mutually exclusive'));
  return errs;
}

export function validateCertificateSigningRequest(csr: CertificateSigningRequest): FieldErrorLike[] {
  const errs = validateObjectMeta(csr.metadata, { namespaced: false });
  errs.push(...validateSpec(csr.spec));
  errs.push(...validateConditions(csr.status?.conditions));
  if (csr.status?.certificate) {
    const problem = certificateBlocksError(decodeBase64(csr.status.certificate));
    if (problem) errs.push(field.invalid('status.certificate', '<certificate data>', problem));
  }
  return errs;
}

/** What an update of conditions or the certificate may not do: remove a terminal condition, change an issued certificate. */
function validateStatusChange(csr: CertificateSigningRequest, old: CertificateSigningRequest): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  for (const type of ['Approved', 'Denied', 'Failed']) {
    if (conditionOf(old, type) && !conditionOf(csr, type)) errs.push(field.forbidden('status.conditions', `updates may not remove a condition of type "${type}"`));
  }
  const oldCertificate = old.status?.certificate;
  if (oldCertificate && csr.status?.certificate !== oldCertificate) {
    errs.push(field.invalid('status.certificate', '[omitted]', 'updates may not modify existing certificate content'));
  }
  return errs;
}

/** Fills the condition timestamps the client left empty, as upstream's strategies do. */
function populateConditionTimestamps(csr: CertificateSigningRequest, old: CertificateSigningRequest | undefined, now: string): void {
  for (const condition of csr.status?.conditions ?? []) {
    condition.lastUpdateTime ||= now;
    if (!condition.lastTransitionTime) {
      const before = old && conditionOf(old, condition.type);
      condition.lastTransitionTime = before && before.status === condition.status && before.lastTransitionTime ? before.lastTransitionTime : now;
    }
  }
}

const approvalTypes = new Set(['Approved', 'Denied']);

/**
 * The result of a write to `/approval`: the old object with only its Approved
 * and Denied conditions taken from `next` (upstream's approval strategy).
 */
export function prepareApprovalUpdate(next: CertificateSigningRequest, old: CertificateSigningRequest, now: string): CertificateSigningRequest {
  const result = structuredClone(old);
  const kept = (old.status?.conditions ?? []).filter((c) => !approvalTypes.has(c.type));
  const decided = (next.status?.conditions ?? []).filter((c) => approvalTypes.has(c.type));
  result.status = { ...(result.status ?? {}), conditions: [...kept, ...decided] };
  if (next.metadata.resourceVersion) result.metadata.resourceVersion = next.metadata.resourceVersion;
  populateConditionTimestamps(result, old, now);
  return result;
}

export function validateApprovalUpdate(csr: CertificateSigningRequest, old: CertificateSigningRequest): FieldErrorLike[] {
  return [...validateCertificateSigningRequest(csr), ...validateStatusChange(csr, old)];
}

/** The table `kubectl get csr` prints: Approved/Denied/Pending, then Failed and Issued. */
export function conditionSummary(csr: CertificateSigningRequest): string {
  let text = hasCondition(csr, 'Denied') ? 'Denied' : hasCondition(csr, 'Approved') ? 'Approved' : 'Pending';
  if (hasCondition(csr, 'Failed')) text += ',Failed';
  if (csr.status?.certificate) text += ',Issued';
  return text;
}

export const certificatesigningrequests: ResourceType<CertificateSigningRequest> = {
  group: 'certificates.k8s.io',
  version: 'v1',
  kind: 'CertificateSigningRequest',
  resource: 'certificatesigningrequests',
  singular: 'certificatesigningrequest',
  shortNames: ['csr'],
  namespaced: false,
  schema: CertificateSigningRequestSchema,
  subresources: { status: true, others: ['approval'] },
  prepareForCreate(obj, requester?: Requester) {
    // Who asked is the authenticated user, never what the client wrote.
    delete obj.status;
    if (!obj.spec) return;
    delete obj.spec.username;
    delete obj.spec.uid;
    delete obj.spec.groups;
    delete obj.spec.extra;
    if (requester) {
      obj.spec.username = requester.username;
      if (requester.uid) obj.spec.uid = requester.uid;
      obj.spec.groups = [...requester.groups];
      if (requester.extra && Object.keys(requester.extra).length) obj.spec.extra = structuredClone(requester.extra);
    }
  },
  prepareForUpdate(obj, old) {
    // The main resource changes only metadata: the request is fixed, status has its subresources.
    obj.spec = structuredClone(old.spec);
  },
  prepareForStatusUpdate(obj, old, now) {
    obj.spec = structuredClone(old.spec);
    // Approval and denial are only written through /approval.
    const approval = (old.status?.conditions ?? []).filter((c) => approvalTypes.has(c.type));
    const others = (obj.status?.conditions ?? []).filter((c) => !approvalTypes.has(c.type));
    obj.status = { ...(obj.status ?? {}), conditions: [...approval, ...others] };
    if (obj.status.conditions!.length === 0) delete obj.status.conditions;
    populateConditionTimestamps(obj, old, now);
  },
  validate: validateCertificateSigningRequest,
  validateStatusUpdate: validateStatusChange,
  table: {
    columns: [
      nameColumn,
      ageColumn,
      { name: 'SignerName', type: 'string', description: 'The signer the request is for.' },
      { name: 'Requestor', type: 'string', description: 'The user who created the request.' },
      { name: 'RequestedDuration', type: 'string', description: 'The validity asked for, if any.' },
      { name: 'Condition', type: 'string', description: 'Approval and issuance.' },
    ],
    cells: (obj, now) => [
      obj.metadata.name ?? '',
      since(obj.metadata.creationTimestamp, now),
      obj.spec?.signerName || '<none>',
      obj.spec?.username ?? '',
      obj.spec?.expirationSeconds !== undefined ? humanDuration(obj.spec.expirationSeconds * 1000) : '<none>',
      conditionSummary(obj),
    ],
  },
};
