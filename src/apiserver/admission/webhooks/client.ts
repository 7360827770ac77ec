/**
 * Posting an AdmissionReview to a webhook, as conversion-webhook.ts reaches
 * a CRD's webhook: at its `url`, or through its Service (the ClusterIP and
 * port `resolveService` finds, the certificate checked against
 * `<service>.<namespace>.svc`), over HTTPS only, trusting the `caBundle`
 * (else the system's CAs). The whole exchange has one deadline — the
 * webhook's timeoutSeconds, also sent as `?timeout=Ns` as upstream does —
 * and the answer a bounded size. Failures read like Go's client errors
 * (`Post "https://…?timeout=10s": context deadline exceeded`), because they
 * end up in the messages clients see.
 */
import https from 'node:https';
import { posix } from 'node:path';
import type { ServiceResolver } from '../../conversion-webhook.js';
import type { Webhook } from '../../../api/admissionregistration/index.js';
import { isPlainObject } from '../../../machinery/object.js';
import { jsonNestingExceeds } from '../../handlers/nesting-depth.js';

/**
 * The most a webhook's answer may hold. Upstream reads answers whole; an
 * answer is an AdmissionResponse whose patch may at most rewrite an object of
 * the 3 MiB request limit (base64 adds a third), so 16 MiB leaves room.
 */
export const maxResponseBytes = 16 * 1024 * 1024;

/** upstream's client-go cap on the text of a non-JSON error answer. */
const maxErrorTextBytes = 2048;

/** The client could not be built from the configuration (upstream: could not get REST client). */
export class ClientConfigError extends Error {}

interface Target {
  host: string;
  port: number;
  path: string;
  servername?: string;
  /** The URL as upstream's messages print it. */
  display: string;
}

/** Go's path.Join("/", p): no trailing slash, no empty path. */
function cleanPath(path: string): string {
  const normalized = posix.normalize(`/${path}`);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

async function resolveTarget(config: Webhook['clientConfig'], timeoutSeconds: number, resolveService: ServiceResolver): Promise<Target> {
  const query = `?timeout=${timeoutSeconds}s`;
  if (config.url !== undefined) {
    let url: URL;
    try {
      url = new URL(config.url);
    } catch {
      throw new ClientConfigError(`Unparsable URL: parse ${JSON.stringify(config.url)}: invalid URL`);
    }
    if (url.protocol !== 'https:') throw new ClientConfigError(`the webhook URL ${JSON.stringify(config.url)} must use https`);
    const path = cleanPath(decodeURIComponent(url.pathname));
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443), path, display: `https://${url.host}${path}${query}` };
  }
  const service = config.service;
  if (!service) throw new ClientConfigError('webhook configuration must have either service or URL');
  const port = service.port ?? 443;
  const servername = `${service.name}.${service.namespace}.svc`;
  const path = cleanPath(service.path ?? '');
  const display = `https://${servername}:${port}${path}${query}`;
  const where = await resolveService(service.namespace, service.name, port);
  if (!where) throw new Error(`Post ${JSON.stringify(display)}: service ${JSON.stringify(service.name)} not found`);
  return { host: where.host, port: where.port, path, servername, display };
}

function caOf(caBundle: string | undefined): string | undefined {
  if (!caBundle) return undefined;
  const pem = Buffer.from(caBundle, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ClientConfigError('unable to load root certificates: unable to parse bytes as PEM block');
  return pem;
}

/** Node's socket and TLS failures in the words Go's client uses for them. */
function describeFailure(err: NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }, target: Target): string {
  const address = `${bracketed(err.address ?? target.host)}:${err.port ?? target.port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${address}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${address}: connect: network is unreachable`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${err.hostname ?? target.host}: no such host`;
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${target.servername ?? target.host}`;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    default:
      return err.message;
  }
}

interface RawResponse {
  statusCode: number;
  contentType: string;
  body: Buffer;
}

/** A kept-alive connection the server had just closed: nothing reached the webhook, so trying again is safe. */
class StaleConnectionError extends Error {}

function post(target: Target, body: string, ca: string | undefined, deadlineAt: number, agent: https.Agent): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let answered = false;
    let deadline: NodeJS.Timeout | undefined;
    const fail = (message: string, error: new (message: string) => Error = Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      reject(new error(`Post ${JSON.stringify(target.display)}: ${message}`));
    };
    let req: ReturnType<typeof https.request>;
    try {
      req = https.request({
        host: target.host,
        port: target.port,
        path: `${target.path}?${target.display.split('?')[1]}`,
        method: 'POST',
        agent,
        ca,
        servername: target.servername,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          Accept: 'application/json, */*',
          'User-Agent': 'kube-apiserver-admission',
        },
      });
    } catch (err) {
      reject(new ClientConfigError((err as Error).message));
      return;
    }
    deadline = setTimeout(() => {
      fail('context deadline exceeded');
      req.destroy();
    }, Math.max(0, deadlineAt - Date.now()));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && err.code === 'ECONNRESET' && !answered;
      fail(describeFailure(err, target), stale ? StaleConnectionError : Error);
    });
    req.on('response', (res) => {
      answered = true;
      const declared = Number(res.headers['content-length']);
      if (declared > maxResponseBytes) {
        fail(`response body larger than ${maxResponseBytes} bytes`);
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxResponseBytes) {
          fail(`response body larger than ${maxResponseBytes} bytes`);
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => fail(describeFailure(err, target)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve({ statusCode: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) });
      });
    });
    req.end(body);
  });
}

/** client-go's message for an error answer that is not a Status object. */
function unstructuredError(response: RawResponse): string {
  const { statusCode: code, contentType } = response;
  const textual = contentType === '' || contentType.startsWith('text/');
  const serverMessage = textual ? response.body.subarray(0, maxErrorTextBytes).toString('utf8').trim() : 'unknown';
  switch (code) {
    case 400:
      return 'the server rejected our request for an unknown reason';
    case 401:
      return 'the server has asked for the client to provide credentials';
    case 403:
      return serverMessage;
    case 404:
      return 'the server could not find the requested resource';
    case 405:
      return 'the server does not allow this method on the requested resource';
    case 406:
      return serverMessage === '' || serverMessage === 'unknown' ? 'the server was unable to respond with a content type that the client supports' : serverMessage;
    case 409:
      return 'the server reported a conflict';
    case 415:
      return serverMessage;
    case 422:
      return 'the server rejected our request due to an error in our request';
    case 429:
      return 'the server has received too many requests and has asked us to try again later';
    case 503:
      return 'the server is currently unable to handle the request';
    case 504:
      return 'the server was unable to return a response in the time allotted, but may still be processing the request';
    default:
      if (code >= 500) return `an error on the server (${JSON.stringify(serverMessage)}) has prevented the request from succeeding`;
      return `the server responded with the status code ${code} but did not return more information`;
  }
}

/** A Status object in an error answer is preferred to the generic text, as client-go does. */
function statusMessageOf(body: Buffer): string | undefined {
  if (jsonNestingExceeds(body)) return undefined;
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (isPlainObject(value) && value.kind === 'Status' && value.status !== 'Success' && typeof value.message === 'string') return value.message;
  } catch {
    // not JSON: the generic text it is
  }
  return undefined;
}

export interface PostReviewOptions {
  clientConfig: Webhook['clientConfig'];
  body: string;
  timeoutSeconds: number;
  resolveService: ServiceResolver;
  agent: https.Agent;
}

/**
 * The webhook's answer as parsed JSON. Throws ClientConfigError when no call
 * could be made from the configuration, else an Error saying why the call failed.
 */
export async function postAdmissionReview(options: PostReviewOptions): Promise<unknown> {
  const target = await resolveTarget(options.clientConfig, options.timeoutSeconds, options.resolveService);
  const ca = caOf(options.clientConfig.caBundle);
  const deadlineAt = Date.now() + options.timeoutSeconds * 1000;
  let response: RawResponse;
  try {
    response = await post(target, options.body, ca, deadlineAt, options.agent);
  } catch (err) {
    if (!(err instanceof StaleConnectionError)) throw err;
    response = await post(target, options.body, ca, deadlineAt, options.agent);
  }
  if (response.statusCode < 200 || response.statusCode > 206) throw new Error(statusMessageOf(response.body) ?? unstructuredError(response));
  if (jsonNestingExceeds(response.body)) throw new Error("couldn't get version/kind; json parse error: exceeded max depth");
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch (err) {
    throw new Error(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}
