/**
 * `skiff images ls|pull|rm|prune|import`: the images a node holds (what
 * `crictl images` and `k3s ctr images` show) — in skiff's own store in the
 * data dir, or in containerd's when the node runs containerd (image-backend.ts
 * chooses). It works beside a running agent: skiff's store shares its image
 * records under a lock, and removal keeps what a container uses.
 */
import { parseArgs } from 'node:util';
import type { ImageInfo } from '../node/images/index.js';
import { resolveDataDir } from './data-dir.js';
import { openImageBackend, type ImageBackend } from './image-backend.js';
import { UsageError } from './usage-error.js';

export const imagesUsage = `Usage:
  skiff images ls     [--data-dir DIR]                     the node's images
  skiff images pull   REF [--data-dir DIR] [--registries FILE]
  skiff images import FILE... [--data-dir DIR]             docker save or OCI layout archives (.tar, .tar.gz, .tar.zst)
  skiff images rm     REF|ID... [--data-dir DIR]           remove images no container uses
  skiff images prune  [--data-dir DIR]                     remove every image no container uses

A node that runs containerd (skiff up --runtime containerd) keeps its images
in containerd: the commands then go to the containerd skiff runs for DIR
(it must be running), or to the one --container-runtime-endpoint names
(unix:///run/containerd/containerd.sock).
`;

function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)}${units[unit]}`;
}

function table(images: ImageInfo[]): string {
  const rows = images.flatMap((image) => {
    const names = image.repoTags.length ? image.repoTags : ['<none>'];
    return names.map((name) => {
      const colon = name === '<none>' ? -1 : name.lastIndexOf(':');
      return [colon < 0 ? name : name.slice(0, colon), colon < 0 ? '<none>' : name.slice(colon + 1), image.id.slice(7, 20), humanSize(image.size)];
    });
  });
  const all = [['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], ...rows.sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]))];
  const widths = all[0].map((_, i) => Math.max(...all.map((row) => row[i].length)));
  return all.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + '\n';
}

export async function runImagesCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'help' || verb === '--help') {
    process.stdout.write(imagesUsage);
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: { 'data-dir': { type: 'string' }, registries: { type: 'string' }, 'container-runtime-endpoint': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const named = (what: string) => {
    if (positionals.length === 0) throw new UsageError(`skiff images ${verb} needs ${what}\n\n${imagesUsage}`);
    return positionals;
  };
  if (!['ls', 'list', 'pull', 'import', 'rm', 'remove', 'prune'].includes(verb ?? '')) {
    throw new UsageError(`${verb === undefined ? 'skiff images needs a command' : `skiff images: unknown command "${verb}"`}\n\n${imagesUsage}`);
  }
  const backend = await openImageBackend({ dataDir: resolveDataDir(values['data-dir']), endpoint: values['container-runtime-endpoint'], registries: values.registries });
  try {
    return await runVerb(verb!, backend, named);
  } finally {
    backend.close();
  }
}

async function runVerb(verb: string, backend: ImageBackend, named: (what: string) => string[]): Promise<number> {
  const { images, inUse } = backend;
  switch (verb) {
    case 'ls':
    case 'list':
      process.stdout.write(table(await images.listImages()));
      return 0;
    case 'pull':
      for (const reference of named('an image reference')) {
        const { image, downloadedBytes } = await images.pullImage(reference);
        process.stdout.write(`${image.repoTags[0] ?? reference}: ${image.id} (${humanSize(image.size)}, ${humanSize(downloadedBytes)} downloaded)\n`);
      }
      return 0;
    case 'import':
      for (const file of named('an archive file')) {
        for (const name of await backend.importArchive(file)) process.stdout.write(`imported ${name}\n`);
      }
      return 0;
    case 'rm':
    case 'remove': {
      let failed = false;
      for (const reference of named('an image reference or id')) {
        const image = await images.imageStatus(reference);
        if (!image) {
          process.stderr.write(`skiff: image "${reference}" not found\n`);
          failed = true;
        } else if (await inUse(image)) {
          process.stderr.write(`skiff: image "${reference}" is in use by a container\n`);
          failed = true;
        } else {
          await images.removeImage(image.id);
          process.stdout.write(`deleted ${image.id}\n`);
        }
      }
      return failed ? 1 : 0;
    }
    case 'prune': {
      let freed = 0;
      for (const image of await images.listImages()) {
        if (await inUse(image)) continue;
        await images.removeImage(image.id);
        freed += image.size;
        process.stdout.write(`deleted ${image.repoTags[0] ?? image.id}\n`);
      }
      process.stdout.write(`freed ${humanSize(freed)}\n`);
      return 0;
    }
    default:
      throw new UsageError(`skiff images: unknown command "${verb}"\n\n${imagesUsage}`);
  }
}
