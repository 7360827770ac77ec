/**
 * How a resource is described. Each kind is declared once, as a
 * `ResourceType`: its names, scope, schema, defaulting, validation, status
 * strategy, table columns and selectable fields. The apiserver's handlers are
 * generic over this description, and CustomResourceDefinitions will produce
 * the same shape at run time. Pure data and functions: no I/O here.
 */
import type { FieldErrorLike } from '../machinery/status.js';
import type { KubeObject } from '../machinery/object.js';
import type { Schema } from '../machinery/schema/types.js';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A column of a server-side `Table` (`kubectl get`). Priority 1 columns show only with `-o wide`. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  priority?: number;
}

export interface TableConvertor<T extends KubeObject = KubeObject> {
  columns: TableColumn[];
  /** One cell per column, in order. `now` is passed so ages are testable. */
  cells(obj: T, now: Date): unknown[];
}

/** The `scale` subresource: where the replica count and selector live in the object. */
export interface ScaleSubresource {
  /** JSON path inside the object, e.g. `.spec.replicas`. */
  specReplicasPath: string;
  statusReplicasPath: string;
  /** Where `status.selector` of the Scale comes from: the object's label selector. */
  labelSelectorPath?: string;
}

/** The storage identity of a kind whose objects are stored as another version (HPA v1/v2, events). */
export interface StorageConversion<T extends KubeObject = KubeObject> {
  /** The version objects are stored in, e.g. `v2` for autoscaling HPAs. */
  storageVersion: string;
  /**
   * The group of the stored version when it differs from this type's group:
   * events.k8s.io/v1 Events are stored as core v1 Events (`''`).
   */
  storageGroup?: string;
  /** From this version to the storage version. */
  toStorage(obj: T): KubeObject;
  /** From the storage version to this version. */
  fromStorage(obj: KubeObject): T;
  /**
   * Conversions that need I/O — a CRD's conversion webhook — replace the two
   * above where given: objects of any stored version to this version, in one
   * batch, and one object of this version to the storage version. The
   * apiserver supplies them; descriptions in src/api never do I/O.
   */
  fromStorageAsync?(objects: KubeObject[]): Promise<T[]>;
  toStorageAsync?(obj: T): Promise<KubeObject>;
}

import type { RequestAttributes } from './rbac/authorize.js';
import type { ResourceMetricsReader } from './metrics/types.js';

/** The authenticated user making a request, for kinds that record who asked (CertificateSigningRequest). */
export interface Requester {
  username: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** A user as the authorizers see one (a review may ask about someone other than the requester). */
export interface ReviewedUser {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** One rule a user holds, as a SelfSubjectRulesReview lists it. */
export interface ReviewedRules {
  resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
  nonResourceRules: { verbs: string[]; nonResourceURLs?: string[] }[];
  /** True when some authorizer cannot list what it allows (the Node authorizer for nodes). */
  incomplete: boolean;
  evaluationError?: string;
}

/** The apiserver's authorizers, as the access reviews ask them. */
export interface AccessReviewer {
  /** The decision for a request by `user` (SubjectAccessReview and its kin). */
  authorize(attributes: RequestAttributes, user: ReviewedUser): Promise<{ decision: 'allow' | 'deny' | 'no-opinion'; reason: string }>;
  /** The rules that apply to `user` in a namespace (SelfSubjectRulesReview). */
  rules(user: ReviewedUser, namespace: string): Promise<ReviewedRules>;
}

/** What a review kind's answer may depend on. */
export interface ReviewContext {
  requester: Requester;
  /** The namespace of the request's path (LocalSubjectAccessReview). */
  namespace?: string;
  access: AccessReviewer;
  /** The apiserver's token authenticators (TokenReview): who a bearer token is, and the audiences the apiserver serves. */
  tokens?: { authenticate(token: string): Promise<Requester | undefined>; audiences: string[] };
}

/** What computed kinds read from: the apiserver supplies it, as it supplies the AccessReviewer to reviews. */
export interface ComputedContext {
  /** What the apiserver scraped from the node agents (metrics.k8s.io); undefined when it keeps none. */
  resourceMetrics?: ResourceMetricsReader;
}

/**
 * Reads of a kind that is computed, not stored (metrics.k8s.io's NodeMetrics
 * and PodMetrics): get and list are answered from here, never from storage.
 * `get` answers undefined for a 404 of the kind's own, or throws a StatusError.
 * A list is filtered by the request's label and field selectors afterwards.
 */
export interface ComputedReads<T extends KubeObject = KubeObject> {
  get(namespace: string | undefined, name: string, context: ComputedContext): Promise<T | undefined>;
  list(namespace: string | undefined, context: ComputedContext): Promise<T[]>;
}

export interface ValidationContext {
  /** The operation being validated. */
  operation: 'create' | 'update';
}

/** How a write through a subresource that exchanges the whole object is turned into the object to store. */
export interface SubresourceStrategy<T extends KubeObject = KubeObject> {
  /** The object to store: `old` with the part this subresource may change taken from `next`. */
  prepareForUpdate(next: T, old: T): T;
  /** Checks of the result beyond the kind's `validate` (which runs too): what may change and how. */
  validateUpdate(next: T, old: T): FieldErrorLike[];
}

/**
 * How the apiserver treats a custom resource where it differs from a
 * built-in kind: its body is pruned by its CRD's structural schema (unknown
 * fields reported per fieldValidation, type errors left to validation's
 * 422), and while its CRD is being deleted nothing new may be created.
 */
export interface CustomResourceServing {
  /** The CRD's name and uid. */
  definitionName: string;
  definitionUid: string;
  /** The version's structural schema (the CRD's openAPIV3Schema). */
  structuralSchema: Schema;
  /** The CRD is being deleted: creates are refused (405), as upstream. */
  terminating: boolean;
}

export interface ResourceType<T extends KubeObject = KubeObject> {
  /** `''` for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The plural resource name used in URLs: `deployments`. */
  resource: string;
  singular: string;
  shortNames?: string[];
  /** e.g. `['all']` for the kinds `kubectl get all` shows. */
  categories?: string[];
  namespaced: boolean;
  /** Defaults to ALL_VERBS. */
  verbs?: Verb[];
  /** The whole object's schema (named, with x-kubernetes-group-version-kind). */
  schema: Schema;
  /**
   * Where objects are stored: `/registry/<storageResource>/<ns>/<name>`. Defaults to `resource`
   * for the core group and `<group>/<resource>` otherwise. Two versions of one kind (autoscaling
   * v1 and v2) name the same storage and declare a `conversion`.
   */
  storageResource?: string;
  conversion?: StorageConversion<T>;
  subresources?: {
    /** A `/status` subresource: the main resource ignores status changes; `/status` changes only status. */
    status?: boolean;
    scale?: ScaleSubresource;
    /** Other subresources the apiserver implements specially, e.g. `binding`, `eviction` for pods. */
    others?: string[];
    /**
     * Subresources that read and write the whole object but may change only a part of it
     * (upstream's per-subresource update strategies: pods' `ephemeralcontainers`). get, update
     * and patch are generic; the strategy says what the write keeps and how it is validated.
     */
    strategies?: Record<string, SubresourceStrategy<T>>;
  };
  /** Whether metadata.generation is maintained (starts at 1, bumped on every non-metadata, non-status change). */
  hasGeneration?: boolean;

  /** Upstream's defaulting (SetDefaults_*), applied on create and update, in place. */
  defaults?(obj: T): void;
  /**
   * Reset what a client may not set on create (e.g. `status` for kinds with a status subresource
   * is usually cleared), in place. Runs before validation.
   */
  prepareForCreate?(obj: T, requester?: Requester): void;
  /**
   * Adjust a write to `/status` (the old object with the new status), in place: what only
   * another subresource may change is carried over from `old`. `now` is an RFC 3339 timestamp.
   */
  prepareForStatusUpdate?(obj: T, old: T, now: string): void;
  /** Carry over what an update may not change (e.g. status from `old`), in place. */
  prepareForUpdate?(obj: T, old: T): void;
  /** Validation of the whole object (metadata included) on create and on update. */
  validate?(obj: T, context: ValidationContext): FieldErrorLike[];
  /**
   * Loads what validating this kind needs and the apiserver does not load at
   * start (CEL, for CRDs and custom resources with rules); awaited before
   * every write to the kind, so `validate` can stay synchronous.
   */
  prepareWrites?(): Promise<void>;
  /**
   * What the first delete of an object changes besides its deletionTimestamp, in place (a CRD
   * adds the finalizer that deletes its custom resources first). `now` is an RFC 3339 timestamp.
   */
  beginDeletion?(obj: T, now: string): void;
  /** Extra checks on update: immutable fields and allowed transitions. */
  validateUpdate?(obj: T, old: T): FieldErrorLike[];
  /** Validation of a write to the `/status` subresource. */
  validateStatusUpdate?(obj: T, old: T): FieldErrorLike[];

  /**
   * For review kinds (SelfSubjectReview, the access reviews): a create stores
   * nothing and answers with this, computed for the requester. Throws a
   * StatusError for a review that cannot be answered (422, 400).
   */
  review?(obj: T, context: ReviewContext): T | Promise<T>;

  /**
   * For kinds whose objects are computed on each read, not stored (metrics.k8s.io):
   * get and list come from here; declare `verbs: ['get', 'list']`.
   */
  computed?: ComputedReads<T>;

  /** Set for kinds a CustomResourceDefinition adds (custom-resource-types.ts in api/apiextensions). */
  customResource?: CustomResourceServing;

  /** Server-side table columns for `kubectl get`. Without it: Name and Created At. */
  table?: TableConvertor<T>;
  /**
   * Field values for field selectors beyond metadata.name and metadata.namespace,
   * e.g. `{ 'spec.nodeName': …, 'status.phase': … }` for pods. Only these fields are selectable.
   */
  selectableFields?(obj: T): Record<string, string>;
}

export function storageResourceOf(type: ResourceType): string {
  return type.storageResource ?? (type.group ? `${type.group}/${type.resource}` : type.resource);
}
