/**
 * The node agent component: what `skiff up --runtime simulated` starts, and
 * the pieces to run one elsewhere.
 */
import { Client, InformerFactory, servicesResource, type ClientConfig } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';
import type { EnvSources } from './env.js';

/** What a container's environment reads of a Service. */
type Service = KubeObject & Awaited<ReturnType<EnvSources['services']>>[number];
import { NodeAgent, type AgentOptions } from './agent.js';

export { NodeAgent, type AgentOptions } from './agent.js';
export { SimulatedRuntime, type SimulatedRuntimeOptions } from './runtime/simulated/runtime.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './runtime/process/runtime.js';
export { machineAddress } from './node-status.js';
export { localPathStorageClass, localPathProvisioner } from './local-path.js';
export { NodePodFeed, SharedPodFeed, type PodFeed } from './pod-feed.js';
export type { Runtime, ContainerConfig, ContainerStatus, PodSandbox, PodSandboxConfig } from './runtime/runtime.js';

/**
 * Runs one agent against an apiserver until the signal aborts, with an
 * informer of Services for its containers' environments (one watch, rather
 * than a list request per container start).
 */
export async function runNodeAgent(config: ClientConfig, signal: AbortSignal, options: AgentOptions & { provisionerConfig?: ClientConfig }): Promise<void> {
  const client = new Client({ ...config, userAgent: `skiff-agent/${options.identity.name}` });
  const provisionerClient = options.provisionerConfig ? new Client({ ...options.provisionerConfig, userAgent: `skiff-agent/${options.identity.name}/local-path-provisioner` }) : undefined;
  const informers = new InformerFactory(client);
  const services = informers.informerFor<Service>(servicesResource);
  informers.start(signal);
  try {
    await new NodeAgent(client, {
      ...options,
      provisionerClient,
      services: options.services ?? (async (namespace) => {
        await services.waitForSync(signal);
        return services.lister.list(namespace);
      }),
    }).run(signal);
  } finally {
    client.close();
    provisionerClient?.close();
  }
}
export { CertificateRotation, rotationDeadline, type CertificateRotationOptions } from './certificate-rotation.js';
