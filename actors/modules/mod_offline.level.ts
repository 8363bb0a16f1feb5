/**
 * mod_offline on LevelDB: the `offline` sublevel under `host\0user\0seq`, where `seq` is a
 * zero-padded counter that only grows per user (microseconds since the epoch, or the last one
 * plus one), so a range read returns one user's messages in arrival order. `offline_count`
 * under `host\0user` holds how many there are and the last `seq`, written in the same batch as
 * the messages it counts: the limit check is one point read, and a login with nothing waiting
 * (nearly every login) costs a point read instead of a range scan.
 */
import { readNow, table, userKey, type Db } from '../../src/storage/db.js';
import { lockFor } from './keyed_lock.js';
import type { OfflineMessage, OfflineStore } from './mod_offline.store.js';

interface Count {
  n: number;
  last: number;
}

const range = (user: string, host: string) => ({ gte: `${userKey(user, host)}\0`, lt: `${userKey(user, host)}\u0001` });
const SEQ_DIGITS = 16;

export function levelOfflineStore(holder: { readonly db: Db }, opts: { sync: boolean } = { sync: false }): OfflineStore {
  const lock = lockFor(holder, 'offline');
  const offline = () => table<OfflineMessage>(holder.db, 'offline');
  const counts = () => table<Count>(holder.db, 'offline_count');
  const countOf = async (user: string, host: string): Promise<Count> => (await readNow(counts(), userKey(user, host))) ?? { n: 0, last: 0 };
  /** Deletes the user's messages `keys` and the count, in one batch. */
  const removeAll = (user: string, host: string, keys: string[]) =>
    holder.db.batch<string, unknown>(
      [...keys.map((key) => ({ type: 'del' as const, sublevel: offline(), key })), { type: 'del' as const, sublevel: counts(), key: userKey(user, host) }],
      { sync: opts.sync },
    );

  return {
    store(user, host, message, limit) {
      return lock.run(userKey(user, host), async () => {
        const count = await countOf(user, host);
        if (count.n >= limit) return false;
        const seq = Math.max(Date.now() * 1000, count.last + 1);
        const key = `${userKey(user, host)}\0${String(seq).padStart(SEQ_DIGITS, '0')}`;
        await holder.db.batch<string, unknown>(
          [
            { type: 'put', sublevel: offline(), key, value: message },
            { type: 'put', sublevel: counts(), key: userKey(user, host), value: { n: count.n + 1, last: seq } },
          ],
          { sync: opts.sync },
        );
        return true;
      });
    },

    pop(user, host, handOver) {
      return lock.run(userKey(user, host), async () => {
        if ((await countOf(user, host)).n === 0) return 0;
        const entries = await offline().iterator(range(user, host)).all();
        if (entries.length > 0) handOver(entries.map(([, message]) => message));
        await removeAll(user, host, entries.map(([key]) => key));
        return entries.length;
      });
    },

    async count(user, host) {
      return (await countOf(user, host)).n;
    },

    async removeUser(removal) {
      removal.deleteKeys('offline', await offline().keys(range(removal.user, removal.host)).all());
      removal.deleteKeys('offline_count');
    },
  };
}
