/**
 * What a request to kube-scheduler's or kube-controller-manager's secure
 * port asks: a non-resource request for its path with the method, lower
 * case, as the verb (`get`, `post`, `head`…), as upstream's request info
 * has it for paths outside /api and /apis. Health checks are allowed to
 * anyone by default (upstream's AlwaysAllowPaths), so the kubelet's probes
 * need no permission.
 */
import type { AccessAttributes } from './types.js';

export const componentAlwaysAllowPaths = ['/healthz', '/readyz', '/livez'];

export function componentRequestAttributes(method: string, path: string): AccessAttributes[] {
  return [{ nonResourceAttributes: { path, verb: method.toLowerCase() } }];
}
