/**
 * What a plugin answers: a code and the reasons — never a thrown error
 * (upstream's framework.Status). Unschedulable means another node, or this
 * one later, may do; UnschedulableAndUnresolvable means preemption cannot
 * help on this node; Skip lets a PreFilter/PreScore plugin opt out of its
 * Filter/Score for this pod; Wait is a Permit plugin holding the pod.
 */
export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip' | 'Pending';

export class Status {
  /** The plugin that answered (set by the framework). */
  plugin?: string;

  constructor(
    readonly code: Code,
    readonly reasons: string[] = [],
  ) {}

  isSuccess(): boolean {
    return this.code === 'Success';
  }

  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable' || this.code === 'Pending';
  }

  message(): string {
    return this.reasons.join(', ');
  }

  withPlugin(plugin: string): Status {
    this.plugin = plugin;
    return this;
  }
}

const successStatus = new Status('Success');

/** Success: undefined works too, so plugins can just return. */
export type MaybeStatus = Status | undefined | void;

export const success = (): Status => successStatus;
export const unschedulable = (...reasons: string[]): Status => new Status('Unschedulable', reasons);
export const unresolvable = (...reasons: string[]): Status => new Status('UnschedulableAndUnresolvable', reasons);
export const skip = (): Status => new Status('Skip');
export const error = (reason: string): Status => new Status('Error', [reason]);

export function isSuccess(status: MaybeStatus): boolean {
  return !status || status.code === 'Success';
}
