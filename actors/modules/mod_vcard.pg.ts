/** mod_vcard on PostgreSQL: the `vcard` table, one row per user. */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import { pgUserRows } from '../../src/storage/pg/user_row.js';
import type { StoredVcard, VcardStore } from './mod_vcard.store.js';

export function pgVcardStore(holder: { readonly pg: PgHandle }): VcardStore {
  const rows = pgUserRows<StoredVcard>(holder, 'vcard', ['xml', 'photo']);
  return { get: rows.get, set: rows.set, removeUser: async (removal) => removal.deleteRows('vcard') };
}
