/**
 * mod_pep on LevelDB: the `pep` sublevel, one row per node under `host\0user\0node` (a node name
 * holds no NUL, so a range read returns one account's nodes), its value the whole node (config
 * and items). A user's read-change-write runs under a per-user lock.
 */
import { table, userKey, type Db } from '../../src/storage/db.js';
import { isStanzaError } from '../../src/stanza/error.js';
import type { PepNode } from '../../src/pep/node.js';
import { lockFor } from './keyed_lock.js';
import type { PepStore } from './mod_pep.store.js';

const prefix = (user: string, host: string): string => `${userKey(user, host)}\0`;
const range = (user: string, host: string) => ({ gte: prefix(user, host), lt: `${userKey(user, host)}\u0001` });

export function levelPepStore(holder: { readonly db: Db }): PepStore {
  const lock = lockFor(holder, 'pep');
  const rows = () => table<PepNode>(holder.db, 'pep');

  return {
    node: (user, host, node) => rows().get(prefix(user, host) + node),

    async nodes(user, host) {
      const keys = await rows().keys(range(user, host)).all();
      return keys.map((k) => k.slice(prefix(user, host).length)).sort();
    },

    update(user, host, node, change) {
      return lock.run(userKey(user, host), async () => {
        const key = prefix(user, host) + node;
        const next = change(await rows().get(key));
        if (next === null) await rows().del(key);
        else if (!isStanzaError(next)) await rows().put(key, next);
        return next;
      });
    },

    async removeUser(removal) {
      removal.deleteKeys('pep', await rows().keys(range(removal.user, removal.host)).all());
    },
  };
}
