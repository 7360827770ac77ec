/** The embedded SQLite backend, skiff's default store. */
export { SqliteStore, openSqliteStore } from './store.js';
