/** --admission-control-config-file: PodSecurity's defaults and exemptions, inline or from a path. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAdmissionConfiguration } from './admission-config.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-admission-config-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const podSecurity = `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: { enforce: baseline, enforce-version: latest, warn: restricted }
exemptions: { usernames: [ci-bot], namespaces: [kube-system], runtimeClasses: [] }
`;

it('reads PodSecurity inline and from a path', () => {
  const inline = file('inline.yaml', `apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n  - name: PodSecurity\n    configuration:\n${podSecurity.replace(/^/gm, '      ')}\n  - name: EventRateLimit\n    path: elsewhere.yaml\n`);
  const expected = {
    defaults: { enforce: 'baseline', enforceVersion: 'latest', audit: undefined, auditVersion: undefined, warn: 'restricted', warnVersion: undefined },
    exemptions: { usernames: ['ci-bot'], runtimeClasses: [], namespaces: ['kube-system'] },
  };
  assert.deepEqual(loadAdmissionConfiguration(inline).podSecurity, expected);
  file('pod-security.yaml', podSecurity);
  const byPath = file('by-path.yaml', 'apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n  - name: PodSecurity\n    path: pod-security.yaml\n');
  assert.deepEqual(loadAdmissionConfiguration(byPath).podSecurity, expected);
});

it('refuses what is not an AdmissionConfiguration or a PodSecurityConfiguration', () => {
  assert.throws(() => loadAdmissionConfiguration(file('wrong.yaml', 'kind: Nope\n')), /expected kind AdmissionConfiguration/);
  assert.throws(() => loadAdmissionConfiguration(file('bad.yaml', 'apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n  - name: PodSecurity\n    configuration: { kind: Other }\n')), /expected kind PodSecurityConfiguration/);
  assert.throws(() => loadAdmissionConfiguration(join(dir, 'missing.yaml')), /admission configuration .*missing.yaml/);
});
