/** mod_last on PostgreSQL: the `last_activity` table, one row per user. */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import type { LastActivity, LastStore } from './mod_last.store.js';

export function pgLastStore(holder: { readonly pg: PgHandle }): LastStore {
  return {
    async get(user, host) {
      const { rows } = await holder.pg.pool.query<LastActivity>('SELECT at::float8 AS at, status FROM last_activity WHERE host = $1 AND username = $2', [host, user]);
      return rows[0];
    },
    async set(user, host, activity) {
      await holder.pg.pool.query(
        'INSERT INTO last_activity (host, username, at, status) VALUES ($1, $2, $3, $4) ON CONFLICT (host, username) DO UPDATE SET at = EXCLUDED.at, status = EXCLUDED.status',
        [host, user, activity.at, activity.status],
      );
    },
    async remove(user, host) {
      await holder.pg.pool.query('DELETE FROM last_activity WHERE host = $1 AND username = $2', [host, user]);
    },
  };
}
