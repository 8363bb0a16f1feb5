/** mod_blocking on PostgreSQL: the `privacy` table, one row per user holding the whole blocklist. */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import { pgUserRows } from '../../src/storage/pg/user_row.js';
import type { BlockingStore } from './mod_blocking.store.js';

export function pgBlockingStore(holder: { readonly pg: PgHandle }): BlockingStore {
  const rows = pgUserRows<{ jids: string[] }>(holder, 'privacy', ['jids']);
  return {
    get: async (user, host) => (await rows.get(user, host))?.jids ?? [],
    set: (user, host, jids) => (jids.length === 0 ? rows.remove(user, host) : rows.set(user, host, { jids })),
    removeUser: async (removal) => removal.deleteRows('privacy'),
  };
}
