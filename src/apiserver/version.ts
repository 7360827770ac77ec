/** What `/version` reports: Kubernetes v1.32 compatibility, and skiff's own version. */
import { readFileSync } from 'node:fs';

let cached: Record<string, string> | undefined;

export const kubernetesVersion = { major: '1', minor: '32', patch: '0' };

export function skiffVersion(): string {
  // From src/ (tsx) the package is two levels up; from dist/src/ three; from the bundle (dist/skiff.mjs) one.
  for (const relative of ['../../package.json', '../../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'skiff') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export function versionInfo(): Record<string, string> {
  cached ??= {
    major: kubernetesVersion.major,
    minor: kubernetesVersion.minor,
    gitVersion: `v${kubernetesVersion.major}.${kubernetesVersion.minor}.${kubernetesVersion.patch}+skiff.${skiffVersion()}`,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '',
    goVersion: `node${process.versions.node}`,
    compiler: 'skiff',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
  return cached;
}
