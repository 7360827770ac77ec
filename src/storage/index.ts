/**
 * The revisioned key-value store: its contract (`interface.ts`) and
 * backends. The apiserver is its only user.
 */
export * from './interface.js';
export { openSqliteStore, SqliteStore } from './sqlite/index.js';
