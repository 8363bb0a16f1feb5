/**
 * mod_mam on LevelDB: the `mam` sublevel holds, per user, the preferences under `host\0user` and
 * the archive under `host\0user\0<id>`. Ids sort by time, so one range read returns an archive
 * in chronological order and a time filter is a pair of key bounds; the preferences key sorts
 * before the archive range and never falls inside anyone's.
 */
import { readNow, table, userKey, type Db } from '../../src/storage/db.js';
import { archiveId, idTime, MonotonicClock, timeKey } from '../../src/mam/id.js';
import type { Prefs } from '../../src/mam/prefs.js';
import { lockFor } from './keyed_lock.js';
import { groupCommitOf } from './group_commit.js';
import type { ArchiveEntry, ArchiveRange, ArchivedMessage, MamStore } from './mod_mam.store.js';

type Row = ArchiveEntry | Prefs;

const DELETE_CHUNK = 1000;
/** Users whose newest id is remembered; past this the memory starts over (ids stay ordered: it is re-read). */
const MAX_REMEMBERED = 50_000;

const bound = (k: string, id: string | undefined, fallback: string): string => (id === undefined ? fallback : `${k}\0${id}`);

export function levelMamStore(holder: { readonly db: Db }, opts: { sync: boolean } = { sync: false }): MamStore {
  const lock = lockFor(holder, 'mam');
  const clock = new MonotonicClock();
  /** userKey → the time of the newest id in that archive. */
  const newest = new Map<string, number>();
  const mam = () => table<Row>(holder.db, 'mam');
  // Through the handle's group commit: the archive writes of every chat in flight make one LevelDB write.
  const write = (ops: { type: 'put' | 'del'; key: string; value?: Row }[]) =>
    groupCommitOf(holder.db, opts.sync).commit(
      ops.map((op) => (op.type === 'put' ? { type: 'put' as const, sublevel: mam(), key: op.key, value: op.value as Row } : { type: 'del' as const, sublevel: mam(), key: op.key })),
    );
  const range = (k: string, r: { gte?: string; lt?: string } = {}) => ({ gte: bound(k, r.gte, `${k}\0`), lt: bound(k, r.lt, `${k}\u0001`) });

  async function newestTime(k: string): Promise<number> {
    const known = newest.get(k);
    if (known !== undefined) return known;
    const [last] = await mam().keys({ ...range(k), reverse: true, limit: 1 }).all();
    return last === undefined ? 0 : idTime(last.slice(k.length + 1));
  }

  return {
    append(user, host, entry) {
      const k = userKey(user, host);
      return lock.run(k, async () => {
        const us = clock.next(await newestTime(k));
        if (newest.size >= MAX_REMEMBERED) newest.clear();
        newest.set(k, us);
        const id = archiveId(us);
        await write([{ type: 'put', key: `${k}\0${id}`, value: entry }]);
        return id;
      });
    },

    async ids(user, host, r: ArchiveRange) {
      const k = userKey(user, host);
      if (r.gte !== undefined && r.lt !== undefined && r.gte >= r.lt) return [];
      const strip = (key: string) => key.slice(k.length + 1);
      if (!r.with) return (await mam().keys(range(k, r)).all()).map(strip);
      const wanted = r.with;
      const matches = (peer: string) => (wanted.isBare() ? peer === wanted.bareString() || peer.startsWith(`${wanted.bareString()}/`) : peer === wanted.toString());
      const rows = await mam().iterator(range(k, r)).all();
      return rows.filter(([, row]) => matches((row as ArchiveEntry).peer)).map(([key]) => strip(key));
    },

    async get(user, host, ids) {
      const k = userKey(user, host);
      const rows = await mam().getMany(ids.map((id) => `${k}\0${id}`));
      const out: ArchivedMessage[] = [];
      rows.forEach((row, i) => {
        if (row !== undefined) out.push({ id: ids[i] as string, ...(row as ArchiveEntry) });
      });
      return out;
    },

    async has(user, host, ids) {
      const k = userKey(user, host);
      const rows = await mam().getMany(ids.map((id) => `${k}\0${id}`));
      return rows.every((row) => row !== undefined);
    },

    async bounds(user, host) {
      const k = userKey(user, host);
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
      removal.deleteKeys('mam', [k, ...(await mam().keys(range(k)).all())]);
      removal.afterCommit(() => newest.delete(k));
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
