/**
 * `--admission-control-config-file`: upstream's AdmissionConfiguration
 * (apiserver.config.k8s.io/v1), a list of plugins each with its
 * configuration, inline or in a file of its own. skiff reads the one a
 * plugin of its takes: PodSecurity's PodSecurityConfiguration
 * (pod-security.admission.config.k8s.io/v1 — defaults and exemptions).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import type { PodSecurityDefaults, PodSecurityExemptions } from './pod-security/index.js';

export interface AdmissionPluginSettings {
  podSecurity?: { defaults?: PodSecurityDefaults; exemptions?: PodSecurityExemptions };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const strings = (value: unknown, what: string): string[] | undefined => {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new Error(`${what} must be a list of strings`);
  return value as string[];
};
const text = (value: unknown, what: string): string | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`${what} must be a string`);
  return value;
};

/** PodSecurityConfiguration → the plugin's options (its `defaults` use upstream's hyphenated names). */
function podSecurityConfiguration(value: unknown, where: string): AdmissionPluginSettings['podSecurity'] {
  if (!isObject(value)) throw new Error(`${where}: the PodSecurity configuration must be an object`);
  const versions = ['pod-security.admission.config.k8s.io/v1', 'pod-security.admission.config.k8s.io/v1beta1'];
  if (value.kind !== 'PodSecurityConfiguration' || !versions.includes(String(value.apiVersion))) {
    throw new Error(`${where}: expected kind PodSecurityConfiguration of ${versions.join(' or ')}, got ${String(value.kind)} of ${String(value.apiVersion)}`);
  }
  const defaults = isObject(value.defaults) ? value.defaults : {};
  const exemptions = isObject(value.exemptions) ? value.exemptions : {};
  return {
    defaults: {
      enforce: text(defaults.enforce, `${where}: defaults.enforce`),
      enforceVersion: text(defaults['enforce-version'], `${where}: defaults.enforce-version`),
      audit: text(defaults.audit, `${where}: defaults.audit`),
      auditVersion: text(defaults['audit-version'], `${where}: defaults.audit-version`),
      warn: text(defaults.warn, `${where}: defaults.warn`),
      warnVersion: text(defaults['warn-version'], `${where}: defaults.warn-version`),
    },
    exemptions: {
      usernames: strings(exemptions.usernames, `${where}: exemptions.usernames`),
      runtimeClasses: strings(exemptions.runtimeClasses, `${where}: exemptions.runtimeClasses`),
      namespaces: strings(exemptions.namespaces, `${where}: exemptions.namespaces`),
    },
  };
}

/** Reads an AdmissionConfiguration; errors name the file and what is wrong. */
export function loadAdmissionConfiguration(path: string): AdmissionPluginSettings {
  const where = `admission configuration ${path}`;
  let document: unknown;
  try {
    document = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObject(document) || document.kind !== 'AdmissionConfiguration' || !['apiserver.config.k8s.io/v1', 'apiserver.k8s.io/v1alpha1'].includes(String(document.apiVersion))) {
    throw new Error(`${where}: expected kind AdmissionConfiguration of apiserver.config.k8s.io/v1`);
  }
  const settings: AdmissionPluginSettings = {};
  for (const [i, plugin] of (Array.isArray(document.plugins) ? document.plugins : []).entries()) {
    if (!isObject(plugin) || typeof plugin.name !== 'string') throw new Error(`${where}: plugins[${i}] needs a name`);
    // Configurations of plugins skiff does not configure are accepted and left alone, as upstream ignores unused ones.
    if (plugin.name !== 'PodSecurity') continue;
    let configuration = plugin.configuration;
    if (configuration === undefined && typeof plugin.path === 'string') {
      const file = resolve(dirname(path), plugin.path);
      try {
        configuration = parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`${where}: plugins[${i}].path ${file}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    settings.podSecurity = podSecurityConfiguration(configuration, `${where}: plugins[${i}] (PodSecurity)`);
  }
  return settings;
}
