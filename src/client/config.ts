/**
 * Where a client finds its cluster: a kubeconfig (the `KUBECONFIG` variable,
 * else `~/.kube/config`) or, inside a pod, the service account files the
 * node agent mounts at /var/run/secrets/kubernetes.io/serviceaccount.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig, type KubeconfigCredentials } from './kubeconfig.js';
import type { RotatingClientCertificate } from './rotating-certificate.js';
import type { TokenSource } from './service-account-credentials.js';
import type { RestClientMetricsRecorder } from './metrics/rest-client-metrics.js';

export type ClientConfig = KubeconfigCredentials & {
  /** Sent as User-Agent, e.g. `skiff-controller-manager`. */
  userAgent?: string;
  /** A client certificate that may be replaced while the client runs (takes the place of certPem/keyPem). */
  rotatingCertificate?: RotatingClientCertificate;
  /** A bearer token that may change while the client runs (takes the place of token). */
  tokenSource?: TokenSource;
  /** Where rest_client_requests_total and rest_client_request_duration_seconds are recorded (the component's registry). */
  metrics?: RestClientMetricsRecorder;
};

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The config of a kubeconfig file (default: $KUBECONFIG's first entry, else ~/.kube/config). */
export function configFromKubeconfig(path?: string, context?: string): ClientConfig {
  const file = path ?? process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');
  return loadKubeconfig(file, context);
}

/** The config of a pod's service account; undefined when not running in a pod. */
export function inClusterConfig(dir = serviceAccountDir, env: NodeJS.ProcessEnv = process.env): ClientConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(join(dir, 'token'))) return undefined;
  const config: ClientConfig = {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    token: readFileSync(join(dir, 'token'), 'utf8').trim(),
  };
  if (existsSync(join(dir, 'ca.crt'))) config.caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
  if (existsSync(join(dir, 'namespace'))) config.namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim();
  return config;
}

/** In a pod, its service account; elsewhere the kubeconfig. */
export function defaultConfig(): ClientConfig {
  return inClusterConfig() ?? configFromKubeconfig();
}
