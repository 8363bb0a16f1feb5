/**
 * mod_offline on PostgreSQL: `offline` rows ordered by a sequence; one user's count-then-insert
 * and read-then-delete run under the user's advisory lock, so two nodes (or two resources
 * coming online) never hand the same messages out twice or pass the limit.
 */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import { userTransaction } from './pg_user_lock.js';
import type { OfflineMessage, OfflineStore } from './mod_offline.store.js';

const COUNT = 'SELECT count(*)::int AS n FROM offline WHERE host = $1 AND username = $2';

export function pgOfflineStore(holder: { readonly pg: PgHandle }, opts: { sync: boolean } = { sync: false }): OfflineStore {
  return {
    store(user, host, message, limit) {
      return userTransaction(holder, 'offline', user, host, async (client) => {
        const { rows } = await client.query<{ n: number }>(COUNT, [host, user]);
        if ((rows[0]?.n ?? 0) >= limit) return false;
        await client.query('INSERT INTO offline (host, username, from_jid, xml) VALUES ($1, $2, $3, $4)', [host, user, message.from, message.xml]);
        return true;
      }, opts);
    },

    pop(user, host, handOver) {
      return userTransaction(holder, 'offline', user, host, async (client) => {
        const { rows } = await client.query<{ seq: string; from: string; xml: string }>(
          'SELECT seq, from_jid AS "from", xml FROM offline WHERE host = $1 AND username = $2 ORDER BY seq', [host, user]);
        if (rows.length === 0) return 0;
        handOver(rows.map(({ from, xml }): OfflineMessage => ({ xml, from })));
        await client.query('DELETE FROM offline WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
        return rows.length;
      }, opts);
    },

    async count(user, host) {
      const { rows } = await holder.pg.pool.query<{ n: number }>(COUNT, [host, user]);
      return rows[0]?.n ?? 0;
    },

    removeUser: async (removal) => removal.deleteRows('offline'),
  };
}
