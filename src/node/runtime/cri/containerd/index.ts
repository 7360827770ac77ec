/** The managed containerd: what the CLI and the CRI runtime use from this folder. */
export { startManagedContainerd, ManagedContainerdError, containerdRestartBackoff, type ManagedContainerd, type ManagedContainerdOptions } from './supervisor.js';
export { renderContainerdConfig, type ContainerdConfigOptions } from './config.js';
export { renderCniConfig, skiffBridgeFor, CNI_CONFLIST_NAME, type CniConfigOptions } from './cni.js';
export { renderContainerdRegistries, writeHostsDirectories, type ContainerdRegistries, type RegistryAuth } from './registries.js';
export { buildPauseImageArchive, ensurePauseImage, choosePauseProgram, SANDBOX_IMAGE } from './pause-image.js';
export { containerdPaths, type ContainerdPaths } from './paths.js';
