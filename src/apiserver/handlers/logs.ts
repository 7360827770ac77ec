/**
 * `GET pods/<name>/log` (kubectl logs): finds the container and the node
 * the pod runs on, and streams the node agent's answer back — the apiserver
 * as a proxy, as upstream. The agent is reached at the node's InternalIP and
 * `status.daemonEndpoints.kubeletEndpoint.Port`, with the apiserver's client
 * certificate.
 */
import { normalizeBooleanParameters } from '../../machinery/query-params.js';
import https from 'node:https';
import type { RequestContext } from '../context.js';
import { errors } from '../../machinery/status.js';

interface LogPod {
  spec?: { nodeName?: string; containers?: { name: string }[]; initContainers?: { name: string }[]; ephemeralContainers?: { name: string }[] };
  status?: { containerStatuses?: ContainerState[]; initContainerStatuses?: ContainerState[]; ephemeralContainerStatuses?: ContainerState[] };
}

interface ContainerState {
  name: string;
  state?: { waiting?: { reason?: string } };
  lastState?: { terminated?: object };
}

const passedOn = ['follow', 'timestamps', 'tailLines', 'sinceSeconds', 'sinceTime', 'limitBytes', 'previous'];

export async function handleLog(ctx: RequestContext): Promise<void> {
  const name = ctx.info.name!;
  const namespace = ctx.info.namespace!;
  const { object } = await ctx.storage.get(namespace, name);
  const pod = object as LogPod;
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const initContainers = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const ephemeralContainers = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name);
  let container = ctx.url.searchParams.get('container') ?? undefined;
  if (!container) {
    if (containers.length !== 1) {
      const init = initContainers.length ? ` or one of the init containers: [${initContainers.join(' ')}]` : '';
      const ephemeral = ephemeralContainers.length ? ` or one of the ephemeral containers: [${ephemeralContainers.join(' ')}]` : '';
      throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${init}${ephemeral}`);
    }
    container = containers[0];
  }
  if (![...containers, ...initContainers, ...ephemeralContainers].includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const status = statuses.find((s) => s.name === container);
  const nodeName = pod.spec?.nodeName;
  const waiting = status?.state?.waiting;
  if (!nodeName || !status || (waiting && !status.lastState?.terminated)) {
    throw errors.badRequest(`container "${container}" in pod "${name}" is waiting to start: ${waiting?.reason ?? 'ContainerCreating'}`);
  }
  const nodes = ctx.server.registry.find('', 'v1', 'nodes')!;
  const node = (await ctx.server.storageFor(nodes).get(undefined, nodeName)).object as {
    status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
  };
  const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  const client = ctx.server.nodeClient;
  if (!address || !port || !client) throw errors.badRequest(`the node ${nodeName} does not serve container logs`);

  const query = new URLSearchParams();
  for (const key of passedOn) {
    const value = ctx.url.searchParams.get(key);
    if (value !== null) query.set(key, value);
  }
  // follow=True (the Python client) means follow: the agent is told plainly.
  const forwarded = normalizeBooleanParameters(query, ['follow', 'timestamps', 'previous']);
  const path = `/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${forwarded}`;
  await new Promise<void>((resolve, reject) => {
    const upstream = https.request({ host: address, port, path, method: 'GET', ca: client.caPem, cert: client.certPem, key: client.keyPem, servername: undefined, checkServerIdentity: () => undefined }, (answer) => {
      if (answer.statusCode !== 200) {
        let text = '';
        answer.setEncoding('utf8');
        answer.on('data', (d: string) => (text += d));
        answer.on('end', () => reject(errors.badRequest(text.trim() || `the node answered ${answer.statusCode}`)));
        return;
      }
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain' });
      answer.pipe(ctx.res);
      answer.on('end', () => resolve());
      answer.on('error', () => resolve());
    });
    upstream.on('error', (err) => reject(errors.internal(`reaching the node ${nodeName}: ${err.message}`)));
    // The reader went away (kubectl logs -f interrupted): stop asking the node.
    ctx.res.on('close', () => {
      upstream.destroy();
      resolve();
    });
    upstream.end();
  });
}
