/**
 * MutatingAdmissionWebhook: the mutating webhooks, called one after another
 * in the admit phase, each seeing the object as the ones before left it
 * (converted to the version it asked for). A JSON patch in an answer
 * changes the object; the request's object is rewritten in place at the end.
 *
 * Reinvocation: a webhook with reinvocationPolicy IfNeeded is called once
 * more when a webhook after it changed the object. Upstream reruns the whole
 * admission chain for that; here the second round runs at once, inside this
 * plugin, with upstream's rules for who is called again (only webhooks
 * called in the first round, only if a later change happened).
 *
 * Every call is recorded for audit as upstream records it:
 * `mutation.webhook.admission.k8s.io/round_<r>_index_<i>` =
 * `{"configuration":…,"webhook":…,"mutated":…}`, and a webhook that failed
 * open under failurePolicy Ignore as `failed-open.mutation.webhook…`.
 */
import type { WebhookConfiguration } from '../../../api/admissionregistration/index.js';
import type { ResourceType } from '../../../api/resource.js';
import { jsonEqual, type KubeObject } from '../../../machinery/object.js';
import { StatusError } from '../../../machinery/status.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../chain.js';
import { callWebhook, type CallEnvironment } from './call.js';
import { webhookAccessors, type WebhookAccessor } from './configurations.js';
import { CallingWebhookError, internalError } from './errors.js';
import { applyWebhookPatch, decodeJsonPatch } from './patch.js';
import { completePatchedObject } from './patched-object.js';
import { isExemptConfigurationKind } from './rules.js';
import { shouldCallHook, type Invocation } from './should-call.js';
import { convertObject, describeRequest, sameView, versionedObjects, type RequestView, type VersionedObjects, type WebhookRequest } from './versions.js';

export const mutationAnnotationPrefix = 'mutation.webhook.admission.k8s.io/';
export const mutationFailedOpenAnnotationPrefix = `failed-open.${mutationAnnotationPrefix}`;

export interface PhaseDependencies {
  configurations(): readonly WebhookConfiguration[];
  getNamespace(name: string): Promise<KubeObject | undefined>;
  resourceTypes?(): readonly ResourceType[];
  env: CallEnvironment;
}

/** The request's objects in the version the last webhook saw, with every patch so far. */
class VersionedState {
  current?: VersionedObjects;
  dirty = false;

  constructor(private readonly request: WebhookRequest) {}

  async at(view: RequestView): Promise<VersionedObjects> {
    const current = this.current;
    if (current && sameView(current.view, view)) return current;
    const fresh = await versionedObjects(this.request, view);
    if (current?.object && current.view.type && view.type) {
      // Earlier patches carry over into the new version.
      fresh.object = await convertObject(current.object, current.view.type, view.type);
    } else if (current) {
      fresh.object = current.object;
    }
    this.current = fresh;
    return fresh;
  }

  /** Rewrites the request's object, in its own version, in place (callers hold that reference). */
  async writeBack(attributes: AdmissionAttributes): Promise<void> {
    const current = this.current;
    if (!this.dirty || !current?.object || !attributes.object) return;
    let object = current.object;
    const own = this.request.own.type;
    if (current.view.type && own && current.view.type !== own) object = await convertObject(object, current.view.type, own);
    const target = attributes.object as Record<string, unknown>;
    for (const key of Object.keys(target)) delete target[key];
    Object.assign(target, object);
  }
}

/** Which webhooks are called again, after upstream's webhook reinvocation context. */
class Reinvocation {
  private previouslyInvoked = new Set<string>();
  readonly reinvoke = new Set<string>();

  invoked(uid: string): void {
    this.previouslyInvoked.add(uid);
  }

  objectChanged(): void {
    for (const uid of this.previouslyInvoked) this.reinvoke.add(uid);
    this.previouslyInvoked = new Set();
  }
}

async function applyPatch(invocation: Invocation, versioned: VersionedObjects, patch: Buffer, patchType: string, state: VersionedState): Promise<boolean> {
  const name = invocation.accessor.webhook.name;
  let operations: unknown[];
  try {
    operations = decodeJsonPatch(patch);
  } catch (err) {
    throw internalError(err);
  }
  if (operations.length === 0) return false;
  if (!versioned.object) throw internalError(`admission webhook ${JSON.stringify(name)} attempted to modify the object, which is not supported for this operation`);
  if (patchType !== 'JSONPatch') throw new CallingWebhookError(name, `unsupported patch type ${JSON.stringify(patchType)}`);
  let patched: KubeObject;
  try {
    patched = completePatchedObject(applyWebhookPatch(versioned.object, operations), invocation.view, name);
  } catch (err) {
    throw internalError(err);
  }
  const changed = !jsonEqual(versioned.object, patched);
  versioned.object = patched;
  state.dirty = true;
  return changed;
}

export function mutatingWebhookPlugin(deps: PhaseDependencies): AdmissionPlugin {
  const { env } = deps;

  /** One call; resolves to whether the object changed. */
  async function invoke(invocation: Invocation, request: WebhookRequest, state: VersionedState, round: number, index: number): Promise<boolean> {
    const { accessor } = invocation;
    const versioned = await state.at(invocation.view);
    let changed = false;
    try {
      const response = await callWebhook(accessor.webhook, request, versioned, true, env);
      if (response.patch.length > 0) changed = await applyPatch(invocation, versioned, response.patch, response.patchType, state);
      return changed;
    } finally {
      const value = JSON.stringify({ configuration: accessor.configurationName, webhook: accessor.webhook.name, mutated: changed });
      request.attributes.annotate?.(`${mutationAnnotationPrefix}round_${round}_index_${index}`, value);
    }
  }

  async function runRound(hooks: WebhookAccessor[], request: WebhookRequest, state: VersionedState, reinvocation: Reinvocation, round: number): Promise<void> {
    const { attributes } = request;
    for (const [index, accessor] of hooks.entries()) {
      const seen = state.current ?? { object: attributes.object, oldObject: attributes.oldObject };
      const invocation = await shouldCallHook(accessor, {
        request,
        object: seen.object,
        oldObject: seen.oldObject,
        getNamespace: deps.getNamespace,
        versioned: (view) => state.at(view),
      });
      if (!invocation) continue;
      // A webhook skipped in the first round is not called for the first time in the second.
      if (round > 0 && !reinvocation.reinvoke.has(accessor.uid)) continue;
      const webhook = accessor.webhook;
      let failure: unknown;
      let changed = false;
      try {
        changed = await invoke(invocation, request, state, round, index);
      } catch (err) {
        failure = err;
      }
      if (changed) reinvocation.objectChanged();
      if (webhook.reinvocationPolicy === 'IfNeeded') reinvocation.invoked(accessor.uid);
      if (failure === undefined) continue;
      if (failure instanceof CallingWebhookError) {
        if (webhook.failurePolicy === 'Ignore') {
          env.log({ msg: 'failed calling webhook, failing open', webhook: webhook.name, error: failure.message });
          attributes.annotate?.(`${mutationFailedOpenAnnotationPrefix}round_${round}_index_${index}`, webhook.name);
          continue;
        }
        env.log({ msg: 'failed calling webhook, failing closed', webhook: webhook.name, error: failure.message });
        throw internalError(failure);
      }
      throw failure instanceof StatusError ? failure : internalError(failure);
    }
  }

  return {
    name: 'MutatingAdmissionWebhook',
    async admit(attributes) {
      const request = describeRequest(attributes, deps.resourceTypes);
      if (isExemptConfigurationKind(request.own.kind)) return;
      const hooks = webhookAccessors(deps.configurations());
      if (hooks.length === 0) return;
      const state = new VersionedState(request);
      const reinvocation = new Reinvocation();
      await runRound(hooks, request, state, reinvocation, 0);
      if (reinvocation.reinvoke.size > 0) await runRound(hooks, request, state, reinvocation, 1);
      await state.writeBack(attributes);
    },
  };
}
