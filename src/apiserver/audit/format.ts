/**
 * An audit event as one log line, in the two --audit-log-format choices:
 * `json` (the Event object, fields in upstream's order) and `legacy`
 * (upstream's one-line text, audit.EventString).
 */
import type { AuditEvent, AuditObjectReference, AuditResponseStatus, AuditUserInfo } from './event.js';

export const auditLogFormats = ['legacy', 'json'] as const;
export type AuditLogFormat = (typeof auditLogFormats)[number];

type Fields = Record<string, unknown>;

/** The keys present, in the order given (Go writes struct fields in declaration order). */
function ordered(source: object, keys: readonly string[]): Fields {
  const out: Fields = {};
  for (const key of keys) {
    const value = (source as Fields)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

const eventKeys = [
  'kind',
  'apiVersion',
  'level',
  'auditID',
  'stage',
  'requestURI',
  'verb',
  'user',
  'impersonatedUser',
  'sourceIPs',
  'userAgent',
  'objectRef',
  'responseStatus',
  'requestObject',
  'responseObject',
  'requestReceivedTimestamp',
  'stageTimestamp',
  'annotations',
] as const;
const userKeys = ['username', 'uid', 'groups', 'extra'] as const;
const objectRefKeys: readonly (keyof AuditObjectReference)[] = ['resource', 'namespace', 'name', 'uid', 'apiGroup', 'apiVersion', 'resourceVersion', 'subresource'];
const statusKeys: readonly (keyof AuditResponseStatus)[] = ['metadata', 'status', 'message', 'reason', 'details', 'code'];

/** The event as a JSON line (with its newline), as upstream's log backend writes it. */
export function encodeEventJSON(event: AuditEvent): string {
  const out = ordered(event, eventKeys);
  out.user = ordered(event.user, userKeys);
  if (event.impersonatedUser) out.impersonatedUser = ordered(event.impersonatedUser as AuditUserInfo, userKeys);
  if (event.objectRef) out.objectRef = ordered(event.objectRef, objectRefKeys);
  if (event.responseStatus) out.responseStatus = ordered(event.responseStatus, statusKeys);
  if (event.annotations && Object.keys(event.annotations).length === 0) delete out.annotations;
  if (event.sourceIPs && event.sourceIPs.length === 0) delete out.sourceIPs;
  return `${JSON.stringify(out)}\n`;
}

/** Go's %q: a double-quoted string with Go escapes (printable Unicode kept as it is). */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    switch (char) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** Go's RFC3339Nano: fraction without trailing zeros (none at all when zero). */
function rfc3339Nano(microTime: string): string {
  return microTime.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** Upstream's legacy line: `<time> AUDIT: id="…" stage="…" ip="…" method="…" user="…" …`. */
export function eventString(event: AuditEvent): string {
  const quotedList = (items: string[]) => items.map(goQuote).join(',');
  let username = '<none>';
  let groups = '<none>';
  if (event.user.username) {
    username = event.user.username;
    if (event.user.groups?.length) groups = quotedList(event.user.groups);
  }
  let asUser = '<self>';
  let asGroups = '<lookup>';
  if (event.impersonatedUser) {
    asUser = event.impersonatedUser.username ?? '';
    if (event.impersonatedUser.groups) asGroups = quotedList(event.impersonatedUser.groups);
  }
  const namespace = event.objectRef?.namespace || '<none>';
  const response = event.responseStatus ? String(event.responseStatus.code ?? 0) : '<deferred>';
  const ip = event.sourceIPs?.[0] ?? '<unknown>';
  const q = goQuote;
  return (
    `${rfc3339Nano(event.requestReceivedTimestamp)} AUDIT: id=${q(event.auditID)} stage=${q(event.stage)} ip=${q(ip)} method=${q(event.verb)} ` +
    `user=${q(username)} groups=${q(groups)} as=${q(asUser)} asgroups=${q(asGroups)} user-agent=${q(event.userAgent ?? '')} ` +
    `namespace=${q(namespace)} uri=${q(event.requestURI)} response="${response}"`
  );
}

/** One line of the chosen format, newline included. */
export function formatEvent(event: AuditEvent, format: AuditLogFormat): string {
  return format === 'legacy' ? `${eventString(event)}\n` : encodeEventJSON(event);
}
