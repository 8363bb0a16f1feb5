/**
 * mod_private on PostgreSQL: the `private` table, one row per (user, namespace, name). The
 * size check and the writes run in one transaction under the user's advisory lock.
 */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import { userTransaction } from './pg_user_lock.js';
import type { PrivateStore, StoredFragment } from './mod_private.store.js';

const SIZE = 'SELECT coalesce(sum(octet_length(xml)), 0)::int AS n FROM private WHERE host = $1 AND username = $2';

export function pgPrivateStore(holder: { readonly pg: PgHandle }): PrivateStore {
  return {
    async get(user, host, keys) {
      const { rows } = await holder.pg.pool.query<StoredFragment>(
        'SELECT ns, name, xml FROM private WHERE host = $1 AND username = $2 AND (ns, name) IN (SELECT * FROM unnest($3::text[], $4::text[]))',
        [host, user, keys.map((k) => k.ns), keys.map((k) => k.name)],
      );
      return keys.map((k) => rows.find((r) => r.ns === k.ns && r.name === k.name)?.xml);
    },

    set(user, host, fragments, limit) {
      // One row per key: of a key given twice, the last wins (as a batch of puts).
      const byKey = [...new Map(fragments.map((f) => [`${f.ns}\0${f.name}`, f])).values()];
      return userTransaction(holder, 'private', user, host, async (client) => {
        const { rows } = await client.query<{ n: number }>(
          `${SIZE} AND (ns, name) NOT IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
          [host, user, byKey.map((f) => f.ns), byKey.map((f) => f.name)],
        );
        const total = byKey.reduce((sum, f) => sum + Buffer.byteLength(f.xml), rows[0]?.n ?? 0);
        if (total > limit) return false;
        for (const f of byKey) {
          await client.query(
            'INSERT INTO private (host, username, ns, name, xml) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (host, username, ns, name) DO UPDATE SET xml = EXCLUDED.xml',
            [host, user, f.ns, f.name, f.xml],
          );
        }
        return true;
      });
    },

    async size(user, host) {
      const { rows } = await holder.pg.pool.query<{ n: number }>(SIZE, [host, user]);
      return rows[0]?.n ?? 0;
    },

    removeUser: async (removal) => removal.deleteRows('private'),
  };
}
