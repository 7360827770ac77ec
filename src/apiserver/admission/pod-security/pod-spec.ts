/**
 * The parts of a pod (metadata and spec, as JSON) the Pod Security checks
 * read, and the helpers they share to walk containers and word their
 * findings. Objects arrive schema-checked, but every access still tolerates
 * null and missing values (Go reads them as zero values), so a strange body
 * is judged, never a crash.
 */

export interface Capabilities {
  add?: string[] | null;
  drop?: string[] | null;
}

export interface TypedProfile {
  type?: string | null;
}

export interface SELinuxOptions {
  user?: string | null;
  role?: string | null;
  type?: string | null;
  level?: string | null;
}

export interface WindowsOptions {
  hostProcess?: boolean | null;
}

export interface ContainerSecurityContext {
  allowPrivilegeEscalation?: boolean | null;
  privileged?: boolean | null;
  capabilities?: Capabilities | null;
  runAsNonRoot?: boolean | null;
  runAsUser?: number | null;
  seccompProfile?: TypedProfile | null;
  appArmorProfile?: TypedProfile | null;
  seLinuxOptions?: SELinuxOptions | null;
  procMount?: string | null;
  windowsOptions?: WindowsOptions | null;
}

export interface PodSecurityContext {
  runAsNonRoot?: boolean | null;
  runAsUser?: number | null;
  seccompProfile?: TypedProfile | null;
  appArmorProfile?: TypedProfile | null;
  seLinuxOptions?: SELinuxOptions | null;
  sysctls?: { name?: string; value?: string }[] | null;
  windowsOptions?: WindowsOptions | null;
}

export interface Container {
  name?: string;
  image?: string;
  ports?: { hostPort?: number | null }[] | null;
  securityContext?: ContainerSecurityContext | null;
}

/** A volume: its name and exactly one source, keyed by the source's field name. */
export type Volume = { name?: string } & Record<string, unknown>;

export interface PodSpec {
  os?: { name?: string } | null;
  hostNetwork?: boolean | null;
  hostPID?: boolean | null;
  hostIPC?: boolean | null;
  hostUsers?: boolean | null;
  runtimeClassName?: string | null;
  securityContext?: PodSecurityContext | null;
  initContainers?: Container[] | null;
  containers?: Container[] | null;
  ephemeralContainers?: Container[] | null;
  volumes?: Volume[] | null;
}

export interface PodMetadata {
  name?: string;
  annotations?: Record<string, string> | null;
}

/** The elements of a list field, or none when it is absent, null or not a list. */
export function listOf<T>(value: T[] | null | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

/** Go's zero value for a string field. */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/** Init containers, then containers, then ephemeral containers, as upstream visits them. */
export function* containersOf(spec: PodSpec): Generator<Container> {
  for (const list of [spec.initContainers, spec.containers, spec.ephemeralContainers]) {
    for (const container of listOf(list)) {
      if (container && typeof container === 'object') yield container;
    }
  }
}

export function containerName(container: Container): string {
  return text(container.name);
}

export function annotationsOf(metadata: PodMetadata): [string, string][] {
  const annotations = metadata.annotations;
  if (!annotations || typeof annotations !== 'object') return [];
  return Object.entries(annotations).map(([key, value]) => [key, text(value)]);
}

export function isWindowsPod(spec: PodSpec): boolean {
  return spec.os?.name === 'windows';
}

/** `"a", "b"`: names quoted as they are, without escaping (upstream's joinQuote). */
export function joinQuote(items: string[]): string {
  return items.length === 0 ? '' : `"${items.join('", "')}"`;
}

export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** `container "a"` / `containers "a", "b"`. */
export function containersPhrase(names: string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}

/** Distinct values in byte order, as Go's sets.List() gives them. */
export function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(byteOrder);
}

export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const goEscapes: Record<string, string> = { '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };

/** A string as Go's %q prints it: quoted, with control characters escaped the way strconv.Quote does. */
export function goQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (goEscapes[char]) out += goEscapes[char];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, '0')}`;
    // A lone surrogate reaches Go's decoder as U+FFFD, which prints as itself.
    else if (code >= 0xd800 && code < 0xe000) out += '\ufffd';
    else out += char;
  }
  return `${out}"`;
}
