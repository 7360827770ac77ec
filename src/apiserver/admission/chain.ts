/**
 * The admission chain: after authentication and authorization, and before an
 * object is stored, mutating plugins may change it and validating plugins may
 * refuse it. Later issues add Pod Security, CEL policies and webhooks here.
 */
import type { ResourceType } from '../../api/resource.js';
import type { KubeObject } from '../../machinery/object.js';
import type { UserInfo } from '../authentication.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  type: ResourceType;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** The new object (CREATE, UPDATE); mutating plugins change it in place. */
  object?: KubeObject;
  oldObject?: KubeObject;
  user: UserInfo;
  dryRun: boolean;
  /** Tells the client something (an HTTP `Warning` kubectl prints); the same text twice is said once. */
  warn?(text: string): void;
  /** Adds an annotation to the request's audit event (`<plugin-domain>/<key>`). */
  annotate?(key: string, value: string): void;
}

export interface AdmissionPlugin {
  name: string;
  /** Mutating phase: may change attributes.object. Throws a StatusError to refuse. */
  admit?(attributes: AdmissionAttributes): void | Promise<void>;
  /** Validating phase: may only refuse (throw a StatusError). */
  validate?(attributes: AdmissionAttributes): void | Promise<void>;
}

export class AdmissionChain {
  constructor(private readonly plugins: AdmissionPlugin[]) {}

  async admit(attributes: AdmissionAttributes): Promise<void> {
    for (const plugin of this.plugins) await plugin.admit?.(attributes);
  }

  async validate(attributes: AdmissionAttributes): Promise<void> {
    for (const plugin of this.plugins) await plugin.validate?.(attributes);
  }
}
