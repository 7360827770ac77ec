/**
 * The image side of the node benchmark (bench/node.ts): an image of about
 * 10 MB in three layers, served by a real registry on loopback (Debian's
 * docker-registry, as the image tests use), for pods of an image to be
 * compared with pods of the node's own files (`runtimeClassName: host`);
 * and what a first pull of that image costs: download, verification and
 * unpacking into a fresh store, in this process, with the node's own image
 * service.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalImageService } from '../src/node/images/image-service.js';
import { canIsolate } from '../src/node/runtime/process/host.js';
import { shimBinary } from '../src/node/runtime/process/shim-client.js';
import { buildImage, busyboxLayer, type BuiltImage, type LayerEntry } from '../test/images/build-image.js';
import { pushImage } from '../test/images/push.js';
import { registrySkipReason, startRegistry, type TestRegistry } from '../test/images/registry.js';
import { cliPath } from './cluster.js';
import { filesystemOf, median } from './stats.js';

/** Two layers of this much random data: with busybox's, about 10 MB to pull. */
const randomLayerBytes = 4.5 * 2 ** 20;
/** Files per random layer: an unpack makes several files, as with real images, not one big one. */
const filesPerRandomLayer = 4;
const pullsTimed = 5;

export interface BenchImage {
  /** The reference pods name (`127.0.0.1:PORT/bench/sleep:v1`). */
  reference: string;
  /** A registries.yaml for the agent: the loopback registry as its own mirror, over plain http. */
  registriesFile: string;
  registry: TestRegistry;
  built: BuiltImage;
  /** Stops the registry and removes every file made for the image. */
  stop(): Promise<void>;
}

/** Why pods of images cannot be measured here, or false when they can. */
export function imageSkipReason(): string | false {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (pods of images are isolated, with overlay root file systems)';
  if (!canIsolate()) return 'this machine does not allow the namespaces pods of images need';
  const registry = registrySkipReason();
  if (registry) return registry;
  // The image's root file system is the host's busybox: it must run without a libc.
  if (!existsSync('/bin/busybox')) return '/bin/busybox is missing (apt-get install busybox-static)';
  if (!shimBinary()) return 'the node helper (skiff-shim) is not built (npm run build)';
  return false;
}

/**
 * Random bytes, so compression cannot shrink them: the layers cost what
 * their size says, as the binaries and compressed assets of real images do.
 */
function randomLayer(name: string): LayerEntry[] {
  const fileBytes = Math.round(randomLayerBytes / filesPerRandomLayer);
  return Array.from({ length: filesPerRandomLayer }, (_, i) => ({ path: `data/${name}/${i}.bin`, content: randomBytes(fileBytes) }));
}

/** Starts the registry, builds the image and pushes it; the caller stops it (also on failure). */
export async function startBenchImage(): Promise<BenchImage> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-images-'));
  let registry: TestRegistry | undefined;
  try {
    registry = await startRegistry();
    // buildImage gzips each layer (its default, and what most registries serve).
    const built = await buildImage({
      layers: [{ entries: busyboxLayer() }, { entries: randomLayer('a') }, { entries: randomLayer('b') }],
      config: { Cmd: ['sleep', '3600'], Env: ['PATH=/bin'] },
    });
    await pushImage(registry.url, 'bench/sleep', 'v1', built);
    const registriesFile = join(dir, 'registries.yaml');
    // The registry is named as its own mirror so the agent asks it over plain http (as in test/e2e/images.test.ts).
    writeFileSync(registriesFile, `mirrors:\n  "${registry.host}": { endpoint: ["${registry.url}"] }\n`);
    const running = registry;
    return {
      reference: `${registry.host}/bench/sleep:v1`,
      registriesFile,
      registry,
      built,
      async stop() {
        await running.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Pulls the image into an agent's data dir with `skiff images pull`, as an operator would before the agent starts. */
export function prePull(image: BenchImage, agentDir: string): void {
  const pulled = spawnSync(process.execPath, [cliPath, 'images', 'pull', image.reference, '--data-dir', agentDir, '--registries', image.registriesFile], { encoding: 'utf8' });
  if (pulled.status !== 0) throw new Error(`skiff images pull ${image.reference} failed (${pulled.status ?? pulled.signal}): ${pulled.stderr}`);
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

/** The image's layers as a sentence: what each holds, its tar and its blob sizes. */
export function describeImage(image: BenchImage): string {
  const what = ['busybox', 'random', 'random'];
  const layers = image.built.layers.map((layer, i) => `${what[i] ?? 'layer'} ${mib(layer.tar.length)} tar → ${mib(layer.size)} ${layer.compression}`);
  const total = image.built.layers.reduce((sum, layer) => sum + layer.size, 0);
  return `${image.built.layers.length} layers, ${mib(total)} to download: ${layers.join('; ')}`;
}

/** CPU seconds of this process and of the children it has reaped (the node helper an unpack may start). */
function ownCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
}

export interface PullFigures {
  samplesMs: number[];
  medianMs: number;
  /** CPU of this process (and reaped children) per pull, median. */
  cpuMs: number;
  downloadedBytes: number;
  /** Only the transfer: the same blobs fetched from the registry and thrown away, median. */
  transferMs: number;
  /** The file system the stores were on. */
  filesystem: string;
}

/**
 * First pulls of the image, each into a fresh store in a temp dir with the
 * node's image service (what the agent runs for a pod of an image not on the
 * node yet): manifest, config and layers downloaded and verified, the layers
 * unpacked. The registry's blobs are in the page cache after the push, so
 * this is the node's cost, not a disk's or a network's.
 */
export async function measurePulls(image: BenchImage): Promise<PullFigures> {
  const samples: number[] = [];
  const cpu: number[] = [];
  let downloadedBytes = 0;
  const filesystem = filesystemOf(tmpdir());
  for (let i = 0; i < pullsTimed; i++) {
    const root = mkdtempSync(join(tmpdir(), 'skiff-bench-pull-'));
    try {
      const images = new LocalImageService({ root, endpoints: () => [{ url: image.registry.url }], nodeHelper: shimBinary() });
      const cpuBefore = ownCpuSeconds();
      const started = performance.now();
      const pulled = await images.pullImage(image.reference);
      samples.push(performance.now() - started);
      cpu.push((ownCpuSeconds() - cpuBefore) * 1000);
      downloadedBytes = pulled.downloadedBytes;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return { samplesMs: samples, medianMs: median(samples), cpuMs: median(cpu), downloadedBytes, transferMs: await transferMs(image), filesystem };
}

/** How long only fetching the layer blobs takes (no verification, no unpacking), median of as many tries. */
async function transferMs(image: BenchImage): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < pullsTimed; i++) {
    const started = performance.now();
    for (const layer of image.built.layers) {
      const response = await fetch(`${image.registry.url}/v2/bench/sleep/blobs/${layer.digest}`);
      if (!response.ok) throw new Error(`GET blob ${layer.digest}: ${response.status}`);
      await response.arrayBuffer();
    }
    samples.push(performance.now() - started);
  }
  return median(samples);
}

export function printPullFigures(pulls: PullFigures): void {
  const seconds = pulls.medianMs / 1000;
  console.log(
    `image pull (the image above, ${(pulls.downloadedBytes / 2 ** 20).toFixed(2)} MiB of layers): first pull and unpack into a fresh store (${pulls.filesystem}) from the loopback registry, ` +
      `median ${pulls.medianMs.toFixed(0)} ms of ${pulls.samplesMs.length} (${pulls.samplesMs.map((ms) => ms.toFixed(0)).join(', ')} ms), ${(pulls.downloadedBytes / 2 ** 20 / seconds).toFixed(1)} MiB/s; ` +
      `${pulls.cpuMs.toFixed(0)} ms CPU in the pulling process; fetching the layer blobs alone takes ${pulls.transferMs.toFixed(0)} ms`,
  );
}
