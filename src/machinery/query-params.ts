/**
 * Boolean query parameters as upstream's parameter codec reads them into
 * options structs (ListOptions.watch, PodLogOptions.follow,
 * PodExecOptions.stdin, …): absent, "false" in any case and "0" are false;
 * anything else — "true", "True" (what the Python client sends), "1", even
 * "" — is true.
 */
export function isTrueParameter(value: string | null | undefined): boolean {
  return value !== undefined && value !== null && value !== '0' && value.toLowerCase() !== 'false';
}

/**
 * Booleans among `names` rewritten as "true" or "false", other parameters
 * kept: what the apiserver forwards to a node agent says plainly what it
 * decided (the kubelet reads only its own spelling).
 */
export function normalizeBooleanParameters(params: URLSearchParams, names: readonly string[]): URLSearchParams {
  const normalized = new URLSearchParams();
  for (const [key, value] of params) normalized.append(key, names.includes(key) ? String(isTrueParameter(value)) : value);
  return normalized;
}
