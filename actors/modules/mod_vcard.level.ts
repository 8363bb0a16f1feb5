/** mod_vcard on LevelDB: the `vcard` sublevel, one row per user under `host\0user`. */
import { readNow, table, userKey, type Db } from '../../src/storage/db.js';
import type { StoredVcard, VcardStore } from './mod_vcard.store.js';

export function levelVcardStore(holder: { readonly db: Db }): VcardStore {
  const vcard = () => table<StoredVcard>(holder.db, 'vcard');
  return {
    get: (user, host) => readNow(vcard(), userKey(user, host)),
    set: (user, host, value) => holder.db.batch<string, unknown>([{ type: 'put', sublevel: vcard(), key: userKey(user, host), value }], {}),
    removeUser: async (removal) => removal.deleteKeys('vcard'),
  };
}
