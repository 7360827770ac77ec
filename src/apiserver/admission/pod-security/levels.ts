/**
 * The vocabulary of the Pod Security Standards, as upstream's
 * k8s.io/pod-security-admission/api: levels, policy versions and a
 * level:version pair. Pure values and parsers; no I/O.
 */

export type Level = 'privileged' | 'baseline' | 'restricted';

export const validLevels: readonly Level[] = ['privileged', 'baseline', 'restricted'];

/** A policy version: `latest`, or `v1.N` (major is always 1 in label values). */
export interface PolicyVersion {
  readonly latest: boolean;
  readonly major: number;
  readonly minor: number;
}

export interface LevelVersion {
  readonly level: Level;
  readonly version: PolicyVersion;
}

export const latestVersion: PolicyVersion = Object.freeze({ latest: true, major: 0, minor: 0 });

export function majorMinorVersion(major: number, minor: number): PolicyVersion {
  return { latest: false, major, minor };
}

export function versionString(version: PolicyVersion): string {
  return version.latest ? 'latest' : `v${version.major}.${version.minor}`;
}

export function levelVersionString(lv: LevelVersion): string {
  return `${lv.level}:${versionString(lv.version)}`;
}

/** True when `a` is older than `b`; `latest` is newer than every numbered version, even future ones. */
export function versionOlder(a: PolicyVersion, b: PolicyVersion): boolean {
  if (a.latest) return false;
  if (b.latest) return true;
  if (a.major !== b.major) return a.major < b.major;
  return a.minor < b.minor;
}

export function versionsEqual(a: PolicyVersion, b: PolicyVersion): boolean {
  return versionString(a) === versionString(b);
}

export function levelVersionsEqual(a: LevelVersion, b: LevelVersion): boolean {
  return a.level === b.level && versionsEqual(a.version, b.version);
}

/** The outcome of parsing one value: what to use, and the problem when the value was invalid. */
export interface Parsed<T> {
  value: T;
  error?: string;
}

/** An invalid level parses as `restricted`: callers that must fail closed use it as is. */
export function parseLevel(level: string): Parsed<Level> {
  if ((validLevels as readonly string[]).includes(level)) return { value: level as Level };
  return { value: 'restricted', error: `must be one of ${validLevels.join(', ')}` };
}

const versionPattern = /^v1\.([0-9]|[1-9][0-9]*)$/;
/** Go's strconv.Atoi limit: larger minors fail to parse upstream, so they are invalid here too. */
const maxMinor = 2n ** 63n - 1n;

/** An invalid version parses as `latest`. */
export function parseVersion(version: string): Parsed<PolicyVersion> {
  if (version === 'latest') return { value: latestVersion };
  const match = versionPattern.exec(version);
  if (!match || BigInt(match[1]) > maxMinor) return { value: latestVersion, error: 'must be "latest" or "v1.x"' };
  return { value: majorMinorVersion(1, Number(match[1])) };
}

/** Negative when `a` is less restrictive than `b`, zero when equal, positive when more restrictive. */
export function compareLevels(a: Level, b: Level): number {
  return validLevels.indexOf(a) - validLevels.indexOf(b);
}
