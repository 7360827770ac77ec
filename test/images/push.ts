/**
 * Test support: pushes images built by build-image.ts to a registry with the
 * distribution HTTP API v2 (monolithic blob uploads), as `docker push` would,
 * so pull code is tested against content a real registry has accepted.
 */
import { tlsFetch, type RegistryTls } from '../../src/node/images/registry-client.js';
import type { BuiltImage, BuiltIndex } from './build-image.js';

export interface PushCredentials {
  username: string;
  password: string;
}

/** fetch's types want ArrayBuffer-backed views; a Buffer from zlib or fs always is one. */
function asBody(bytes: Buffer): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

interface PushContext {
  fetch: typeof fetch;
  baseUrl: string;
  repository: string;
  headers: Record<string, string>;
}

async function failure(what: string, response: Response): Promise<Error> {
  const body = await response.text().catch(() => '');
  return new Error(`${what}: ${response.status} ${response.statusText} ${body}`.trim());
}

function isDigest(reference: string): boolean {
  return /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(reference);
}

async function blobExists(context: PushContext, digest: string): Promise<boolean> {
  const response = await context.fetch(`${context.baseUrl}/v2/${context.repository}/blobs/${digest}`, { method: 'HEAD', headers: context.headers });
  if (response.status === 200) return true;
  if (response.status === 404) return false;
  throw await failure(`HEAD blob ${digest} in ${context.repository}`, response);
}

async function uploadBlob(context: PushContext, digest: string, bytes: Buffer): Promise<void> {
  if (await blobExists(context, digest)) return;
  const started = await context.fetch(`${context.baseUrl}/v2/${context.repository}/blobs/uploads/`, { method: 'POST', headers: context.headers });
  if (started.status !== 202) throw await failure(`starting upload of ${digest} to ${context.repository}`, started);
  await started.arrayBuffer();
  const location = started.headers.get('location');
  if (!location) throw new Error(`starting upload of ${digest} to ${context.repository}: 202 without a Location header`);
  // Location may be relative or absolute and usually already carries the upload state in its query.
  const uploadUrl = new URL(location, `${context.baseUrl}/`);
  uploadUrl.searchParams.set('digest', digest);
  const finished = await context.fetch(uploadUrl, {
    method: 'PUT',
    headers: { ...context.headers, 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) },
    body: asBody(bytes),
  });
  if (finished.status !== 201) throw await failure(`uploading ${digest} to ${context.repository}`, finished);
  await finished.arrayBuffer();
}

async function putManifest(context: PushContext, reference: string, mediaType: string, manifest: Buffer, expectedDigest: string): Promise<void> {
  const response = await context.fetch(`${context.baseUrl}/v2/${context.repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...context.headers, 'Content-Type': mediaType },
    body: asBody(manifest),
  });
  if (response.status !== 201) throw await failure(`PUT manifest ${context.repository}:${reference}`, response);
  await response.arrayBuffer();
  const stored = response.headers.get('docker-content-digest');
  if (stored && stored !== expectedDigest) {
    throw new Error(`registry stored manifest ${context.repository}:${reference} as ${stored}, but its bytes hash to ${expectedDigest}`);
  }
}

async function pushSingleImage(context: PushContext, reference: string, image: BuiltImage): Promise<void> {
  for (const layer of image.layers) await uploadBlob(context, layer.digest, layer.blob);
  await uploadBlob(context, image.configDigest, image.config);
  await putManifest(context, reference, image.manifestMediaType, image.manifest, image.manifestDigest);
}

/**
 * Pushes an image, or an index and every image it lists, to `repository`
 * under `reference` (a tag or the manifest's digest). Returns the digest of
 * the manifest pushed under `reference`. Throws with the status and body of
 * the first request the registry refuses. `tls` is for an https registry
 * with its own CA or that wants a client certificate (as the node's client
 * takes it).
 */
export async function pushImage(
  registryUrl: string,
  repository: string,
  reference: string,
  image: BuiltImage | BuiltIndex,
  auth?: PushCredentials,
  tls?: RegistryTls,
): Promise<string> {
  if (isDigest(reference) && reference !== image.manifestDigest) {
    throw new Error(`cannot push a manifest with digest ${image.manifestDigest} by digest ${reference}`);
  }
  const headers: Record<string, string> = {};
  if (auth) headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const context: PushContext = { fetch: tls ? await tlsFetch(tls) : fetch, baseUrl: registryUrl.replace(/\/+$/, ''), repository, headers };

  if (image.kind === 'index') {
    // A registry refuses an index whose children it does not hold yet.
    for (const child of image.images) await pushSingleImage(context, child.manifestDigest, child);
    await putManifest(context, reference, image.manifestMediaType, image.manifest, image.manifestDigest);
  } else {
    await pushSingleImage(context, reference, image);
  }
  return image.manifestDigest;
}
