/** mod_blocking on PostgreSQL: the `privacy` table, one row per user holding the whole blocklist. */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import type { BlockingStore } from './mod_blocking.store.js';

export function pgBlockingStore(holder: { readonly pg: PgHandle }): BlockingStore {
  const del = async (user: string, host: string) => {
    await holder.pg.pool.query('DELETE FROM privacy WHERE host = $1 AND username = $2', [host, user]);
  };
  return {
    async get(user, host) {
      const { rows } = await holder.pg.pool.query<{ jids: string[] }>('SELECT jids FROM privacy WHERE host = $1 AND username = $2', [host, user]);
      return rows[0]?.jids ?? [];
    },
    async set(user, host, jids) {
      if (jids.length === 0) return del(user, host);
      await holder.pg.pool.query(
        'INSERT INTO privacy (host, username, jids) VALUES ($1, $2, $3) ON CONFLICT (host, username) DO UPDATE SET jids = EXCLUDED.jids',
        [host, user, jids],
      );
    },
    removeUser: del,
  };
}
