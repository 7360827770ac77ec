/**
 * skiff's IngressClass: what its ingress controller answers to, and the
 * default class the control plane creates at bootstrap. A module of its own
 * so that the bootstrap names it without loading the controller.
 */
import type { KubeObject } from '../../machinery/object.js';

export const ingressControllerName = 'skiff.dev/ingress';
export const defaultIngressClassName = 'skiff';

export const skiffIngressClass: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name: defaultIngressClassName, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
  spec: { controller: ingressControllerName },
} as KubeObject;
