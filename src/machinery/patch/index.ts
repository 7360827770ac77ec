/** The three patch formats of the Kubernetes API. */
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch, applyMergePatchInPlace } from './merge-patch.js';
export { applyStrategicMergePatch, applyStrategicMergePatchInPlace } from './strategic-merge.js';
