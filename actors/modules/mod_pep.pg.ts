/**
 * mod_pep on PostgreSQL: the `pep` table, one jsonb row per (user, node) holding the whole node
 * (configuration and items), as on LevelDB. A change reads, applies and writes in one
 * transaction under the user's advisory lock, so two nodes never apply two changes to one
 * stale copy.
 */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import { isStanzaError } from '../../src/stanza/error.js';
import type { PepNode } from '../../src/pep/node.js';
import { userTransaction } from './pg_user_lock.js';
import type { PepStore } from './mod_pep.store.js';

const NODE = 'host = $1 AND username = $2 AND node = $3';

export function pgPepStore(holder: { readonly pg: PgHandle }): PepStore {
  return {
    async node(user, host, node) {
      const { rows } = await holder.pg.pool.query<{ data: PepNode }>(`SELECT data FROM pep WHERE ${NODE}`, [host, user, node]);
      return rows[0]?.data;
    },

    async nodes(user, host) {
      const { rows } = await holder.pg.pool.query<{ node: string }>('SELECT node FROM pep WHERE host = $1 AND username = $2 ORDER BY node', [host, user]);
      return rows.map((r) => r.node);
    },

    update(user, host, node, change) {
      return userTransaction(holder, 'pep', user, host, async (client) => {
        const { rows } = await client.query<{ data: PepNode }>(`SELECT data FROM pep WHERE ${NODE}`, [host, user, node]);
        const next = change(rows[0]?.data);
        if (next === null) await client.query(`DELETE FROM pep WHERE ${NODE}`, [host, user, node]);
        else if (!isStanzaError(next)) {
          await client.query('INSERT INTO pep (host, username, node, data) VALUES ($1, $2, $3, $4) ON CONFLICT (host, username, node) DO UPDATE SET data = EXCLUDED.data', [host, user, node, JSON.stringify(next)]);
        }
        return next;
      });
    },

    removeUser: async (removal) => removal.deleteRows('pep'),
  };
}
