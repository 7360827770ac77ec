/**
 * ValidatingAdmissionWebhook: every validating webhook that applies is
 * called at once in the validate phase; the request goes on only if all
 * allow it. Of several refusals the first to arrive is returned, as
 * upstream does. A webhook that cannot be reached follows its failurePolicy
 * (Ignore: recorded for audit as
 * `failed-open.validating.webhook.admission.k8s.io/round_0_index_<i>`).
 */
import { StatusError, errors } from '../../../machinery/status.js';
import type { AdmissionPlugin } from '../chain.js';
import { callWebhook } from './call.js';
import { webhookAccessors } from './configurations.js';
import { CallingWebhookError, internalError } from './errors.js';
import type { PhaseDependencies } from './mutating.js';
import { isExemptConfigurationKind } from './rules.js';
import { shouldCallHook, type Invocation } from './should-call.js';
import { describeRequest, versionedObjects, type RequestView, type VersionedObjects } from './versions.js';

export const validatingFailedOpenAnnotationPrefix = 'failed-open.validating.webhook.admission.k8s.io/';

const viewKey = (view: RequestView) => JSON.stringify([view.resource, view.kind]);

export function validatingWebhookPlugin(deps: PhaseDependencies): AdmissionPlugin {
  const { env } = deps;
  return {
    name: 'ValidatingAdmissionWebhook',
    async validate(attributes) {
      const request = describeRequest(attributes, deps.resourceTypes);
      if (isExemptConfigurationKind(request.own.kind)) return;
      const hooks = webhookAccessors(deps.configurations());
      if (hooks.length === 0) return;
      // Each version any webhook needs is made once and shared by the parallel calls.
      const versions = new Map<string, Promise<VersionedObjects>>();
      const versioned = (view: RequestView) => {
        const key = viewKey(view);
        let found = versions.get(key);
        if (!found) versions.set(key, (found = versionedObjects(request, view)));
        return found;
      };
      const relevant: Invocation[] = [];
      for (const accessor of hooks) {
        const invocation = await shouldCallHook(accessor, {
          request,
          object: attributes.object,
          oldObject: attributes.oldObject,
          getNamespace: deps.getNamespace,
          versioned,
        });
        if (!invocation) continue;
        relevant.push(invocation);
        await versioned(invocation.view);
      }
      if (relevant.length === 0) return;

      const refusals: StatusError[] = [];
      await Promise.all(
        relevant.map(async (invocation, index) => {
          const webhook = invocation.accessor.webhook;
          try {
            await callWebhook(webhook, request, await versioned(invocation.view), false, env);
          } catch (err) {
            if (err instanceof StatusError) {
              env.log({ msg: 'rejected by webhook', v: 2, webhook: webhook.name, error: err.message });
              refusals.push(err);
              return;
            }
            const ignore = webhook.failurePolicy === 'Ignore';
            if (ignore) {
              env.log({ msg: 'failed calling webhook, failing open', webhook: webhook.name, error: (err as Error).message });
              attributes.annotate?.(`${validatingFailedOpenAnnotationPrefix}round_0_index_${index}`, webhook.name);
              return;
            }
            env.log({ msg: 'failed calling webhook, failing closed', webhook: webhook.name, error: (err as Error).message });
            // Anything but a calling failure is a fault here; upstream reports its panics so.
            refusals.push(err instanceof CallingWebhookError ? internalError(err) : errors.internal(`ValidatingAdmissionWebhook/${webhook.name} has panicked: ${(err as Error).message}`));
          }
        }),
      );
      if (refusals.length > 0) throw refusals[0];
    },
  };
}
