/**
 * Container lifecycle hooks: postStart runs right after a container starts
 * (a failure kills the container, which the restart policy then handles);
 * preStop runs before the container is told to stop, within its grace
 * period. Handlers: exec, httpGet and sleep — run like probes (an exec
 * handler through the runtime's ExecSync when it has one, so a hook cut
 * short by its time limit does not go on running in the container).
 */
import { runProbe, type Probe, type ProbeTarget } from './probes.js';

export interface LifecycleHandler {
  exec?: Probe['exec'];
  httpGet?: Probe['httpGet'];
  tcpSocket?: Probe['tcpSocket'];
  sleep?: { seconds: number };
}

/** Runs a hook handler; resolves with why it failed, or undefined on success. */
export async function runHook(handler: LifecycleHandler, target: ProbeTarget, timeoutSeconds: number): Promise<string | undefined> {
  if (handler.sleep) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(handler.sleep!.seconds, timeoutSeconds) * 1000));
    return undefined;
  }
  const result = await runProbe({ exec: handler.exec, httpGet: handler.httpGet, tcpSocket: handler.tcpSocket, timeoutSeconds }, target);
  return result.ok ? undefined : (result.output ?? 'failed');
}
