/**
 * The node's image service as the CLI makes it: the store under the data
 * dir, the registries file (k3s's registries.yaml format), and the native
 * helper for whiteouts and device nodes.
 */
import { join } from 'node:path';
import { shimBinary } from '../runtime/process/shim-client.js';
import { LocalImageService } from './image-service.js';
import { loadRegistries, registryEndpoints } from './registries.js';

export { LocalImageService } from './image-service.js';
export { importArchiveFile } from './archive-import.js';
export { RegistriesConfigError } from './registries.js';
export type { ImageInfo, ImageService } from './types.js';

/** `DIR/image-store`, with registries from `registriesFile` (default `DIR/registries.yaml`, optional). */
export function nodeImageService(dataDir: string, registriesFile?: string): LocalImageService {
  const registries = loadRegistries(registriesFile ?? join(dataDir, 'registries.yaml'), registriesFile !== undefined);
  return new LocalImageService({ root: join(dataDir, 'image-store'), endpoints: (registry) => registryEndpoints(registries, registry), nodeHelper: shimBinary() });
}
