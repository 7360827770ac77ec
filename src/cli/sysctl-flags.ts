/**
 * The kubelet's `--allowed-unsafe-sysctls`, for `skiff up`, `skiff server`
 * and `skiff agent`: a comma-separated list of sysctls (or prefixes ending
 * in `*`) pods may set beside the safe ones, e.g. `net.core.somaxconn` or
 * `kernel.msg*`. Only namespaced sysctls can be allowed; anything else is a
 * usage error, as the kubelet refuses to start with one.
 */
import { SysctlAllowlist, SysctlPatternError } from '../node/sysctls.js';
import { UsageError } from './usage-error.js';

export const sysctlFlags = {
  'allowed-unsafe-sysctls': { type: 'string' },
} as const;

/** The allowlist the flag gives, or undefined without it (the safe sysctls only). */
export function sysctlAllowlistFromFlags(values: { 'allowed-unsafe-sysctls'?: string }): SysctlAllowlist | undefined {
  const flag = values['allowed-unsafe-sysctls'];
  if (flag === undefined) return undefined;
  const patterns = flag.split(',').map((p) => p.trim()).filter(Boolean);
  try {
    return new SysctlAllowlist(patterns);
  } catch (err) {
    if (err instanceof SysctlPatternError) throw new UsageError(`--allowed-unsafe-sysctls: ${err.message}`);
    throw err;
  }
}
