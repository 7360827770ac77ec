/** The pods and podtemplates resources. */
import type { ResourceType } from '../resource.js';
import type { KubeObject } from '../../machinery/object.js';
import { field } from '../../machinery/status.js';
import { validateObjectMeta } from '../../machinery/validation.js';
import { PodSchema, PodTemplateSchema } from './schema/pod.js';
import { defaultPod, defaultPodTemplateSpec } from './defaults-pod.js';
import { validatePodSpec, validatePodTemplateSpec } from './validate-podspec.js';
import { validatePodUpdate } from './pod-update.js';
import { dropNonEphemeralContainerUpdates, validateEphemeralContainersUpdate } from './pod-ephemeral-containers.js';
import { podQOSClass } from './qos.js';
import { podTable } from './table-pod.js';
import { column, formatLabels } from './table-util.js';
import { arr, isIP, validateDNS1123Subdomain, type Errs } from './validate-common.js';
import { isObj } from './util.js';

function validatePodStatus(pod: any): Errs {
  const errs: Errs = [];
  const status = pod.status ?? {};
  if (status.nominatedNodeName) errs.push(...validateDNS1123Subdomain(status.nominatedNodeName, 'status.nominatedNodeName'));
  const ips = arr(status.podIPs);
  if (ips.length > 2) errs.push(field.tooMany('status.podIPs', ips.length, 2));
  ips.forEach((ip, i) => {
    if (!isIP(String(ip?.ip ?? ''))) errs.push(field.invalid(`status.podIPs[${i}].ip`, ip?.ip, 'must be a valid IP address'));
  });
  arr(status.hostIPs).forEach((ip, i) => {
    if (!isIP(String(ip?.ip ?? ''))) errs.push(field.invalid(`status.hostIPs[${i}].ip`, ip?.ip, 'must be a valid IP address'));
  });
  if (ips.length > 1 && isIP(ips[0]?.ip) && ips[0].ip.includes(':') === String(ips[1]?.ip).includes(':')) {
    errs.push(field.invalid('status.podIPs', ips, 'may specify no more than one IP for each IP family'));
  }
  const names = new Set(arr(pod.spec?.containers).map((c) => c?.name));
  arr(status.containerStatuses).forEach((s, i) => {
    if (s?.name && !names.has(s.name)) errs.push(field.notFound(`status.containerStatuses[${i}].name`, s.name));
  });
  return errs;
}

function validatePod(pod: KubeObject): Errs {
  const errs: Errs = validateObjectMeta(pod.metadata, { namespaced: true });
  errs.push(...validatePodSpec(pod.spec, 'spec'));
  // Host ports must be unique across the pod's containers.
  const hostPorts = new Set<string>();
  for (const key of ['initContainers', 'containers']) {
    arr((pod.spec as any)?.[key]).forEach((c, i) => {
      arr(c?.ports).forEach((p, j) => {
        if (!p?.hostPort) return;
        const id = `${p.hostPort}/${p.protocol ?? 'TCP'}${p.hostIP ? `/${p.hostIP}` : ''}`;
        if (hostPorts.has(id)) errs.push(field.duplicate(`spec.${key}[${i}].ports[${j}].hostPort`, id));
        hostPorts.add(id);
      });
    });
  }
  return errs;
}

export const pods: ResourceType = {
  group: '', version: 'v1', kind: 'Pod', resource: 'pods', singular: 'pod',
  shortNames: ['po'], categories: ['all'], namespaced: true,
  schema: PodSchema,
  subresources: {
    status: true,
    others: ['binding', 'eviction', 'log', 'exec', 'attach', 'portforward', 'proxy', 'ephemeralcontainers'],
    strategies: {
      ephemeralcontainers: { prepareForUpdate: dropNonEphemeralContainerUpdates, validateUpdate: validateEphemeralContainersUpdate },
    },
  },
  defaults: defaultPod,
  prepareForCreate(pod) {
    const spec = pod.spec as any;
    const status: Record<string, unknown> = { phase: 'Pending', qosClass: podQOSClass(spec) };
    if (arr(spec?.schedulingGates).length > 0) {
      status.conditions = [{
        type: 'PodScheduled', status: 'False', reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
      }];
    }
    pod.status = status;
  },
  validate(pod, context) {
    const errs = validatePod(pod);
    if (context.operation === 'create' && arr((pod.spec as any)?.ephemeralContainers).length > 0) {
      errs.push(field.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
    }
    return errs;
  },
  validateUpdate: (pod, old) => validatePodUpdate(pod, old),
  validateStatusUpdate: (pod) => validatePodStatus(pod),
  table: podTable,
  selectableFields(pod) {
    const spec = (pod.spec ?? {}) as any;
    const status = (pod.status ?? {}) as any;
    return {
      'spec.nodeName': spec.nodeName ?? '',
      'spec.restartPolicy': spec.restartPolicy ?? '',
      'spec.schedulerName': spec.schedulerName ?? '',
      'spec.serviceAccountName': spec.serviceAccountName ?? '',
      'spec.hostNetwork': String(Boolean(spec.hostNetwork)),
      'status.phase': status.phase ?? '',
      'status.podIP': arr(status.podIPs)[0]?.ip ?? status.podIP ?? '',
      'status.nominatedNodeName': status.nominatedNodeName ?? '',
    };
  },
};

/** Container names, images and the pod selector labels of a template, as the wide columns of workloads show them. */
export function templateSummary(template: any): { containers: string; images: string; labels: string } {
  const containers = arr(template?.spec?.containers);
  return {
    containers: containers.map((c) => c?.name ?? '').join(','),
    images: containers.map((c) => c?.image ?? '').join(','),
    labels: formatLabels(template?.metadata?.labels),
  };
}

export const podtemplates: ResourceType = {
  group: '', version: 'v1', kind: 'PodTemplate', resource: 'podtemplates', singular: 'podtemplate',
  namespaced: true,
  schema: PodTemplateSchema,
  defaults(obj) {
    if (isObj(obj.template)) defaultPodTemplateSpec(obj.template);
  },
  validate(obj) {
    const errs = validateObjectMeta(obj.metadata, { namespaced: true });
    errs.push(...validatePodTemplateSpec(obj.template, 'template'));
    return errs;
  },
  table: {
    columns: [
      column('Template', 'Name of the template.'),
      column('Containers', 'Names of each container in the template.'),
      column('Images', 'Images referenced by each container in the template.'),
      column('Pod Labels', 'The labels for the pod template.'),
    ].map((c, i) => (i === 0 ? { ...c, format: 'name' } : c)),
    cells(obj) {
      const summary = templateSummary(obj.template);
      return [obj.metadata.name, summary.containers, summary.images, summary.labels];
    },
  },
};

