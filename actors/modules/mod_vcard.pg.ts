/** mod_vcard on PostgreSQL: the `vcard` table, one row per user. */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import type { StoredVcard, VcardStore } from './mod_vcard.store.js';

export function pgVcardStore(holder: { readonly pg: PgHandle }): VcardStore {
  return {
    async get(user, host) {
      const { rows } = await holder.pg.pool.query<StoredVcard>('SELECT xml, photo FROM vcard WHERE host = $1 AND username = $2', [host, user]);
      return rows[0];
    },
    async set(user, host, vcard) {
      await holder.pg.pool.query(
        'INSERT INTO vcard (host, username, xml, photo) VALUES ($1, $2, $3, $4) ON CONFLICT (host, username) DO UPDATE SET xml = EXCLUDED.xml, photo = EXCLUDED.photo',
        [host, user, vcard.xml, vcard.photo],
      );
    },
    async removeUser(user, host) {
      await holder.pg.pool.query('DELETE FROM vcard WHERE host = $1 AND username = $2', [host, user]);
    },
  };
}
