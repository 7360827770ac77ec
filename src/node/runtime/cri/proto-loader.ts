/**
 * Loads api.proto once for the client and the fake server. Options, chosen
 * once for both sides: field names in camelCase (keepCase false: the wire
 * carries numbers, not names), int64 as JavaScript numbers (nanosecond
 * timestamps lose their last bits — below a microsecond — which nothing
 * here needs), enums as their names, absent fields filled with defaults.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const protoLoaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

const protoInSource = join('src', 'node', 'runtime', 'cri', 'api.proto');

/**
 * Where api.proto is: beside this module when run from the sources; from
 * tsc's output (dist/src/…) or the bundle (dist/chunks/…), in the package's
 * src/ — the nearest directory upwards that holds it.
 */
export function locateProto(from = dirname(fileURLToPath(import.meta.url))): string {
  const beside = join(from, 'api.proto');
  if (existsSync(beside)) return beside;
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, protoInSource);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`the CRI protocol definition (api.proto) was not found beside ${from} nor in a ${protoInSource} above it`);
}

export interface CriServices {
  RuntimeService: grpc.ServiceClientConstructor;
  ImageService: grpc.ServiceClientConstructor;
}

let loaded: CriServices | undefined;

/** The two services' client constructors (and, through `.service`, their definitions for a server). */
export function criServices(): CriServices {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(locateProto(), protoLoaderOptions);
  const runtimeV1 = (grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: CriServices } }).runtime.v1;
  loaded = { RuntimeService: runtimeV1.RuntimeService, ImageService: runtimeV1.ImageService };
  return loaded;
}
