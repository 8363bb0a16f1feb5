/**
 * mod_roster's cache (ejabberd's `use_cache`, on by default there too): a login reads the roster
 * for the roster get, the broadcast of initial presence, the probes and the pending requests,
 * so the rosters of users seen lately are kept in memory and every read after the first is a
 * map lookup. It wraps any {@link RosterStore}; a write drops the user's entry (inside the
 * user's transaction, once durable), and a read that overlapped any write is returned but not
 * kept, so the cache never holds a roster older than the store. The cache lives in mod_roster's
 * state: a restarted module starts empty.
 */
import NodeCache from 'node-cache';
import type { RosterItem } from '../../src/roster/item.js';
import type { RosterStore } from './mod_roster.store.js';

export interface RosterCacheOptions {
  /** Rosters kept at most (ejabberd's `cache_size`). */
  size: number;
  /** Seconds an unused roster stays (ejabberd's `cache_life_time`). */
  lifeTime: number;
}

type Roster = { items: readonly RosterItem[]; version: number };

export interface CachedRosterStore extends RosterStore {
  /** Stops the cache's expiry timer (the module's exit). */
  close(): void;
}

const keyOf = (user: string, host: string): string => `${user}@${host}`;

export function cachedRosterStore(store: RosterStore, opts: RosterCacheOptions): CachedRosterStore {
  const cache = new NodeCache({ stdTTL: opts.lifeTime, maxKeys: opts.size, useClones: false, checkperiod: Math.max(60, opts.lifeTime / 4) });
  /** Bumped by every write: a read that saw it change may have read the store before the write. */
  let writes = 0;
  const drop = (user: string, host: string): void => {
    writes++;
    cache.del(keyOf(user, host));
  };
  const keep = (key: string, roster: Roster): void => {
    // A full cache refuses new keys (maxKeys) rather than evicting: then this read is simply not kept.
    if (cache.getStats().keys < opts.size) cache.set(key, roster);
  };

  async function read(user: string, host: string): Promise<Roster> {
    const key = keyOf(user, host);
    const cached = cache.get<Roster>(key);
    if (cached) return cached;
    const before = writes;
    const fresh = await store.read(user, host);
    if (writes === before) keep(key, fresh);
    return fresh;
  }

  return {
    transaction: (user, host, fn) =>
      store.transaction(user, host, (tx) =>
        fn({
          get version() {
            return tx.version;
          },
          item: (contact) => tx.item(contact),
          items: () => tx.items(),
          async write(contact, item, bump) {
            try {
              return await tx.write(contact, item, bump);
            } finally {
              drop(user, host);
            }
          },
        }),
      ),
    // A copy of the list: callers own what they get (the items themselves are never mutated).
    read: async (user, host) => {
      const { items, version } = await read(user, host);
      return { items: [...items], version };
    },
    async item(user, host, contact) {
      const cached = cache.get<Roster>(keyOf(user, host));
      return cached ? cached.items.find((i) => i.jid === contact) : store.item(user, host, contact);
    },
    async removeUser(removal) {
      await store.removeUser(removal);
      removal.afterCommit(() => drop(removal.user, removal.host));
    },
    close: () => cache.close(),
  };
}
