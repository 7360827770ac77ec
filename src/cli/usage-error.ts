/**
 * A flag or argument the command cannot use: `skiff` says why and exits
 * with code 2, as for a flag it does not know. A module of its own with no
 * imports, so what throws it loads nothing more (start time).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** True for a UsageError and for node's parseArgs complaints (an unknown flag, a missing value). */
export function isUsageError(err: unknown): boolean {
  return (err as { name?: unknown })?.name === 'UsageError' || String((err as { code?: unknown })?.code ?? '').startsWith('ERR_PARSE_ARGS');
}
