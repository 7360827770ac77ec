/**
 * The apiserver's security flags of `skiff up` / `skiff server`, named and
 * checked as kube-apiserver's: authorization, authentication and admission
 * (audit and encryption flags join them).
 */
import { authorizationModes, defaultAuthorizationModes, type AuthorizationMode } from '../apiserver/authorization/authorizer.js';
import { UsageError } from './usage-error.js';
import { auditFlags, auditSettingsFromFlags, validateAuditLogSettings, type AuditLogSettings } from '../apiserver/audit/options.js';
import { selectAdmissionPlugins } from '../apiserver/admission/plugins.js';
import { completeDefaults, podSecurityDefaultsFromFlag, validatePodSecurityConfiguration, type PodSecurityDefaults, type PodSecurityExemptions } from '../apiserver/admission/pod-security/index.js';
import { renderFieldError } from '../machinery/status.js';
import { loadAdmissionConfiguration, type AdmissionPluginSettings } from '../apiserver/admission/admission-config.js';

export const securityFlags = {
  'authorization-mode': { type: 'string' },
  'token-auth-file': { type: 'string' },
  'authentication-config': { type: 'string' },
  'enable-admission-plugins': { type: 'string' },
  'disable-admission-plugins': { type: 'string' },
  'pod-security': { type: 'string' },
  'admission-control-config-file': { type: 'string' },
  'encryption-provider-config': { type: 'string' },
  ...auditFlags,
} as const;

export interface SecuritySettings {
  authorizationModes: AuthorizationMode[];
  /** --token-auth-file: static tokens (token,user,uid,"groups"). */
  tokenAuthFile?: string;
  /** --authentication-config: JWT issuers (AuthenticationConfiguration). */
  authenticationConfig?: string;
  /** --enable-admission-plugins / --disable-admission-plugins. */
  admission: { enable: string[]; disable: string[] };
  /** --pod-security LEVEL[:VERSION]: the Pod Security level of namespaces without labels (default privileged). */
  podSecurity: { defaults: PodSecurityDefaults; exemptions?: PodSecurityExemptions };
  /** --encryption-provider-config: an EncryptionConfiguration (default: DIR/encryption-config.yaml, made on first start). */
  encryptionProviderConfig?: string;
  /** --audit-*: the audit log; path undefined means DIR/audit.log, '' means none. */
  audit: AuditLogSettings & { pathGiven: boolean; rotationGiven: boolean };
}

const list = (value: string | boolean | undefined) => (typeof value === 'string' ? value : '').split(',').map((name) => name.trim()).filter((name) => name !== '');

export function securitySettingsFromFlags(values: Partial<Record<keyof typeof securityFlags, string | boolean>>): SecuritySettings {
  const text = (key: keyof typeof securityFlags) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const modeFlag = text('authorization-mode');
  const modes = modeFlag === undefined ? defaultAuthorizationModes : modeFlag.split(',').map((mode) => mode.trim());
  for (const mode of modes) {
    if (!(authorizationModes as readonly string[]).includes(mode)) {
      throw new UsageError(`--authorization-mode: authorization-mode ${JSON.stringify(mode)} is not a valid mode (choose from ${authorizationModes.join(', ')})`);
    }
  }
  if (new Set(modes).size !== modes.length) throw new UsageError(`--authorization-mode: ${values['authorization-mode']} has a mode more than once`);
  const admission = { enable: list(values['enable-admission-plugins']), disable: list(values['disable-admission-plugins']) };
  try {
    selectAdmissionPlugins(admission.enable, admission.disable);
  } catch (err) {
    throw new UsageError(`--enable-admission-plugins/--disable-admission-plugins: ${(err as Error).message}`);
  }
  // PodSecurity: an AdmissionConfiguration file's PodSecurityConfiguration, then --pod-security for the enforce level.
  let fromFile: AdmissionPluginSettings = {};
  const configFile = text('admission-control-config-file');
  if (configFile) {
    try {
      fromFile = loadAdmissionConfiguration(configFile);
    } catch (err) {
      throw new UsageError(`--admission-control-config-file: ${(err as Error).message}`);
    }
  }
  const flag = text('pod-security');
  let enforce: PodSecurityDefaults = {};
  try {
    if (flag !== undefined) enforce = (({ enforce, enforceVersion }) => ({ enforce, enforceVersion }))(podSecurityDefaultsFromFlag(flag));
  } catch (err) {
    throw new UsageError(`--pod-security ${flag}: ${(err as Error).message} (privileged, baseline or restricted, optionally :v1.N or :latest)`);
  }
  const podSecurity: SecuritySettings['podSecurity'] = { defaults: { ...fromFile.podSecurity?.defaults, ...enforce }, exemptions: fromFile.podSecurity?.exemptions };
  const podSecurityProblems = validatePodSecurityConfiguration(completeDefaults(podSecurity.defaults), podSecurity.exemptions ?? {});
  if (podSecurityProblems.length > 0) throw new UsageError(`--admission-control-config-file: PodSecurity configuration: ${podSecurityProblems.map(renderFieldError).join(', ')}`);
  let audit: AuditLogSettings;
  try {
    audit = auditSettingsFromFlags(values);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const problems = validateAuditLogSettings(audit);
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return {
    authorizationModes: modes as AuthorizationMode[],
    tokenAuthFile: text('token-auth-file'),
    authenticationConfig: text('authentication-config'),
    admission,
    podSecurity,
    encryptionProviderConfig: text('encryption-provider-config'),
    audit: { ...audit, pathGiven: values['audit-log-path'] !== undefined, rotationGiven: values['audit-log-maxsize'] !== undefined || values['audit-log-maxbackup'] !== undefined || values['audit-log-maxage'] !== undefined },
  };
}
