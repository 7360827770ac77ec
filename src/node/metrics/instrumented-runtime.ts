/**
 * A runtime that reports every operation to kubelet_runtime_operations_*
 * (count, duration, errors), as the kubelet's instrumented CRI service
 * does, with upstream's operation names. It is a Proxy rather than a class
 * listing the methods: whatever the Runtime interface gains later (an
 * optional method above all) still reaches the runtime underneath.
 */
import type { Runtime } from '../runtime/runtime.js';

/** Upstream's operation_type for each Runtime method that is a CRI call. */
export const runtimeOperationNames: Readonly<Record<string, string>> = {
  runPodSandbox: 'run_podsandbox',
  stopPodSandbox: 'stop_podsandbox',
  removePodSandbox: 'remove_podsandbox',
  listPodSandboxes: 'list_podsandbox',
  createContainer: 'create_container',
  startContainer: 'start_container',
  stopContainer: 'stop_container',
  removeContainer: 'remove_container',
  containerStatus: 'container_status',
  listContainers: 'list_containers',
  containerStats: 'container_stats',
  exec: 'exec',
  attach: 'attach',
  portForward: 'port_forward',
};

export type RecordOperation = (operation: string, durationSeconds: number, failed: boolean) => void;

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** The runtime, with its operations recorded (metrics.runtimeOperation is a RecordOperation). */
export function instrumentRuntime<R extends Runtime>(runtime: R, record: RecordOperation, now: () => number = () => performance.now()): R {
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(runtime, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(property);
      if (wrapper) return wrapper;
      const operation = typeof property === 'string' ? runtimeOperationNames[property] : undefined;
      const method = value as (...args: unknown[]) => unknown;
      wrapper = operation
        ? (...args: unknown[]) => {
            const started = now();
            const done = (failed: boolean) => record(operation, Math.max(0, now() - started) / 1000, failed);
            let result: unknown;
            try {
              result = method.apply(target, args);
            } catch (err) {
              done(true);
              throw err;
            }
            if (!isPromise(result)) {
              done(false);
              return result;
            }
            return result.then(
              (resolved) => {
                done(false);
                return resolved;
              },
              (err: unknown) => {
                done(true);
                throw err;
              },
            );
          }
        : method.bind(target);
      wrappers.set(property, wrapper);
      return wrapper;
    },
  });
}
