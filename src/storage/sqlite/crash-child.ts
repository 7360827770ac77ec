/**
 * Child process of crash.test.ts: writes keys as fast as it can and prints
 * each acknowledged revision, until the test kills it with SIGKILL.
 */
import { openSqliteStore } from './store.js';

const path = process.argv[2];
const store = await openSqliteStore(path);
let i = 0;
for (;;) {
  // Several writes per turn, so group commits are exercised as well.
  const batch = Array.from({ length: 4 }, () => {
    const key = `/crash/${String(i++).padStart(8, '0')}`;
    return store.create(key, new TextEncoder().encode(key)).then((kv) => process.stdout.write(`ack ${kv.key} ${kv.modRevision}\n`));
  });
  await Promise.all(batch);
}
