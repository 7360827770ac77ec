/**
 * The query and path parameters of the REST operations, grouped as upstream
 * derives them from its option structs (ListOptions, CreateOptions, …).
 * kubectl reads these: it only asks the server for field validation when the
 * PATCH operation of a kind lists `fieldValidation`.
 */

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  description: string;
  type: 'string' | 'boolean' | 'integer';
  required?: boolean;
}

const query = (name: string, type: Parameter['type'], description: string): Parameter => ({ name, in: 'query', type, description });

export const pretty = query('pretty', 'string', "If 'true', the output is indented for reading.");
export const namespace: Parameter = {
  name: 'namespace',
  in: 'path',
  type: 'string',
  required: true,
  description: 'The namespace: a scope for names and for access control.',
};
export const nameOf = (kind: string): Parameter => ({ name: 'name', in: 'path', type: 'string', required: true, description: `Name of the ${kind}.` });
export const pathParameter: Parameter = { name: 'path', in: 'path', type: 'string', required: true, description: 'Path to the resource.' };

const dryRun = query('dryRun', 'string', 'When present, the request is validated and admitted but nothing is persisted. The only valid value is All.');
const fieldManager = query('fieldManager', 'string', 'Name of the actor making the change, recorded in managedFields. At most 128 printable characters.');
const fieldValidation = query(
  'fieldValidation',
  'string',
  'What to do with unknown or duplicate fields in the body: Ignore drops them, Warn (the default) drops them with a warning, Strict fails the request.',
);
const force = query('force', 'boolean', 'Apply requests only: take ownership of fields other managers own instead of failing on conflicts.');

const allowWatchBookmarks = query('allowWatchBookmarks', 'boolean', 'Watch only: ask for BOOKMARK events carrying the current resourceVersion.');
const continueToken = query('continue', 'string', 'The token from a previous limited list, to fetch the next page.');
const fieldSelector = query('fieldSelector', 'string', 'Select objects by fields, e.g. metadata.name=web. Defaults to everything.');
const labelSelector = query('labelSelector', 'string', 'Select objects by labels, e.g. app=web,tier!=db. Defaults to everything.');
const limit = query('limit', 'integer', 'The most objects to return; the response carries a continue token when more remain.');
const resourceVersion = query('resourceVersion', 'string', 'Which version of the data to serve: see resourceVersionMatch. For watches, where to start from.');
const resourceVersionMatch = query('resourceVersionMatch', 'string', 'How resourceVersion applies to a list: Exact or NotOlderThan.');
const sendInitialEvents = query('sendInitialEvents', 'boolean', 'Watch only: start the stream with synthetic ADDED events for the current state, then a bookmark.');
const timeoutSeconds = query('timeoutSeconds', 'integer', 'Ends the list or watch after this many seconds, whether or not anything happened.');
const watch = query('watch', 'boolean', 'Stream changes (ADDED, MODIFIED, DELETED) instead of returning a list.');

const gracePeriodSeconds = query('gracePeriodSeconds', 'integer', 'Seconds before the object is removed; 0 removes it at once. Defaults to the kind’s own value.');
const ignoreStoreReadError = query(
  'ignoreStoreReadErrorWithClusterBreakingPotential',
  'boolean',
  'Remove an object whose stored data cannot be read or decoded. Dangerous: it skips finalizers and admission.',
);
const orphanDependents = query('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy. Whether dependents are orphaned.');
const propagationPolicy = query(
  'propagationPolicy',
  'string',
  'Whether and how dependents are garbage collected: Orphan, Background (the usual default) or Foreground.',
);

export const listParameters = [allowWatchBookmarks, continueToken, fieldSelector, labelSelector, limit, resourceVersion, resourceVersionMatch, sendInitialEvents, timeoutSeconds, watch];
export const createParameters = [dryRun, fieldManager, fieldValidation];
export const updateParameters = [dryRun, fieldManager, fieldValidation];
export const patchParameters = [dryRun, fieldManager, fieldValidation, force];
export const deleteParameters = [dryRun, gracePeriodSeconds, ignoreStoreReadError, orphanDependents, propagationPolicy];
/** Deleting a collection takes the delete options and the list options, except watching. */
export const deleteCollectionParameters = [
  ...deleteParameters,
  ...listParameters.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'),
];

/** Options of the subresources that take query parameters (PodLogOptions, PodExecOptions, …). */
export const subresourceParameters: Record<string, Parameter[]> = {
  log: [
    query('container', 'string', 'The container to read; optional when the pod has one container.'),
    query('follow', 'boolean', 'Keep streaming new lines.'),
    query('insecureSkipTLSVerifyBackend', 'boolean', 'Do not verify the serving certificate of the node agent.'),
    query('limitBytes', 'integer', 'Stop after this many bytes.'),
    query('previous', 'boolean', 'Read the previous, terminated instance of the container.'),
    query('sinceSeconds', 'integer', 'Only lines newer than this many seconds.'),
    query('tailLines', 'integer', 'Only this many lines from the end.'),
    query('timestamps', 'boolean', 'Prefix every line with its RFC 3339 timestamp.'),
  ],
  exec: [
    query('command', 'string', 'The command to run, one argument per parameter.'),
    query('container', 'string', 'The container to run in.'),
    query('stderr', 'boolean', 'Stream the standard error.'),
    query('stdin', 'boolean', 'Stream the standard input.'),
    query('stdout', 'boolean', 'Stream the standard output.'),
    query('tty', 'boolean', 'Allocate a terminal.'),
  ],
  attach: [
    query('container', 'string', 'The container to attach to.'),
    query('stderr', 'boolean', 'Stream the standard error.'),
    query('stdin', 'boolean', 'Stream the standard input.'),
    query('stdout', 'boolean', 'Stream the standard output.'),
    query('tty', 'boolean', 'The container runs with a terminal.'),
  ],
  portforward: [query('ports', 'integer', 'The ports to forward.')],
  proxy: [query('path', 'string', 'The path to proxy to.')],
};
