/** mod_last on PostgreSQL: the `last_activity` table, one row per user. */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import { pgUserRows } from '../../src/storage/pg/user_row.js';
import type { LastActivity, LastStore } from './mod_last.store.js';

export function pgLastStore(holder: { readonly pg: PgHandle }): LastStore {
  // bigint comes back from the driver as a string: read it as a number.
  const rows = pgUserRows<LastActivity>(holder, 'last_activity', ['at', 'status'], 'at::float8 AS at, status');
  return { get: rows.get, set: rows.set, removeUser: async (removal) => removal.deleteRows('last_activity') };
}
