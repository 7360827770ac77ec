/**
 * Authentication: who is making a request. Client certificates signed by the
 * cluster CA carry the user in CN and the groups in O (as upstream). Bearer
 * tokens (service accounts, join tokens) plug in as further authenticators.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
  /** What an authenticator adds (a token's claims, a service account's pod); impersonation may set it. */
  extra?: Record<string, string[]>;
}

export type Authenticator = (req: IncomingMessage) => UserInfo | undefined | Promise<UserInfo | undefined>;

/** The user of a TLS client certificate the server verified against the cluster CA. */
export const clientCertificateAuthenticator: Authenticator = (req) => {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return undefined;
  // A keep-alive connection carries many requests over one TLS session: read its certificate once.
  let user = usersBySocket.get(socket);
  if (user === undefined) usersBySocket.set(socket, (user = userOfCertificate(socket) ?? null));
  return user ? { username: user.username, groups: [...user.groups] } : undefined;
};

const usersBySocket = new WeakMap<TLSSocket, UserInfo | null>();

function userOfCertificate(socket: TLSSocket): UserInfo | undefined {
  const cert = socket.getPeerCertificate?.();
  if (!cert || !cert.subject) return undefined;
  const cn = cert.subject.CN;
  if (!cn) return undefined;
  const o = cert.subject.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { username: Array.isArray(cn) ? cn[0] : cn, groups: [...groups, 'system:authenticated'] };
}

/** Tries each authenticator in turn; undefined when none recognises the request. */
export async function authenticate(req: IncomingMessage, authenticators: Authenticator[]): Promise<UserInfo | undefined> {
  for (const authenticator of authenticators) {
    const user = await authenticator(req);
    if (user) return user;
  }
  return undefined;
}

/**
 * Whether the request brought credentials: a bearer token, or a client
 * certificate the cluster CA did not sign. Such a request that no
 * authenticator accepts is refused (401); one without any is anonymous.
 */
export function presentedCredentials(req: IncomingMessage): boolean {
  if (req.headers.authorization) return true;
  const socket = req.socket as TLSSocket;
  return !socket.authorized && Object.keys(socket.getPeerCertificate?.() ?? {}).length > 0;
}

/** Who a request without credentials is; RBAC lets it read what upstream's system:public-info-viewer role allows. */
export const anonymousUser: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
