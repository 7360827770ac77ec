/**
 * Running something when an AbortSignal aborts — also when it has aborted
 * already. `signal.addEventListener('abort', …)` alone never fires for a
 * signal that aborted before the listener was added: a component that
 * finished starting after skiff was asked to stop would then run on, and
 * the process would never exit. Every "stop with the signal" goes through
 * this.
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return () => {};
  }
  signal.addEventListener('abort', callback, { once: true });
  return () => signal.removeEventListener('abort', callback);
}
