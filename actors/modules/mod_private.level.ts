/**
 * mod_private on LevelDB: the `private` sublevel under `host\0user\0ns\0name` (XML cannot hold
 * a NUL, so no namespace or name can run into the next part), so a range read returns one
 * user's fragments; a user's read-size-then-write runs under a per-user lock.
 */
import { table, userKey, type Db } from '../../src/storage/db.js';
import { lockFor } from './keyed_lock.js';
import type { PrivateKey, PrivateStore, StoredFragment } from './mod_private.store.js';

const range = (user: string, host: string) => ({ gte: `${userKey(user, host)}\0`, lt: `${userKey(user, host)}\u0001` });
const rowKey = (user: string, host: string, k: PrivateKey) => `${userKey(user, host)}\0${k.ns}\0${k.name}`;

export function levelPrivateStore(holder: { readonly db: Db }): PrivateStore {
  const lock = lockFor(holder, 'private');
  const rows = () => table<StoredFragment>(holder.db, 'private');
  const entries = (user: string, host: string) => rows().iterator(range(user, host)).all();

  return {
    async get(user, host, keys) {
      const found = await rows().getMany(keys.map((k) => rowKey(user, host, k)));
      return found.map((row) => row?.xml);
    },

    set(user, host, fragments, limit) {
      return lock.run(userKey(user, host), async () => {
        const sizes = new Map((await entries(user, host)).map(([key, row]) => [key, Buffer.byteLength(row.xml)]));
        for (const f of fragments) sizes.set(rowKey(user, host, f), Buffer.byteLength(f.xml));
        let total = 0;
        for (const size of sizes.values()) total += size;
        if (total > limit) return false;
        const puts = fragments.map((f) => ({ type: 'put' as const, sublevel: rows(), key: rowKey(user, host, f), value: f }));
        await holder.db.batch<string, unknown>(puts, {});
        return true;
      });
    },

    async size(user, host) {
      let total = 0;
      for (const [, row] of await entries(user, host)) total += Buffer.byteLength(row.xml);
      return total;
    },

    async removeUser(removal) {
      removal.deleteKeys('private', await rows().keys(range(removal.user, removal.host)).all());
    },
  };
}
