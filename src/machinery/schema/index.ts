export type { Schema } from './types.js';
export { s, type ListOptions, type ObjectOptions } from './build.js';
export * from './meta.js';
