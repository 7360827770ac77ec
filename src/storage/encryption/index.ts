/**
 * Encryption at rest (`--encryption-provider-config`): configuration,
 * upstream's value transformers, and the Store wrapper that applies them.
 */
export {
  EncryptionConfigurationError,
  EncryptionProviders,
  loadEncryptionConfiguration,
  loadEncryptionConfigurationFile,
  maxEncryptionConfigurationBytes,
  type LoadOptions,
} from './config.js';
export { EncryptedStore, StorageTransformError, type EncryptedStoreOptions } from './encrypted-store.js';
export { ensureEncryptionConfiguration, generatedConfigurationFileName, generatedEncryptionConfiguration } from './generated-key.js';
export { groupResourceOfKey } from './storage-keys.js';
export { TransformError, type ReadResult, type ValueTransformer } from './transformers.js';
export type { EncryptionConfiguration, ProviderConfiguration, ResourceConfiguration } from './types.js';
export type { GroupResource } from './validation.js';
