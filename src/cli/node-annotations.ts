/**
 * What a node says of its network on its Node object, for `skiff status`
 * (which reads the cluster through the apiserver only): the service
 * proxy's mode and why it was chosen, and where the Ingress controller
 * listens. One declaration for the writer (the node's start) and the reader.
 */
export const proxyModeAnnotation = 'skiff.dev/proxy-mode';
export const ingressAnnotation = 'skiff.dev/ingress';
