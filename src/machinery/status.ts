/**
 * Kubernetes `Status` errors. Every failure the apiserver returns is a Status
 * object with an upstream `reason` and HTTP `code`; clients (kubectl, client-go)
 * branch on the reason, so the wording and codes follow kube-apiserver v1.32.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error that carries the Status the apiserver should answer with. */
export class StatusError extends Error {
  readonly status: Status;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
    if (details) this.status.details = details;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string {
    return this.status.reason ?? '';
  }
}

export function isStatusError(err: unknown, reason?: string): err is StatusError {
  return err instanceof StatusError && (reason === undefined || err.reason === reason);
}

/** The "group resource" as upstream prints it: `pods`, `deployments.apps`. */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** The "group kind" as upstream prints it in Invalid errors: `Pod`, `Deployment.apps`. */
export function qualifiedKind(group: string, kind: string): string {
  return group ? `${kind}.${group}` : kind;
}

export const errors = {
  notFound(group: string, resource: string, name: string): StatusError {
    return new StatusError(404, 'NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, {
      name,
      group: group || undefined,
      kind: resource,
    });
  },
  alreadyExists(group: string, resource: string, name: string): StatusError {
    return new StatusError(409, 'AlreadyExists', `${qualifiedResource(group, resource)} "${name}" already exists`, {
      name,
      group: group || undefined,
      kind: resource,
    });
  },
  conflict(group: string, resource: string, name: string, why: string): StatusError {
    return new StatusError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} "${name}": ${why}`,
      { name, group: group || undefined, kind: resource },
    );
  },
  /** The optimistic-concurrency conflict: the client's resourceVersion is stale. */
  staleResourceVersion(group: string, resource: string, name: string): StatusError {
    return errors.conflict(
      group,
      resource,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  },
  invalid(group: string, kind: string, name: string, fieldErrors: FieldErrorLike[]): StatusError {
    const rendered = fieldErrors.map(renderFieldError);
    const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
    return new StatusError(422, 'Invalid', `${qualifiedKind(group, kind)} "${name}" is invalid: ${summary}`, {
      name,
      group: group || undefined,
      kind,
      causes: fieldErrors.map((e) => ({ reason: e.type, message: renderFieldErrorBody(e), field: e.field })),
    });
  },
  badRequest(message: string): StatusError {
    return new StatusError(400, 'BadRequest', message);
  },
  unauthorized(message = 'Unauthorized'): StatusError {
    return new StatusError(401, 'Unauthorized', message);
  },
  forbidden(group: string, resource: string, name: string, why: string): StatusError {
    const what = name ? `${qualifiedResource(group, resource)} "${name}"` : qualifiedResource(group, resource);
    return new StatusError(403, 'Forbidden', `${what} is forbidden: ${why}`, {
      name: name || undefined,
      group: group || undefined,
      kind: resource,
    });
  },
  methodNotSupported(group: string, resource: string, verb: string): StatusError {
    return new StatusError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualifiedResource(group, resource)}"`, {
      group: group || undefined,
      kind: resource,
    });
  },
  notAcceptable(message: string): StatusError {
    return new StatusError(406, 'NotAcceptable', message);
  },
  /** A watch or list from a revision that compaction has removed. */
  expired(message: string): StatusError {
    return new StatusError(410, 'Expired', message);
  },
  gone(message: string): StatusError {
    return new StatusError(410, 'Gone', message);
  },
  requestEntityTooLarge(limit: number): StatusError {
    return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
  },
  /** Upstream's message names what is accepted, not what was sent; `contentType` is for the log. */
  unsupportedMediaType(
    _contentType: string,
    accepted = 'application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
  ): StatusError {
    return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted}`);
  },
  tooManyRequests(message: string, retryAfterSeconds: number): StatusError {
    return new StatusError(429, 'TooManyRequests', message, { retryAfterSeconds });
  },
  internal(message: string): StatusError {
    return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  },
  timeout(message: string): StatusError {
    return new StatusError(504, 'Timeout', message);
  },
  serviceUnavailable(message: string): StatusError {
    return new StatusError(503, 'ServiceUnavailable', message);
  },
};

// --- field errors (upstream's k8s.io/apimachinery/pkg/util/validation/field) ---

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueInternal'
  | 'FieldValueTypeInvalid';

/** One problem with one field; `field` is a path like `spec.containers[0].image`. */
export interface FieldErrorLike {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  detail?: string;
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueInternal: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** Types whose message omits the offending value, as upstream does. */
const omitsValue = new Set<FieldErrorType>(['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong', 'FieldValueInternal']);

/**
 * A value already in the form upstream's `%#v` prints it, for the field
 * errors whose Go value is not a string map or list — a custom resource's
 * `map[string]interface {}{"name":"http"}`.
 */
export class GoValue {
  constructor(readonly text: string) {}

  /** Go's %#v of a JSON value held in an interface{}: maps with sorted keys, strings quoted, numbers bare. */
  static of(value: unknown): GoValue {
    const render = (item: unknown): string => {
      if (item === null || item === undefined) return 'interface {}(nil)';
      if (typeof item === 'string') return JSON.stringify(item);
      if (typeof item === 'number' || typeof item === 'boolean') return String(item);
      if (Array.isArray(item)) return `[]interface {}{${item.map(render).join(', ')}}`;
      const entries = Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `map[string]interface {}{${entries.map(([key, v]) => `${JSON.stringify(key)}:${render(v)}`).join(', ')}}`;
    };
    return new GoValue(render(value));
  }
}

/**
 * A value as upstream prints it in a field error: strings quoted, numbers
 * and booleans bare, string maps and lists in Go's `%#v` form
 * (`map[string]string{"app":"web"}`, `[]string{"a", "b"}`), anything else as JSON.
 */
function renderValue(value: unknown): string {
  if (value instanceof GoValue) return value.text;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return `[]string{${value.map((item) => JSON.stringify(item)).join(', ')}}`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === 'string')) {
      const sorted = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `map[string]string{${sorted.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;
    }
    return JSON.stringify(value);
  }
  return String(value);
}

export function renderFieldErrorBody(e: FieldErrorLike): string {
  let body = typeText[e.type];
  if (!omitsValue.has(e.type) && e.value !== undefined) body += `: ${renderValue(e.value)}`;
  if (e.detail) body += `: ${e.detail}`;
  return body;
}

export function renderFieldError(e: FieldErrorLike): string {
  return e.field ? `${e.field}: ${renderFieldErrorBody(e)}` : renderFieldErrorBody(e);
}

/** Constructors for field errors, named like upstream's field.Required, field.Invalid, … */
export const field = {
  required: (path: string, detail = ''): FieldErrorLike => ({ type: 'FieldValueRequired', field: path, detail }),
  invalid: (path: string, value: unknown, detail = ''): FieldErrorLike => ({ type: 'FieldValueInvalid', field: path, value, detail }),
  notSupported: (path: string, value: unknown, supported: string[]): FieldErrorLike => ({
    type: 'FieldValueNotSupported',
    field: path,
    value,
    detail: supported.length ? `supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}` : '',
  }),
  duplicate: (path: string, value: unknown): FieldErrorLike => ({ type: 'FieldValueDuplicate', field: path, value }),
  forbidden: (path: string, detail: string): FieldErrorLike => ({ type: 'FieldValueForbidden', field: path, detail }),
  tooLong: (path: string, _value: unknown, max: number): FieldErrorLike => ({
    type: 'FieldValueTooLong',
    field: path,
    detail: `may not be more than ${max} bytes`,
  }),
  tooMany: (path: string, actual: number, max: number): FieldErrorLike => ({
    type: 'FieldValueTooMany',
    field: path,
    value: actual,
    detail: `must have at most ${max} items`,
  }),
  notFound: (path: string, value: unknown): FieldErrorLike => ({ type: 'FieldValueNotFound', field: path, value }),
  typeInvalid: (path: string, value: unknown, detail: string): FieldErrorLike => ({ type: 'FieldValueTypeInvalid', field: path, value, detail }),
};
