/**
 * mod_offline on LevelDB: the `offline` sublevel under `host\0user\0seq`, where `seq` is a
 * zero-padded counter that only grows per user (microseconds since the epoch, or the last one
 * plus one), so a range read returns one user's messages in arrival order.
 */
import { table, userKey, type Db } from '../../src/storage/db.js';
import { lockFor } from './keyed_lock.js';
import type { OfflineMessage, OfflineStore } from './mod_offline.store.js';

const range = (user: string, host: string) => ({ gte: `${userKey(user, host)}\0`, lt: `${userKey(user, host)}\u0001` });
const SEQ_DIGITS = 16;

export function levelOfflineStore(holder: { readonly db: Db }, opts: { sync: boolean } = { sync: false }): OfflineStore {
  const lock = lockFor(holder, 'offline');
  const offline = () => table<OfflineMessage>(holder.db, 'offline');
  const remove = (keys: string[]) =>
    holder.db.batch<string, unknown>(keys.map((key) => ({ type: 'del' as const, sublevel: offline(), key })), { sync: opts.sync });

  return {
    store(user, host, message, limit) {
      return lock.run(userKey(user, host), async () => {
        const keys = await offline().keys(range(user, host)).all();
        if (keys.length >= limit) return false;
        const last = keys.length ? Number((keys[keys.length - 1] as string).slice(-SEQ_DIGITS)) : 0;
        const seq = Math.max(Date.now() * 1000, last + 1);
        const key = `${userKey(user, host)}\0${String(seq).padStart(SEQ_DIGITS, '0')}`;
        await holder.db.batch<string, unknown>([{ type: 'put', sublevel: offline(), key, value: message }], { sync: opts.sync });
        return true;
      });
    },

    pop(user, host, handOver) {
      return lock.run(userKey(user, host), async () => {
        const entries = await offline().iterator(range(user, host)).all();
        if (entries.length === 0) return 0;
        handOver(entries.map(([, message]) => message));
        await remove(entries.map(([key]) => key));
        return entries.length;
      });
    },

    async count(user, host) {
      return (await offline().keys(range(user, host)).all()).length;
    },

    removeUser(user, host) {
      return lock.run(userKey(user, host), async () => {
        const keys = await offline().keys(range(user, host)).all();
        await remove(keys);
      });
    },
  };
}
