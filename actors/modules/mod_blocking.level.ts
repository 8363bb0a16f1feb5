/**
 * mod_blocking on LevelDB: the `privacy` sublevel (ARCHITECTURE §5), one row per user under
 * `host\0user` holding the whole blocklist, so a block or unblock is one atomic write.
 */
import { readNow, table, userKey, type Db } from '../../src/storage/db.js';
import type { BlockingStore } from './mod_blocking.store.js';

export function levelBlockingStore(holder: { readonly db: Db }): BlockingStore {
  const privacy = () => table<string[]>(holder.db, 'privacy');
  const del = (user: string, host: string) =>
    holder.db.batch<string, unknown>([{ type: 'del', sublevel: privacy(), key: userKey(user, host) }], {});
  return {
    get: async (user, host) => (await readNow(privacy(), userKey(user, host))) ?? [],
    set: (user, host, jids) =>
      jids.length === 0 ? del(user, host) : holder.db.batch<string, unknown>([{ type: 'put', sublevel: privacy(), key: userKey(user, host), value: jids }], {}),
    removeUser: async (removal) => removal.deleteKeys('privacy'),
  };
}
