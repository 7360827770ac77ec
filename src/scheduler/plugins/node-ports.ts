/** NodePorts (Filter): a pod asking for a host port fits only where that port (protocol, IP) is free. */
import { StateKey } from '../framework/cycle-state.js';
import { PodInfo } from '../framework/node-info.js';
import type { EnqueueExtensions, FilterPlugin, PreFilterPlugin } from '../framework/interface.js';
import { skip, unschedulable } from '../framework/status.js';

export const name = 'NodePorts';
export const reasonPorts = "node(s) didn't have free ports for the requested pod ports";
const stateKey = new StateKey<PodInfo['hostPorts']>(`PreFilter${name}`);

export function nodePorts(): PreFilterPlugin & FilterPlugin & EnqueueExtensions {
  return {
    name,
    preFilter(state, pod) {
      const ports = new PodInfo(pod).hostPorts;
      if (!ports.length) return skip();
      state.write(stateKey, ports);
      return undefined;
    },
    filter(state, _pod, nodeInfo) {
      for (const { port, protocol, ip } of state.read(stateKey) ?? []) {
        const used = nodeInfo.usedPorts.get(`${protocol}/${port}`);
        if (!used?.size) continue;
        // 0.0.0.0 conflicts with every address; otherwise only the same address does.
        if (ip === '0.0.0.0' || used.has('0.0.0.0') || used.has(ip)) return unschedulable(reasonPorts);
      }
      return undefined;
    },
    eventsToRegister: () => ['NodeAdd', 'NodeUpdate', 'AssignedPodDelete'],
  };
}
