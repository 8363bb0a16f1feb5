/** mod_last on LevelDB: the `last_activity` sublevel, one JSON row under `host\0user`. */
import { table, userKey, type Db } from '../../src/storage/db.js';
import type { LastActivity, LastStore } from './mod_last.store.js';

export function levelLastStore(holder: { readonly db: Db }): LastStore {
  const rows = () => table<LastActivity>(holder.db, 'last_activity');
  return {
    get: (user, host) => rows().get(userKey(user, host)),
    set: (user, host, activity) => rows().put(userKey(user, host), activity),
    removeUser: async (removal) => removal.deleteKeys('last_activity'),
  };
}
