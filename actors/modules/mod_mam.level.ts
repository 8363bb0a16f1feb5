/**
 * mod_mam on LevelDB: the `mam` sublevel holds, per user, the preferences under `host\0user` and
 * the archive under `host\0user\0<id>`. Ids sort by time, so one range read returns an archive
 * in chronological order and a time filter is a pair of key bounds; the preferences key sorts
 * before the archive range and never falls inside anyone's.
 *
 * Ids only grow, also across restarts and a wall clock that steps back: one clock issues every
 * id of the store, and `mam_clock` keeps a high-water mark above every id written (raised a
 * second ahead, in the same write as the row that passed it, so about one write in a second
 * carries it). A store starts its clock above the mark: an append reads nothing.
 */
import { readNow, table, userKey, type Db } from '../../src/storage/db.js';
import { archiveId, idTime, MonotonicClock, timeKey } from '../../src/mam/id.js';
import type { Prefs } from '../../src/mam/prefs.js';
import { groupCommitOf, type DbOp } from './group_commit.js';
import type { Appended, ArchiveEntry, ArchiveRange, ArchivedMessage, MamStore } from './mod_mam.store.js';

type Row = ArchiveEntry | Prefs;

const DELETE_CHUNK = 1000;
const HIGH_WATER = 'high_water';
/** How far (µs) the stored mark runs ahead of the ids issued. */
const MARK_AHEAD = 1_000_000;

const bound = (k: string, id: string | undefined, fallback: string): string => (id === undefined ? fallback : `${k}\0${id}`);

export function levelMamStore(holder: { readonly db: Db }, opts: { sync: boolean } = { sync: false }): MamStore {
  const mam = () => table<Row>(holder.db, 'mam');
  const marks = () => table<number>(holder.db, 'mam_clock');
  // Through the handle's group commit: the archive writes of every chat in flight make one LevelDB write.
  const commit = (ops: DbOp[]) => groupCommitOf(holder.db, opts.sync).commit(ops);
  const write = (ops: { type: 'put' | 'del'; key: string; value?: Row }[]) =>
    commit(ops.map((op) => (op.type === 'put' ? { type: 'put' as const, sublevel: mam(), key: op.key, value: op.value as Row } : { type: 'del' as const, sublevel: mam(), key: op.key })));
  /** Resolves once every append already handed out has landed: reads after it see them all. */
  const landed = () => commit([]);
  const range = (k: string, r: { gte?: string; lt?: string } = {}) => ({ gte: bound(k, r.gte, `${k}\0`), lt: bound(k, r.lt, `${k}\u0001`) });

  const clock = new MonotonicClock();
  /** The mark found at start: every id is above it. */
  let floor = 0;
  /** The mark as this store last wrote (or found) it: every id written is at or below it. */
  let mark = 0;
  let started: Promise<void> | null = null;
  let ready = false;

  /** The mark, or for a database archived into before marks were kept, the newest id in it (one scan, once). */
  async function storedMark(): Promise<number> {
    const stored = await readNow(marks(), HIGH_WATER);
    if (stored !== undefined) return stored;
    let newest = 0;
    for await (const key of mam().keys()) {
      const id = key.split('\0')[2];
      if (id !== undefined) newest = Math.max(newest, idTime(id));
    }
    return newest;
  }

  /** Loads the mark once, before the first append. */
  const start = (): Promise<void> =>
    (started ??= storedMark().then((m) => {
      floor = mark = m;
      ready = true;
    }));

  /**
   * An id and its row handed to the group commit, with nothing yielding in between: rows reach
   * the group commit in the order of their ids. Nothing is read, so no per-user lock is needed.
   */
  function appendNow(k: string, entry: ArchiveEntry): Appended {
    const us = clock.next(floor);
    const id = archiveId(us);
    const ops: DbOp[] = [{ type: 'put', sublevel: mam(), key: `${k}\0${id}`, value: entry }];
    if (us > mark) {
      mark = us + MARK_AHEAD;
      ops.push({ type: 'put', sublevel: marks(), key: HIGH_WATER, value: mark });
    }
    return { id, written: commit(ops) };
  }

  return {
    async append(user, host, entry) {
      const k = userKey(user, host);
      if (!ready) await start();
      return appendNow(k, entry);
    },

    async ids(user, host, r: ArchiveRange) {
      const k = userKey(user, host);
      if (r.gte !== undefined && r.lt !== undefined && r.gte >= r.lt) return [];
      await landed();
      const strip = (key: string) => key.slice(k.length + 1);
      if (!r.with) return (await mam().keys(range(k, r)).all()).map(strip);
      const wanted = r.with;
      const matches = (peer: string) => (wanted.isBare() ? peer === wanted.bareString() || peer.startsWith(`${wanted.bareString()}/`) : peer === wanted.toString());
      const rows = await mam().iterator(range(k, r)).all();
      return rows.filter(([, row]) => matches((row as ArchiveEntry).peer)).map(([key]) => strip(key));
    },

    async get(user, host, ids) {
      const k = userKey(user, host);
      await landed();
      const rows = await mam().getMany(ids.map((id) => `${k}\0${id}`));
      const out: ArchivedMessage[] = [];
      rows.forEach((row, i) => {
        if (row !== undefined) out.push({ id: ids[i] as string, ...(row as ArchiveEntry) });
      });
      return out;
    },

    async has(user, host, ids) {
      const k = userKey(user, host);
      await landed();
      const rows = await mam().getMany(ids.map((id) => `${k}\0${id}`));
      return rows.every((row) => row !== undefined);
    },

    async bounds(user, host) {
      const k = userKey(user, host);
      await landed();
      const [first] = await mam().keys({ ...range(k), limit: 1 }).all();
      const [last] = await mam().keys({ ...range(k), reverse: true, limit: 1 }).all();
      return first === undefined || last === undefined ? null : { first: first.slice(k.length + 1), last: last.slice(k.length + 1) };
    },

    async prefs(user, host) {
      return (await readNow(mam(), userKey(user, host))) as Prefs | undefined;
    },

    async setPrefs(user, host, prefs) {
      await write([{ type: 'put', key: userKey(user, host), value: prefs }]);
    },

    async removeUser(removal) {
      const k = userKey(removal.user, removal.host);
      await landed(); // and are removed too
      removal.deleteKeys('mam', [k, ...(await mam().keys(range(k)).all())]);
    },

    async expire(host, us) {
      const cutoff = timeKey(us);
      const it = mam().keys({ gte: `${host}\0`, lt: `${host}\u0001` });
      let doomed: string[] = [];
      let removed = 0;
      try {
        for (let key = await it.next(); key !== undefined; key = await it.next()) {
          const [, user, id] = key.split('\0');
          if (user === undefined || id === undefined) continue; // preferences
          if (id < cutoff) doomed.push(key);
          else it.seek(`${host}\0${user}\u0001`); // the rest of this archive is newer
          if (doomed.length >= DELETE_CHUNK) {
            await write(doomed.map((k) => ({ type: 'del' as const, key: k })));
            removed += doomed.length;
            doomed = [];
          }
        }
      } finally {
        await it.close();
      }
      if (doomed.length) await write(doomed.map((k) => ({ type: 'del' as const, key: k })));
      return removed + doomed.length;
    },
  };
}
