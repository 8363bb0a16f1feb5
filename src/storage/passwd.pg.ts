/** Account credentials on PostgreSQL: the `passwd` table, one jsonb row per account. */
import type { PgHandle } from './pg/pool.js';
import type { PasswdStore, StoredAccount } from './passwd.js';

export function pgPasswdStore(holder: { readonly pg: PgHandle }): PasswdStore {
  const query = <R extends object>(sql: string, params: unknown[]) => holder.pg.pool.query<R>(sql, params);
  return {
    async get(user, host) {
      const { rows } = await query<{ account: StoredAccount }>('SELECT account FROM passwd WHERE host = $1 AND username = $2', [host, user]);
      return rows[0]?.account;
    },
    async set(user, host, account) {
      await query(
        'INSERT INTO passwd (host, username, account) VALUES ($1, $2, $3) ON CONFLICT (host, username) DO UPDATE SET account = EXCLUDED.account',
        [host, user, JSON.stringify(account)],
      );
    },
    async remove(user, host) {
      await query('DELETE FROM passwd WHERE host = $1 AND username = $2', [host, user]);
    },
    async users(host) {
      const { rows } = await query<{ username: string }>('SELECT username FROM passwd WHERE host = $1 ORDER BY username', [host]);
      return rows.map((r) => r.username);
    },
  };
}
