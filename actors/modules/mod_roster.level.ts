/**
 * mod_roster on LevelDB (ARCHITECTURE §5): items in the `roster` sublevel under
 * `host\0user\0contact`, the version in `roster_version` under `host\0user`. Every item change
 * is one batch over both sublevels, so a crash never leaves an item without its version bump.
 * Durability: batches are written with `sync: true` (fsync before the promise resolves), so a
 * result sent to the client after the write survives a power cut; `sync: false` trades that for
 * speed (the OS may lose the last writes, LevelDB's log still keeps each batch atomic). Batches
 * of different users that meet are written together (group commit), one fsync for all.
 * A user with any item has a version row (a first write that does not bump the version writes
 * it as 0): a login of a user without one skips the range read.
 */
import { readNow, table, userKey, type Db } from '../../src/storage/db.js';
import type { RosterItem } from '../../src/roster/item.js';
import { lockFor } from './keyed_lock.js';
import { groupCommitOf } from './group_commit.js';
import type { RosterStore, RosterTx } from './mod_roster.store.js';

export interface LevelRosterOptions {
  sync: boolean;
}

const itemKey = (user: string, host: string, contact: string): string => `${userKey(user, host)}\0${contact}`;
/** All of one user's items: the key prefix up to the separator, which no localpart contains. */
const userRange = (user: string, host: string) => ({ gte: `${userKey(user, host)}\0`, lt: `${userKey(user, host)}\u0001` });

export function levelRosterStore(holder: { readonly db: Db }, opts: LevelRosterOptions = { sync: true }): RosterStore {
  const lock = lockFor(holder, 'roster');
  // Concurrent users' changes share an fsync.
  const commit = (db: Db) => groupCommitOf(db, opts.sync);
  const items = (db: Db) => table<RosterItem>(db, 'roster');
  const versions = (db: Db) => table<number>(db, 'roster_version');

  async function readItems(db: Db, user: string, host: string): Promise<RosterItem[]> {
    return items(db).values(userRange(user, host)).all();
  }

  const storedVersion = (db: Db, user: string, host: string): Promise<number | undefined> => readNow(versions(db), userKey(user, host));

  return {
    transaction(user, host, fn) {
      return lock.run(userKey(user, host), async () => {
        const db = holder.db;
        const stored = await storedVersion(db, user, host);
        let version = stored ?? 0;
        let versioned = stored !== undefined;
        const tx: RosterTx = {
          get version() {
            return version;
          },
          item: (contact) => readNow(items(db), itemKey(user, host, contact)),
          items: () => readItems(db, user, host),
          async write(contact, item, bump = true) {
            const next = bump ? version + 1 : version;
            const key = itemKey(user, host, contact);
            const value = item && { ...item, ver: bump ? next : Math.min(item.ver, version) };
            await commit(db).commit([
              value ? { type: 'put', sublevel: items(db), key, value } : { type: 'del', sublevel: items(db), key },
              ...(bump || !versioned ? [{ type: 'put' as const, sublevel: versions(db), key: userKey(user, host), value: next }] : []),
            ]);
            version = next;
            versioned = true;
            return next;
          },
        };
        return fn(tx);
      });
    },

    async read(user, host) {
      const db = holder.db;
      const version = await storedVersion(db, user, host);
      return version === undefined ? { items: [], version: 0 } : { items: await readItems(db, user, host), version };
    },

    item: (user, host, contact) => readNow(items(holder.db), itemKey(user, host, contact)),

    async removeUser(removal) {
      removal.deleteKeys('roster', await items(holder.db).keys(userRange(removal.user, removal.host)).all());
      removal.deleteKeys('roster_version');
    },
  };
}
