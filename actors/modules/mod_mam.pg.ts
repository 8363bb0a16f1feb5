/**
 * mod_mam on PostgreSQL: `mam` rows keyed by (host, user, id), ids in byte order (`COLLATE "C"`),
 * so an id range is a time range as on LevelDB; preferences in `mam_prefs`.
 *
 * Appends are group-committed: those that arrive while a write is in flight, for any users, go
 * together in the next one, ONE statement (so one transaction and one WAL flush), and each
 * caller resolves with its id once that statement has committed. Ids of one archive must only
 * grow, in commit order, even when several nodes archive for the same user: a reader who has
 * seen id N pages "after N" and must never miss a row committed later under a smaller id. So
 * the ids come from `mam_seq`, one row per archive holding the time part of its newest id,
 * bumped by the same statement (`INSERT … ON CONFLICT DO UPDATE`): the update locks that row
 * until the commit, so a second writer of the same archive, on any node, waits and then reads
 * the bumped value (READ COMMITTED re-reads a conflicting row's latest version), and each
 * user's ids are above every id committed before. `max(id)` read in the statement instead
 * would not do: two writers would read the same max, and the one committing second could hold
 * the smaller id. A node's clock alone would not either (clocks of two nodes differ). Rows of a
 * batch lock their counters in (host, user) order, so two nodes' batches never deadlock.
 */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import { idTail, TIME_DIGITS, timeKey } from '../../src/mam/id.js';
import type { Prefs } from '../../src/mam/prefs.js';
import { pgUserRows } from '../../src/storage/pg/user_row.js';
import { GroupCommit } from './group_commit.js';
import type { ArchiveEntry, ArchiveRange, ArchivedMessage, MamStore } from './mod_mam.store.js';

const USER = 'host = $1 AND username = $2';

interface Append extends ArchiveEntry {
  user: string;
  host: string;
}

/**
 * One batch of appends, in order; returns their ids. `$7` is now on this node's clock (µs), as
 * on LevelDB: a user with n appends in the batch takes the n microseconds from max(newest + 1,
 * now), its counter left at the last, so a node whose clock is behind still writes above it.
 */
const APPEND = `
  WITH batch AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::text[])
      WITH ORDINALITY AS b(host, username, peer, out, xml, tail, ord)
  ), users AS (
    SELECT host, username, count(*) AS n FROM batch GROUP BY host, username
  ), seq AS (
    INSERT INTO mam_seq AS s (host, username, last)
    SELECT host, username, $7 + n - 1 FROM users ORDER BY host COLLATE "C", username COLLATE "C"
    ON CONFLICT (host, username) DO UPDATE SET last = GREATEST(s.last + 1, $7) + (EXCLUDED.last - $7)
    RETURNING host, username, last
  ), ids AS (
    SELECT b.*, lpad((q.last - u.n + row_number() OVER (PARTITION BY b.host, b.username ORDER BY b.ord))::text, ${TIME_DIGITS}, '0') || b.tail AS id
    FROM batch b JOIN users u USING (host, username) JOIN seq q USING (host, username)
  ), stored AS (
    INSERT INTO mam (host, username, id, peer, out, xml) SELECT host, username, id, peer, out, xml FROM ids
  )
  SELECT id FROM ids ORDER BY ord`;

async function appendBatch(pg: PgHandle, batch: Append[]): Promise<string[]> {
  const column = <K extends keyof Append>(k: K) => batch.map((a) => a[k]);
  const tails = batch.map(() => idTail());
  const { rows } = await pg.pool.query<{ id: string }>(APPEND, [column('host'), column('user'), column('peer'), column('out'), column('xml'), tails, Date.now() * 1000]);
  return rows.map((r) => r.id);
}

const appenders = new WeakMap<PgHandle, GroupCommit<Append, string>>();

/** The group commit of a node's pools: every archive (users' and rooms') appends through it. */
function appenderOf(pg: PgHandle): GroupCommit<Append, string> {
  let appender = appenders.get(pg);
  if (!appender) appenders.set(pg, (appender = new GroupCommit((batch) => appendBatch(pg, batch))));
  return appender;
}

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
  const prefs = pgUserRows<{ prefs: Prefs }>(holder, 'mam_prefs', ['prefs']);
  const query = <R extends object>(sql: string, params: unknown[]) => holder.pg.pool.query<R>(sql, params);

  return {
    // The id is known once the batch holding the row has committed: it is written by then.
    append: async (user, host, entry) => ({ id: await appenderOf(holder.pg).commit({ user, host, ...entry }), written: Promise.resolve() }),

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

    removeUser: async (removal) => removal.deleteRows('mam', 'mam_prefs', 'mam_seq'),

    async expire(host, us) {
      const { rowCount } = await query('DELETE FROM mam WHERE host = $1 AND id < $2', [host, timeKey(us)]);
      return rowCount ?? 0;
    },
  };
}
