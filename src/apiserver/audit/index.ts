/**
 * Audit logging, as upstream's k8s.io/apiserver/pkg/audit: the policy that
 * chooses each request's level, the event that records it stage by stage,
 * and the log backend that writes events as lines to a rotated file.
 */
export * from './policy.js';
export * from './policy-file.js';
export * from './event.js';
export * from './event-objects.js';
export * from './stages.js';
export * from './format.js';
export * from './rotating-file.js';
export * from './log-backend.js';
export * from './options.js';
