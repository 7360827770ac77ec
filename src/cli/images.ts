/**
 * `skiff images ls|pull|rm|prune|import`: the images a node holds, in its
 * data dir (what `crictl images` and `k3s ctr images` show). It works
 * beside a running agent: the image records are shared under a lock, and
 * removal keeps what a container uses (its records in `DIR/runtime`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importArchiveFile, nodeImageService, type ImageInfo } from '../node/images/index.js';
import { parseReference, formatReference } from '../node/images/reference.js';
import { runtimeStateCandidates } from '../node/runtime/process/state-dir.js';
import { resolveDataDir } from './control-plane.js';
import { UsageError } from './usage-error.js';

export const imagesUsage = `Usage:
  skiff images ls     [--data-dir DIR]                     the node's images
  skiff images pull   REF [--data-dir DIR] [--registries FILE]
  skiff images import FILE... [--data-dir DIR]             docker save or OCI layout archives (.tar, .tar.gz, .tar.zst)
  skiff images rm     REF|ID... [--data-dir DIR]           remove images no container uses
  skiff images prune  [--data-dir DIR]                     remove every image no container uses
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

/** The images the node's containers use, by normalized name (from the runtime's container records, wherever it keeps them). */
function imagesInUse(dataDir: string): Set<string> {
  const used = new Set<string>();
  for (const containers of runtimeStateCandidates(dataDir).map((stateDir) => join(stateDir, 'containers'))) addImagesOf(containers, used);
  return used;
}

function addImagesOf(containers: string, used: Set<string>): void {
  for (const id of existsSync(containers) ? readdirSync(containers) : []) {
    try {
      const record = JSON.parse(readFileSync(join(containers, id, 'container.json'), 'utf8')) as { image?: string; exitCode?: number };
      if (record.image) used.add(formatReference(parseReference(record.image)));
    } catch {
      /* not a container record, or a name that is no reference */
    }
  }
}

export async function runImagesCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' }, registries: { type: 'string' } }, allowPositionals: true, strict: true });
  const dataDir = resolveDataDir(values['data-dir']);
  const named = (what: string) => {
    if (positionals.length === 0) throw new UsageError(`skiff images ${verb} needs ${what}\n\n${imagesUsage}`);
    return positionals;
  };
  const used = () => imagesInUse(dataDir);
  const images = nodeImageService(dataDir, values.registries);
  const inUse = (image: ImageInfo) => image.repoTags.some((tag) => used().has(tag)) || image.repoDigests.some((digest) => used().has(digest));
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
        for (const image of await importArchiveFile(images, file)) process.stdout.write(`imported ${image.repoTags.join(', ') || '<none>'} ${image.id}\n`);
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
        } else if (inUse(image)) {
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
        if (inUse(image)) continue;
        await images.removeImage(image.id);
        freed += image.size;
        process.stdout.write(`deleted ${image.repoTags[0] ?? image.id}\n`);
      }
      process.stdout.write(`freed ${humanSize(freed)}\n`);
      return 0;
    }
    case 'help':
    case '--help':
      process.stdout.write(imagesUsage);
      return 0;
    default:
      throw new UsageError(`${verb === undefined ? 'skiff images needs a command' : `skiff images: unknown command "${verb}"`}\n\n${imagesUsage}`);
  }
}
