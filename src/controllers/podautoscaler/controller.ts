/**
 * The HorizontalPodAutoscaler controller (kube-controller-manager's
 * `horizontalpodautoscaling`): every HPA is synced once per sync period
 * (15 s, `--horizontal-pod-autoscaler-sync-period`) — horizontal.ts does the
 * sync — reading pods from the pod informer, metrics and scales through the
 * apiserver, kinds resolved through discovery.
 *
 * Upstream's queue delays every add by the sync period, so the HPA's own
 * status writes (which come back as informer events) do not cause another
 * sync at once; here a key synced less than a period ago waits for the rest
 * of it. Write failures are thrown, and the work queue retries them with
 * backoff (the next attempt is not held back).
 */
import { horizontalpodautoscalersV2, type HorizontalPodAutoscalerV2 } from '../../api/autoscaling/index.js';
import { discoverResources, podsResource, splitKey, type ControllerContext, type ControllerSpec } from '../../client/index.js';
import { defaultHorizontalSettings, HorizontalController, type HorizontalSettings } from './horizontal.js';
import { RestMetricsClient, type MetricsClient } from './metrics-client.js';
import type { AutoscaledPod } from './replica-calculator.js';
import { RestMapper } from './rest-mapper.js';
import { RestScaleClient, type ScaleClient } from './scale-client.js';

export const defaultSyncPeriodMs = 15_000;

export interface HorizontalPodAutoscalerOptions extends Partial<HorizontalSettings> {
  /** `--horizontal-pod-autoscaler-sync-period` (15 s). */
  syncPeriodMs?: number;
  /** `--concurrent-horizontal-pod-autoscaler-syncs` (5). */
  workers?: number;
  /** The clock (default: the context's). */
  now?: () => Date;
  /** Where scales are read and written (default: the scale subresource through the apiserver). */
  scales?: ScaleClient;
  /** Where metrics come from (default: the metrics APIs through the apiserver). */
  metrics?: MetricsClient;
}

export function horizontalPodAutoscalerController(context: ControllerContext, options: HorizontalPodAutoscalerOptions = {}): ControllerSpec {
  const { client, informers } = context;
  const hpaInformer = informers.informerFor<HorizontalPodAutoscalerV2>(horizontalpodautoscalersV2);
  const podInformer = informers.informerFor<AutoscaledPod>(podsResource);
  const now = options.now ?? (() => context.now());
  const syncPeriodMs = options.syncPeriodMs ?? defaultSyncPeriodMs;
  const settings: HorizontalSettings = {
    tolerance: options.tolerance ?? defaultHorizontalSettings.tolerance,
    downscaleStabilizationMs: options.downscaleStabilizationMs ?? defaultHorizontalSettings.downscaleStabilizationMs,
    cpuInitializationPeriodMs: options.cpuInitializationPeriodMs ?? defaultHorizontalSettings.cpuInitializationPeriodMs,
    initialReadinessDelayMs: options.initialReadinessDelayMs ?? defaultHorizontalSettings.initialReadinessDelayMs,
  };
  const mapper = new RestMapper((signal) => discoverResources(client, signal), () => now().getTime());
  const hpas = client.resource<HorizontalPodAutoscalerV2>(horizontalpodautoscalersV2);
  const recorder = context.recorder('horizontal-pod-autoscaler');
  const autoscaler = new HorizontalController(
    {
      scales: options.scales ?? new RestScaleClient(client.rest, mapper),
      metrics: options.metrics ?? new RestMetricsClient(client.rest, mapper),
      pods: { list: (namespace, selector) => podInformer.lister.list(namespace, (pod) => selector.matches(pod.metadata.labels ?? {})) },
      hpas: { get: (namespace, name) => hpaInformer.lister.get(namespace, name) },
      updateStatus: async (hpa, signal) => {
        await hpas.updateStatus(hpa, { signal });
      },
      events: recorder,
      now,
      log: context.log,
    },
    settings,
  );
  /** When each HPA was last synced (this term). */
  const lastSync = new Map<string, number>();

  return {
    // The work queue's name, as upstream's (the controller itself is `horizontalpodautoscaling`).
    name: 'horizontalpodautoscaler',
    for: horizontalpodautoscalersV2,
    // Pods change no HPA key; listed here so reconciles wait for the pod cache (readiness needs it).
    watches: [{ resource: podsResource, map: () => [] }],
    workers: options.workers ?? 5,
    async reconcile(key, { signal }) {
      const { namespace, name } = splitKey(key);
      if (!hpaInformer.lister.get(namespace, name)) {
        autoscaler.forget(key);
        lastSync.delete(key);
        return undefined;
      }
      const started = now().getTime();
      const last = lastSync.get(key);
      if (last !== undefined && started - last < syncPeriodMs) return { requeueAfterMs: syncPeriodMs - (started - last) };
      const failure = await autoscaler.reconcileKey(key, signal);
      lastSync.set(key, started);
      if (failure) context.log({ controller: 'horizontalpodautoscaler', key, msg: 'sync failed', error: failure.message });
      return { requeueAfterMs: syncPeriodMs };
    },
  };
}
