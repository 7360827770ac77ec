/**
 * The check in front of every handler of a delegating server: authenticate,
 * work out what the request asks, authorize it; when refused, answer as
 * upstream does and tell the caller to stop. Two wordings:
 *
 * - `kubelet` (the node agent, as the kubelet's auth filter): 401 `Unauthorized`,
 *   403 `Forbidden (user=…, verb=…, resource=…, subresource(s)=[…])`, 500
 *   `Authorization error (…)` when the review could not be made — plain text;
 * - `component` (kube-scheduler, kube-controller-manager, whose secure ports
 *   use the generic apiserver filters): `Status` objects, 403
 *   `forbidden: User "…" cannot get path "/metrics"`, and 500
 *   `Internal Server Error: "<uri>": <error>` in text.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errors, StatusError } from '../../machinery/status.js';
import type { Logger } from '../../util/log.js';
import type { DelegatedAuthenticator } from './authenticate.js';
import type { DelegatedAuthorizer } from './authorize.js';
import { componentRequestAttributes } from './component-attributes.js';
import { kubeletRequestAttributes, type KubeletAttributesOptions } from './kubelet-attributes.js';
import type { AccessAttributes, User } from './types.js';

export type RefusalWording = 'kubelet' | 'component';

/** Everything the guard needs: who (authenticator), what (attributes), may they (authorizer), and how to say no. */
export interface RequestAuth {
  authenticator: DelegatedAuthenticator;
  authorizer: DelegatedAuthorizer;
  /** What a request asks; several attributes mean "any of these allows it" (the kubelet's fine-grained checks). */
  attributes(method: string, path: string): AccessAttributes[];
  wording: RefusalWording;
  log?: Logger;
}

export function kubeletAuth(options: { authenticator: DelegatedAuthenticator; authorizer: DelegatedAuthorizer; nodeName: string; log?: Logger } & KubeletAttributesOptions): RequestAuth {
  const { nodeName, fineGrained } = options;
  return { ...options, wording: 'kubelet', attributes: (method, path) => kubeletRequestAttributes(nodeName, method, path, { fineGrained }) };
}

export function componentAuth(options: { authenticator: DelegatedAuthenticator; authorizer: DelegatedAuthorizer; log?: Logger }): RequestAuth {
  return { ...options, wording: 'component', attributes: componentRequestAttributes };
}

/** An answer the guard gives instead of the handler. */
export interface Refusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The request's path as the authorizer sees it: dot segments resolved (as the router sees it), then decoded as Go's URL.Path is. */
export function requestPath(req: IncomingMessage): string {
  const pathname = new URL(req.url ?? '/', 'https://localhost').pathname;
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

const text = (status: number, body: string, extra: Record<string, string> = {}): Refusal => ({ status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...extra }, body });
const statusObject = (error: StatusError): Refusal => ({
  status: error.code,
  headers: { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' },
  body: `${JSON.stringify(error.status)}\n`,
});

/** Upstream's forbiddenMessage of the generic apiserver, in its Forbidden Status. */
function componentForbidden(user: User, attributes: AccessAttributes, reason: string): StatusError {
  const why = (message: string) => (reason ? `${message}: ${reason}` : message);
  if (attributes.nonResourceAttributes) {
    const { verb = '', path = '' } = attributes.nonResourceAttributes;
    return new StatusError(403, 'Forbidden', `forbidden: ${why(`User ${JSON.stringify(user.username)} cannot ${verb} path ${JSON.stringify(path)}`)}`, {});
  }
  const { verb = '', group = '', resource = '', subresource, namespace, name = '' } = attributes.resourceAttributes;
  const what = subresource ? `${resource}/${subresource}` : resource;
  const scope = namespace ? `in the namespace ${JSON.stringify(namespace)}` : 'at the cluster scope';
  return errors.forbidden(group, resource, name, why(`User ${JSON.stringify(user.username)} cannot ${verb} resource ${JSON.stringify(what)} in API group ${JSON.stringify(group)} ${scope}`));
}

/** Go's InternalError of the generic apiserver: the request URI quoted, HTML-sensitive characters escaped. */
function componentInternalError(req: IncomingMessage, err: unknown): Refusal {
  const message = `Internal Server Error: ${JSON.stringify(req.url ?? '/')}: ${(err as Error)?.message ?? String(err)}`;
  const escaped = message.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return text(500, `${escaped}\n`, { 'X-Content-Type-Options': 'nosniff' });
}

function describe(attributes: AccessAttributes): { verb: string; resource: string; subresource: string } {
  const fields = attributes.resourceAttributes ?? { ...attributes.nonResourceAttributes, resource: '', subresource: '' };
  return { verb: fields.verb ?? '', resource: fields.resource ?? '', subresource: fields.subresource ?? '' };
}

/** The user when the request may go on; otherwise the answer to give instead. */
export async function checkRequest(req: IncomingMessage, auth: RequestAuth): Promise<{ user: User } | { refusal: Refusal }> {
  const kubelet = auth.wording === 'kubelet';
  const log = auth.log ?? (() => {});
  let user: User | undefined;
  try {
    const result = await auth.authenticator.authenticate(req);
    user = result === 'unauthorized' ? undefined : result;
  } catch (err) {
    log({ msg: 'Unable to authenticate the request due to an error', err: (err as Error).message, v: 0 });
  }
  if (!user) return { refusal: kubelet ? text(401, 'Unauthorized') : statusObject(errors.unauthorized()) };

  const allAttributes = auth.attributes(req.method ?? 'GET', requestPath(req));
  if (allAttributes.length === 0) return { refusal: text(403, 'Authorization error: could not determine attributes for request') };
  let reason = '';
  for (const attributes of allAttributes) {
    try {
      const decision = await auth.authorizer.authorize(user, attributes);
      if (decision.allowed) return { user };
      reason = decision.reason;
    } catch (err) {
      const { verb, resource, subresource } = describe(attributes);
      log({ msg: 'Authorization error', err: (err as Error).message, user: user.username, verb, resource, subresource, v: 0 });
      if (!kubelet) return { refusal: componentInternalError(req, err) };
      return { refusal: text(500, `Authorization error (user=${user.username}, verb=${verb}, resource=${resource}, subresource=${subresource})`) };
    }
  }
  // The attributes differ only in subresource: the first names the rest.
  const { verb, resource } = describe(allAttributes[0]);
  const subresources = allAttributes.map((attributes) => describe(attributes).subresource);
  log({ msg: 'Forbidden', user: user.username, verb, resource, 'subresource(s)': subresources, reason, path: requestPath(req), v: kubelet ? 2 : 4 });
  if (!kubelet) return { refusal: statusObject(componentForbidden(user, allAttributes[0], reason)) };
  return { refusal: text(403, `Forbidden (user=${user.username}, verb=${verb}, resource=${resource}, subresource(s)=[${subresources.join(' ')}])\n`) };
}

/** Authenticates and authorizes an ordinary request: its user, or undefined once the refusal has been written. */
export async function guardRequest(req: IncomingMessage, res: ServerResponse, auth: RequestAuth): Promise<User | undefined> {
  const outcome = await checkRequest(req, auth);
  if ('user' in outcome) return outcome.user;
  const { status, headers, body } = outcome.refusal;
  if (!res.headersSent) res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
  return undefined;
}

/** The same for an upgrade (exec, attach, port-forward): the refusal is written on the raw socket, which is then closed. */
export async function guardUpgrade(req: IncomingMessage, socket: Duplex, auth: RequestAuth): Promise<User | undefined> {
  // The HTTP server stops watching an upgraded socket: a client that resets it while the reviews run must not crash the process.
  const ignoreError = () => {};
  socket.on('error', ignoreError);
  const outcome = await checkRequest(req, auth);
  if ('user' in outcome) {
    socket.off('error', ignoreError);
    return outcome.user;
  }
  const { status, headers, body } = outcome.refusal;
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  if (socket.writable) socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  else socket.destroy();
  return undefined;
}
