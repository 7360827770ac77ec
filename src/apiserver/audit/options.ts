/**
 * kube-apiserver's audit flags, their defaults and upstream's checks
 * (k8s.io/apiserver/pkg/server/options/audit.go). The log backend is on when
 * --audit-log-path is set; `-` is standard output.
 */
import { silentLogger, type Logger } from '../../util/log.js';
import { AuditLogBackend, auditBackendModes, defaultAuditBufferSize, type AuditBackendMode } from './log-backend.js';
import { auditLogFormats, type AuditLogFormat } from './format.js';
import { defaultAuditPolicy, type Policy } from './policy.js';
import { loadAuditPolicyFile } from './policy-file.js';

export const auditFlags = {
  'audit-policy-file': { type: 'string' },
  'audit-log-path': { type: 'string' },
  'audit-log-maxage': { type: 'string' },
  'audit-log-maxbackup': { type: 'string' },
  'audit-log-maxsize': { type: 'string' },
  'audit-log-format': { type: 'string' },
  'audit-log-compress': { type: 'boolean' },
  'audit-log-mode': { type: 'string' },
  'audit-log-batch-buffer-size': { type: 'string' },
} as const;

/** Upstream's help texts, for the CLI's usage. */
export const auditFlagHelp: Record<keyof typeof auditFlags, string> = {
  'audit-policy-file': 'Path to the file that defines the audit policy configuration.',
  'audit-log-path': "If set, all requests coming to the apiserver will be logged to this file.  '-' means standard out.",
  'audit-log-maxage': 'The maximum number of days to retain old audit log files based on the timestamp encoded in their filename.',
  'audit-log-maxbackup': "The maximum number of old audit log files to retain. Setting a value of 0 will mean there's no restriction on the number of files.",
  'audit-log-maxsize': 'The maximum size in megabytes of the audit log file before it gets rotated.',
  'audit-log-format': `Format of saved audits. "legacy" indicates 1-line text format for each event. "json" indicates structured json format. Known formats are ${auditLogFormats.join(',')}.`,
  'audit-log-compress': 'If set, the rotated log files will be compressed using gzip.',
  'audit-log-mode': `Strategy for sending audit events. Blocking indicates sending events should block server responses. Batch causes the backend to buffer and write events asynchronously. Known modes are ${auditBackendModes.join(',')}.`,
  'audit-log-batch-buffer-size': 'The size of the buffer to store events before batching and writing. Only used in batch mode.',
};

export interface AuditLogSettings {
  policyFile: string;
  path: string;
  maxAge: number;
  maxBackups: number;
  maxSize: number;
  format: AuditLogFormat;
  compress: boolean;
  mode: AuditBackendMode;
  bufferSize: number;
}

export const defaultAuditLogSettings: AuditLogSettings = {
  policyFile: '',
  path: '',
  maxAge: 0,
  maxBackups: 0,
  maxSize: 0,
  format: 'json',
  compress: false,
  mode: 'blocking',
  bufferSize: defaultAuditBufferSize,
};

/** A flag's integer, as pflag's IntVar parses it. */
function integer(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[+-]?\d{1,10}$/.test(value.trim())) throw new Error(`invalid argument ${JSON.stringify(value)} for "--${flag}" flag: strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  return Number(value.trim());
}

/** Settings from flag values; throws with pflag's message for a value that is not a number. */
export function auditSettingsFromFlags(values: Partial<Record<keyof typeof auditFlags, string | boolean>>): AuditLogSettings {
  const text = (key: keyof typeof auditFlags) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  return {
    policyFile: text('audit-policy-file') ?? defaultAuditLogSettings.policyFile,
    path: text('audit-log-path') ?? defaultAuditLogSettings.path,
    maxAge: integer('audit-log-maxage', text('audit-log-maxage'), defaultAuditLogSettings.maxAge),
    maxBackups: integer('audit-log-maxbackup', text('audit-log-maxbackup'), defaultAuditLogSettings.maxBackups),
    maxSize: integer('audit-log-maxsize', text('audit-log-maxsize'), defaultAuditLogSettings.maxSize),
    format: (text('audit-log-format') ?? defaultAuditLogSettings.format) as AuditLogFormat,
    compress: values['audit-log-compress'] === true,
    mode: (text('audit-log-mode') ?? defaultAuditLogSettings.mode) as AuditBackendMode,
    bufferSize: integer('audit-log-batch-buffer-size', text('audit-log-batch-buffer-size'), defaultAuditLogSettings.bufferSize),
  };
}

/** Upstream's AuditLogOptions.Validate: nothing is checked while the log backend is off. */
export function validateAuditLogSettings(settings: AuditLogSettings): string[] {
  if (settings.path === '') return [];
  const problems: string[] = [];
  if (!(auditBackendModes as readonly string[]).includes(settings.mode)) {
    problems.push(`invalid audit log mode ${settings.mode}, allowed modes are ${JSON.stringify(auditBackendModes.join(','))}`);
  } else if (settings.mode === 'batch' && settings.bufferSize <= 0) {
    problems.push(`invalid audit batch log buffer size ${settings.bufferSize}, must be a positive number`);
  }
  if (!(auditLogFormats as readonly string[]).includes(settings.format)) {
    problems.push(`invalid audit log format ${settings.format}, allowed formats are ${JSON.stringify(auditLogFormats.join(','))}`);
  }
  if (settings.maxAge < 0) problems.push(`--audit-log-maxage ${settings.maxAge} can't be a negative number`);
  if (settings.maxBackups < 0) problems.push(`--audit-log-maxbackup ${settings.maxBackups} can't be a negative number`);
  if (settings.maxSize < 0) problems.push(`--audit-log-maxsize ${settings.maxSize} can't be a negative number`);
  return problems;
}

export interface AuditLog {
  policy: Policy;
  backend: AuditLogBackend;
}

/**
 * The policy and the log backend the settings ask for, or undefined when
 * --audit-log-path is not set (nothing is recorded). Without
 * --audit-policy-file the given default applies (upstream records nothing;
 * skiff passes defaultAuditPolicy). Throws upstream's messages for bad
 * settings, an unreadable or invalid policy, or a log file that cannot be
 * created; logs the policy's unknown-field warnings.
 */
export function openAuditLog(settings: AuditLogSettings, options: { logger?: Logger; defaultPolicy?: Policy } = {}): AuditLog | undefined {
  if (settings.path === '') return undefined;
  const problems = validateAuditLogSettings(settings);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const logger = options.logger ?? silentLogger;
  let policy = options.defaultPolicy ?? defaultAuditPolicy;
  if (settings.policyFile !== '') {
    const loaded = loadAuditPolicyFile(settings.policyFile);
    for (const warning of loaded.warnings) logger({ component: 'audit', msg: warning, file: settings.policyFile });
    policy = loaded.policy;
  }
  const backend = new AuditLogBackend({
    path: settings.path,
    format: settings.format,
    mode: settings.mode,
    maxSizeMB: settings.maxSize,
    maxBackups: settings.maxBackups,
    maxAgeDays: settings.maxAge,
    compress: settings.compress,
    bufferSize: settings.bufferSize,
    logger,
  });
  return { policy, backend };
}
