/**
 * The proxy subresources with the real kubectl 1.32 against a real pod (the
 * process runtime as an ordinary user — `nobody` when the tests run as root —
 * so the pod is a host process and needs no network lock): `kubectl get --raw`
 * through services/proxy (by port number and name), pods/proxy and
 * nodes/proxy, and `kubectl proxy --port=0` with HTTP requests and a
 * WebSocket through it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { freePort, hostDeployment, waitFor, type Cluster, startHostProcessCluster } from './harness.js';

describe('proxy subresources with kubectl', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startHostProcessCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kubectl get --raw and kubectl proxy reach a pod through services/proxy, pods/proxy and nodes/proxy', async () => {
    const podPort = await freePort();
    const servicePort = await freePort();
    // The harness's kubectl adds ?timeout=30s (--request-timeout), which the proxy passes on as upstream does: the pod leaves it out.
    // A WebSocket upgrade is answered by hand (the pod has no libraries): one text frame naming the path.
    const server = [
      `const server = require('http').createServer((q, s) => { const u = new URL(q.url, 'http://pod'); u.searchParams.delete('timeout'); s.end('hi ' + q.method + ' ' + u.pathname + u.search); });`,
      `server.on('upgrade', (q, socket) => {`,
      `  const accept = require('crypto').createHash('sha1').update(q.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');`,
      `  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept + '\\r\\n\\r\\n');`,
      `  const text = Buffer.from('ws ' + q.url); socket.write(Buffer.concat([Buffer.from([0x81, text.length]), text]));`,
      `});`,
      `server.listen(${podPort});`,
    ].join('\n');
    await cluster.kubectl(['apply', '-f', '-'], { input: hostDeployment('web', [process.execPath, '-e', server], { image: 'node', port: podPort }) });
    await cluster.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: servicePort, targetPort: podPort }] },
      }),
    });
    await cluster.kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s']);

    // The Endpoints follow the pod's readiness: wait until the service has somewhere to go.
    const byNumber = `/api/v1/namespaces/default/services/web:${servicePort}/proxy/`;
    const root = await waitFor(async () => {
      const result = await cluster.kubectl(['get', '--raw', byNumber], { allowFailure: true });
      return result.code === 0 ? result.stdout : undefined;
    }, { message: 'services/proxy answers' });
    assert.equal(root, 'hi GET /');
    const byName = await cluster.kubectl(['get', '--raw', '/api/v1/namespaces/default/services/http:web:http/proxy/some/path?a=b']);
    assert.equal(byName.stdout, 'hi GET /some/path?a=b');

    const pod = (await cluster.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const viaPod = await cluster.kubectl(['get', '--raw', `/api/v1/namespaces/default/pods/${pod}/proxy/from-pod`]);
    assert.equal(viaPod.stdout, 'hi GET /from-pod');

    const node = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const health = await cluster.kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/healthz`]);
    assert.equal(health.stdout, 'ok');

    // Nothing behind a service: upstream's 503, as kubectl shows it.
    // (Until the endpoints controller has written the empty Endpoints, it is 404.)
    const idlePort = await freePort();
    await cluster.kubectl(['create', 'service', 'clusterip', 'idle', `--tcp=${idlePort}`]);
    const idle = await waitFor(async () => {
      const result = await cluster.kubectl(['get', '--raw', `/api/v1/namespaces/default/services/idle:${idlePort}/proxy/`], { allowFailure: true });
      return /no endpoints available/.test(result.stderr) ? result : undefined;
    }, { message: 'services/proxy of a service without endpoints is 503' });
    assert.notEqual(idle.code, 0);

    const proxy = cluster.kubectlStream(['proxy', '--port=0']);
    try {
      const line = await proxy.stdout.waitForLine(/Starting to serve on/, { message: 'kubectl proxy starts' });
      const address = /Starting to serve on (\S+)/.exec(line)![1];
      const response = await fetch(`http://${address}/api/v1/namespaces/default/services/web:http/proxy/through-kubectl?x=1`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'hi GET /through-kubectl?x=1');
      const posted = await fetch(`http://${address}/api/v1/namespaces/default/pods/${pod}:${podPort}/proxy/posted`, { method: 'POST', body: 'data' });
      assert.equal(await posted.text(), 'hi POST /posted');
      // A WebSocket through kubectl proxy and the apiserver to the pod.
      const ws = new WebSocket(`ws://${address}/api/v1/namespaces/default/pods/${pod}/proxy/socket?s=1`);
      const message = await new Promise<string>((resolve, reject) => {
        ws.once('message', (data) => resolve(data.toString()));
        ws.once('error', reject);
      });
      ws.terminate();
      assert.equal(message, 'ws /socket?s=1');
    } finally {
      await proxy.stop();
    }
  });
});
