/**
 * What a container of an image gets from the process runtime, beyond its
 * command: its root file system (the image's unpacked layers under an
 * overlay, with a writable layer of its own in the container's directory,
 * removed with it), the process the image and the pod make together
 * (image-process.ts), and its security settings (security.ts).
 */
import { closeSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalImageService } from '../../images/image-service.js';
import type { ContainerConfig } from '../runtime.js';
import type { ContainerSpec } from './container-spec.js';
import { ContainerConfigError, imageProcess } from './image-process.js';
import { containerCapabilities, hiddenPaths, noNewPrivileges, SecurityError } from './security.js';

/** Files of an image read to resolve its user: small, and read only this far. */
const maxUserFileBytes = 1024 * 1024;

/**
 * A file of an image, as the container would see it: from the top-most
 * layer that has it, unless a layer above deleted it (an overlayfs
 * whiteout: a character device). Directories made opaque above are not
 * looked at (an image that replaces all of /etc in a later layer is rare).
 */
export function readImageFile(layerDirs: string[], path: string): string | undefined {
  for (const layer of layerDirs) {
    const file = join(layer, path);
    let stat;
    try {
      stat = lstatSync(file);
    } catch {
      continue;
    }
    if (stat.isCharacterDevice()) return undefined;
    if (!stat.isFile()) return undefined;
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(stat.size, maxUserFileBytes));
      const read = readSync(fd, buffer, 0, buffer.length, 0);
      return buffer.subarray(0, read).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }
  return undefined;
}

/**
 * The parts of a container's spec that come from its image and its
 * security context. The root file system's mount point goes in the
 * container's dir; its writable layer (the overlay's upper and work dirs)
 * in `writableDir`, which may be elsewhere (on disk, when the container's
 * dir is in memory: see state-dir.ts).
 */
export async function imageContainerSpec(images: LocalImageService, config: ContainerConfig, containerDir: string, writableDir = containerDir): Promise<Pick<ContainerSpec, 'argv' | 'env' | 'workingDir' | 'rootfs' | 'user' | 'capabilities' | 'noNewPrivileges'>> {
  const image = await images.imageStatus(config.image);
  if (!image) throw new ContainerConfigError(`image "${config.image}" is not present on the node`);
  images.markUsed(image.id);
  // overlayfs stacks lower dirs top-most first.
  const lowerDirs = image.layers.map((diffId) => images.layerPath(diffId)).reverse();
  const security = config.security ?? {};
  const process = imageProcess({
    image: image.config,
    command: config.command,
    args: config.args,
    env: config.env ?? {},
    workingDir: config.workingDir,
    runAsUser: security.runAsUser,
    runAsGroup: security.runAsGroup,
    supplementalGroups: security.supplementalGroups,
    fsGroup: security.fsGroup,
    passwd: readImageFile(lowerDirs, 'etc/passwd'),
    group: readImageFile(lowerDirs, 'etc/group'),
  });
  let capabilities: number[];
  try {
    capabilities = containerCapabilities(security);
  } catch (err) {
    if (err instanceof SecurityError) throw new ContainerConfigError(err.message);
    throw err;
  }
  const rootfs = { dir: join(containerDir, 'rootfs'), upperDir: join(writableDir, 'upper'), workDir: join(writableDir, 'work') };
  for (const dir of Object.values(rootfs)) mkdirSync(dir, { recursive: true });
  return {
    ...process,
    rootfs: { ...rootfs, lowerDirs, readOnly: security.readOnlyRootFilesystem ?? false, privileged: security.privileged ?? false, ...hiddenPaths(security) },
    capabilities,
    noNewPrivileges: noNewPrivileges(security),
  };
}
