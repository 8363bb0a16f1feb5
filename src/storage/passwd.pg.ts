/** Account credentials on PostgreSQL: the `passwd` table, one jsonb row per account. */
import type { PgHandle } from './pg/pool.js';
import { pgUserRows } from './pg/user_row.js';
import type { PasswdStore, StoredAccount } from './passwd.js';

export function pgPasswdStore(holder: { readonly pg: PgHandle }): PasswdStore {
  const rows = pgUserRows<{ account: StoredAccount }>(holder, 'passwd', ['account']);
  return {
    get: async (user, host) => (await rows.get(user, host))?.account,
    set: (user, host, account) => rows.set(user, host, { account }),
    removeUser: async (removal) => removal.deleteRows('passwd'),
    async users(host) {
      const { rows: found } = await holder.pg.pool.query<{ username: string }>('SELECT username FROM passwd WHERE host = $1 ORDER BY username', [host]);
      return found.map((r) => r.username);
    },
  };
}
