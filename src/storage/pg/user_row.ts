/**
 * A PostgreSQL table of one row per user, keyed by (host, username): the shape of the vCard,
 * last activity, blocklist, MAM preferences and account tables. Read, upsert, delete.
 */
import type { PgHandle } from './pool.js';

export interface UserRows<T> {
  get(user: string, host: string): Promise<T | undefined>;
  set(user: string, host: string, row: T): Promise<void>;
  remove(user: string, host: string): Promise<void>;
}

/**
 * `columns` are written from the row's fields of the same names (objects go as JSON, arrays
 * as SQL arrays); `select` reads them back (a cast such as `at::float8 AS at` where the
 * driver would return a string).
 */
export function pgUserRows<T extends object>(
  holder: { readonly pg: PgHandle }, table: string, columns: readonly (keyof T & string)[], select = columns.join(', '),
): UserRows<T> {
  const values = columns.map((_, i) => `$${i + 3}`).join(', ');
  const updates = columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  const upsert = `INSERT INTO ${table} (host, username, ${columns.join(', ')}) VALUES ($1, $2, ${values}) ON CONFLICT (host, username) DO UPDATE SET ${updates}`;
  return {
    async get(user, host) {
      const { rows } = await holder.pg.pool.query<T & object>(`SELECT ${select} FROM ${table} WHERE host = $1 AND username = $2`, [host, user]);
      return rows[0];
    },
    async set(user, host, row) {
      await holder.pg.pool.query(upsert, [host, user, ...columns.map((c) => row[c])]);
    },
    async remove(user, host) {
      await holder.pg.pool.query(`DELETE FROM ${table} WHERE host = $1 AND username = $2`, [host, user]);
    },
  };
}
