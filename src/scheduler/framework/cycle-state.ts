/**
 * Scratch space for one scheduling attempt of one pod: what PreFilter and
 * PreScore compute once (the pod's requests, the topology counts, …) for
 * Filter and Score to read on every node. Keys are typed, so a plugin's
 * data cannot be mistaken for another's.
 */
export class StateKey<T> {
  constructor(readonly name: string) {}
  // Makes StateKey<T> invariant in T for the type checker.
  declare readonly _type?: (value: T) => T;
}

export class CycleState {
  private readonly data = new Map<StateKey<unknown>, unknown>();
  /** Set for scheduling attempts inside preemption's "what if" simulations. */
  skipFilterPlugins = new Set<string>();
  skipScorePlugins = new Set<string>();

  write<T>(key: StateKey<T>, value: T): void {
    this.data.set(key as StateKey<unknown>, value);
  }

  read<T>(key: StateKey<T>): T | undefined {
    return this.data.get(key as StateKey<unknown>) as T | undefined;
  }

  /** A copy whose plugin data can be changed without touching this one (values with `clone` are cloned). */
  clone(): CycleState {
    const copy = new CycleState();
    for (const [key, value] of this.data) {
      const cloneable = value as { clone?: () => unknown } | undefined;
      copy.data.set(key, typeof cloneable?.clone === 'function' ? cloneable.clone() : value);
    }
    copy.skipFilterPlugins = new Set(this.skipFilterPlugins);
    copy.skipScorePlugins = new Set(this.skipScorePlugins);
    return copy;
  }
}
