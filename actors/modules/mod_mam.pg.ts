/**
 * mod_mam on PostgreSQL: `mam` rows keyed by (host, user, id), ids in byte order (`COLLATE "C"`),
 * so an id range is a time range as on LevelDB; preferences in `mam_prefs`. An append reads the
 * newest id under the user's advisory lock, so ids only grow even when several nodes archive
 * for the same user.
 */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import { archiveId, idTime, MonotonicClock, timeKey } from '../../src/mam/id.js';
import type { Prefs } from '../../src/mam/prefs.js';
import { pgUserRows } from '../../src/storage/pg/user_row.js';
import { userTransaction } from './pg_user_lock.js';
import type { ArchiveRange, ArchivedMessage, MamStore } from './mod_mam.store.js';

const USER = 'host = $1 AND username = $2';

/**
 * The SQL conditions of a range, numbered after `first` parameters. A lower bound `x\0` (what
 * the query code passes for "after id x", a LevelDB key bound) is `id > x`: no id holds a NUL,
 * and PostgreSQL text cannot.
 */
function rangeConditions(r: ArchiveRange, first: number): { sql: string; params: string[] } {
  const conds: string[] = [];
  const params: string[] = [];
  const add = (cond: (n: string) => string, value: string) => {
    params.push(value);
    conds.push(cond(`$${first + params.length}`));
  };
  if (r.gte !== undefined) {
    if (r.gte.endsWith('\0')) add((n) => `id > ${n}`, r.gte.slice(0, -1));
    else add((n) => `id >= ${n}`, r.gte);
  }
  if (r.lt !== undefined) add((n) => `id < ${n}`, r.lt);
  if (r.with) {
    // XEP-0313 §4.1.1: a bare JID matches each of its resources, a full JID only itself.
    if (r.with.isBare()) add((n) => `(peer = ${n} OR starts_with(peer, ${n} || '/'))`, r.with.bareString());
    else add((n) => `peer = ${n}`, r.with.toString());
  }
  return { sql: conds.map((c) => ` AND ${c}`).join(''), params };
}

export function pgMamStore(holder: { readonly pg: PgHandle }): MamStore {
  const clock = new MonotonicClock();
  const prefs = pgUserRows<{ prefs: Prefs }>(holder, 'mam_prefs', ['prefs']);
  const query = <R extends object>(sql: string, params: unknown[]) => holder.pg.pool.query<R>(sql, params);

  return {
    async append(user, host, entry) {
      // The id comes from the row's own transaction: it is written when it is known.
      const id = await userTransaction(holder, 'mam', user, host, async (client) => {
        const { rows } = await client.query<{ id: string | null }>(`SELECT max(id) AS id FROM mam WHERE ${USER}`, [host, user]);
        const newest = rows[0]?.id;
        const id = archiveId(clock.next(newest ? idTime(newest) : 0));
        await client.query('INSERT INTO mam (host, username, id, peer, out, xml) VALUES ($1, $2, $3, $4, $5, $6)', [host, user, id, entry.peer, entry.out, entry.xml]);
        return id;
      });
      return { id, written: Promise.resolve() };
    },

    async ids(user, host, r) {
      const range = rangeConditions(r, 2);
      const { rows } = await query<{ id: string }>(`SELECT id FROM mam WHERE ${USER}${range.sql} ORDER BY id`, [host, user, ...range.params]);
      return rows.map((row) => row.id);
    },

    async get(user, host, ids) {
      const { rows } = await query<ArchivedMessage>(`SELECT id, peer, out, xml FROM mam WHERE ${USER} AND id = ANY($3::text[])`, [host, user, ids]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },

    async has(user, host, ids) {
      const { rows } = await query<{ n: number }>(`SELECT count(*)::int AS n FROM mam WHERE ${USER} AND id = ANY($3::text[])`, [host, user, ids]);
      return rows[0]?.n === new Set(ids).size;
    },

    async bounds(user, host) {
      const { rows } = await query<{ first: string | null; last: string | null }>(`SELECT min(id) AS first, max(id) AS last FROM mam WHERE ${USER}`, [host, user]);
      const { first, last } = rows[0] ?? { first: null, last: null };
      return first === null || last === null ? null : { first, last };
    },

    prefs: async (user, host) => (await prefs.get(user, host))?.prefs,

    setPrefs: (user, host, value) => prefs.set(user, host, { prefs: value }),

    async removeUser(user, host) {
      await userTransaction(holder, 'mam', user, host, async (client) => {
        await client.query(`DELETE FROM mam WHERE ${USER}`, [host, user]);
        await client.query(`DELETE FROM mam_prefs WHERE ${USER}`, [host, user]); // with the archive, in its transaction
      });
    },

    async expire(host, us) {
      const { rowCount } = await query('DELETE FROM mam WHERE host = $1 AND id < $2', [host, timeKey(us)]);
      return rowCount ?? 0;
    },
  };
}
