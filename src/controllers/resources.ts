/** The resources the built-in controllers read and write (shared with the other components, in the client). */
export * from '../client/builtin-resources.js';
