/**
 * The node agent component: what `skiff up --runtime simulated` starts, and
 * the pieces to run one elsewhere.
 */
import { Client, type ClientConfig } from '../client/index.js';
import { NodeAgent, type AgentOptions } from './agent.js';

export { NodeAgent, type AgentOptions } from './agent.js';
export { SimulatedRuntime, type SimulatedRuntimeOptions } from './runtime/simulated/runtime.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './runtime/process/runtime.js';
export { machineAddress } from './node-status.js';
export { localPathStorageClass, localPathProvisioner } from './local-path.js';
export { NodePodFeed, SharedPodFeed, type PodFeed } from './pod-feed.js';
export type { Runtime, ContainerConfig, ContainerStatus, PodSandbox, PodSandboxConfig } from './runtime/runtime.js';

/** Runs one agent against an apiserver until the signal aborts. */
export async function runNodeAgent(config: ClientConfig, signal: AbortSignal, options: AgentOptions): Promise<void> {
  const client = new Client({ ...config, userAgent: `skiff-agent/${options.identity.name}` });
  try {
    await new NodeAgent(client, options).run(signal);
  } finally {
    client.close();
  }
}
export { CertificateRotation, rotationDeadline, type CertificateRotationOptions } from './certificate-rotation.js';
