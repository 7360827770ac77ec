/**
 * Reads the agent joins while they are under way. A burst of pods of one
 * namespace all mount its kube-root-ca.crt ConfigMap, and each pod would
 * otherwise read it from the apiserver at the same moment. A caller that
 * joins gets the answer of a read that started at most one round trip
 * before it asked — as fresh as a read of its own could promise — and once
 * the read is answered (or has failed) the next caller reads anew. Callers
 * share the object they get and must not change it.
 */
export class SharedReads<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  read(key: string, start: () => Promise<T>): Promise<T> {
    let read = this.inFlight.get(key);
    if (!read) {
      read = start();
      this.inFlight.set(key, read);
      const forget = () => this.inFlight.delete(key);
      read.then(forget, forget);
    }
    return read;
  }
}
